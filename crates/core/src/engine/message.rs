//! Messages for the speaker: a written text or one of the session's presets, which flashes or
//! chimes when it arrives (per message, else the session's default), and which clears itself
//! when the segment changes (`message_clears = "segment"`, the default) — a "please wrap up" is
//! for the speaker it was sent to, not the next one.
//!
//! The engine owns the clearing; the pages only flash and chime on arrival (`message_at`).

use super::{Refused, ShowTime};
use crate::show::{MessageClears, Messages};

/// What `Command::Message` asks for: a text (empty clears the screen) or preset `N`, arriving
/// with a flash and a chime or not (`None`: as the preset or the session says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: Text,
    pub flash: Option<bool>,
    pub chime: Option<bool>,
}

/// The words of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Written(String),
    /// The session's preset number `N`, counted from 1 (the terminal's key `N`).
    Preset(usize),
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message {
            text: Text::Written(text),
            flash: None,
            chime: None,
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::from(text.to_owned())
    }
}

impl Message {
    /// Whether this message clears the screen (an empty text) rather than saying something.
    pub fn is_clear(&self) -> bool {
        matches!(&self.text, Text::Written(text) if text.is_empty())
    }

    /// Preset `n` (from 1) with the preset's or the session's flash and chime.
    pub fn preset(n: usize) -> Message {
        Message {
            text: Text::Preset(n),
            flash: None,
            chime: None,
        }
    }
}

/// The message on the speaker's screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OnScreen {
    /// Empty: no message.
    pub text: String,
    /// When it was sent; `None` without a message. Pages flash or chime when this changes.
    pub at: Option<ShowTime>,
    pub flash: bool,
    pub chime: bool,
}

/// The session's presets and defaults, and the message on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Board {
    settings: Messages,
    pub(super) on_screen: OnScreen,
}

impl Board {
    pub(super) fn new(settings: &Messages) -> Board {
        Board {
            settings: settings.clone(),
            on_screen: OnScreen::default(),
        }
    }

    /// `message` with its words and both options spelled out: a preset becomes its text, so
    /// that what is journaled replays the same whatever the session file says later.
    pub(super) fn resolve(&self, message: Message) -> Result<Message, Refused> {
        let (text, flash, chime) = self.spell(message)?;
        Ok(Message {
            text: Text::Written(text),
            flash: Some(flash),
            chime: Some(chime),
        })
    }

    /// The words, flash and chime of `message`.
    fn spell(&self, message: Message) -> Result<(String, bool, bool), Refused> {
        let (text, flash, chime) = match message.text {
            Text::Written(text) => (text, None, None),
            Text::Preset(n) => {
                let count = self.settings.presets.len();
                let Some(preset) = n.checked_sub(1).and_then(|i| self.settings.presets.get(i))
                else {
                    return Err(Refused(format!(
                        "there is no preset {n}: the session has presets 1 to {count}"
                    )));
                };
                (preset.text.clone(), preset.flash, preset.chime)
            }
        };
        Ok((
            text,
            message.flash.or(flash).unwrap_or(self.settings.flash),
            message.chime.or(chime).unwrap_or(self.settings.chime),
        ))
    }

    /// Puts `message` on screen at `now` (an empty text clears it).
    pub(super) fn say(&mut self, message: Message, now: ShowTime) -> Result<(), Refused> {
        let (text, flash, chime) = self.spell(message)?;
        self.on_screen = if text.is_empty() {
            OnScreen::default()
        } else {
            OnScreen {
                text,
                at: Some(now),
                flash,
                chime,
            }
        };
        Ok(())
    }

    /// The segment on screen changed: the message goes unless the session keeps it.
    pub(super) fn segment_changed(&mut self) {
        if self.settings.clears == MessageClears::Segment {
            self.clear();
        }
    }

    pub(super) fn clear(&mut self) {
        self.on_screen = OnScreen::default();
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
