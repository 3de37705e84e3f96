//! Alerts for the moderator when a segment enters warning, overtime or over-max, or stops at zero: the text of each
//! alert, and desktop notifications (notify-rust over D-Bus). A failing or missing notification
//! service is logged once and never stops the show, nor its shutdown. Alert texts are
//! [`printable`]: they go to terminals and logs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::engine::{Change, Event};
use crate::journal::JournalNotice;
use crate::show::{Show, format_hms};
use crate::term::printable;

/// A notification server that does not answer within this long is given up on for the session.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(3);

/// What to tell the moderator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub summary: String,
    pub body: String,
}

/// Where an alert loop reads the run-of-show, which edits change: the controller's states.
pub type Shows = tokio::sync::watch::Receiver<Arc<crate::controller::Published>>;

/// The alert for an event, if it deserves one.
pub fn describe(show: &Show, event: &Event) -> Option<Alert> {
    let (index, summary) = match event {
        Event::Fitted { changes, short_ms } => return Some(describe_fit(show, changes, *short_ms)),
        // A forgotten start (OnlyT's issue #73): the terminal, the desktop and the control page.
        Event::StartOverdue { late_ms } => return Some(describe_overdue(show, *late_ms)),
        Event::AutoStarted { index, .. } => (*index, "Started by itself (auto_start)".to_owned()),
        Event::Warning { index } => {
            let warn = show.segments.get(*index)?.warn;
            (*index, format!("{} left", format_hms(warn)))
        }
        Event::Overtime { index } => (*index, "Time is up".to_owned()),
        Event::Stopped { index } => (*index, "Time is up: stopped at 0:00".to_owned()),
        Event::OverMax { index } => {
            let max = show.segments.get(*index)?.max.unwrap_or_default();
            (*index, format!("Past the {} hard limit", format_hms(max)))
        }
        _ => return None,
    };
    let seg = show.segments.get(index)?;
    let title = printable(&seg.title);
    let body = match &seg.speaker {
        Some(speaker) => format!("{}. {title} — {}", index + 1, printable(speaker)),
        None => format!("{}. {title}", index + 1),
    };
    Some(Alert { summary, body })
}

/// `Not started — planned for 14:00, 1 min ago`.
fn describe_overdue(show: &Show, late_ms: i64) -> Alert {
    let planned = show.start.map(|start| {
        format!(
            " — planned for {}",
            start.with_timezone(&show.timezone).format("%H:%M")
        )
    });
    let minutes = late_ms.max(0) / 60_000;
    Alert {
        summary: format!(
            "Not started{}, {minutes} min ago",
            planned.unwrap_or_default()
        ),
        body: "Start the show: space in the terminal, or Start on the control page".to_owned(),
    }
}

/// `Re-planned to land on the end — Q&A 30:00 → 19:00`.
fn describe_fit(show: &Show, changes: &[Change], short_ms: i64) -> Alert {
    let summary = if short_ms > 0 {
        format!(
            "Re-planned: still {} late at every min",
            format_hms(Duration::from_millis(short_ms.unsigned_abs()))
        )
    } else {
        "Re-planned to land on the end".to_owned()
    };
    let len = |ms: i64| format_hms(Duration::from_millis(ms.unsigned_abs()));
    let body = changes
        .iter()
        .map(|c| {
            format!(
                "{}. {} {} → {}",
                c.index + 1,
                printable(&show.segments[c.index].title),
                len(c.from_ms),
                len(c.to_ms)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Alert { summary, body }
}

/// How a forwarded alert is logged in a headless run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Warn,
    Error,
}

/// Where alerts go besides the terminal console (which prints its own).
#[derive(Debug, Clone, Copy)]
pub struct Outlets {
    /// Desktop notifications (D-Bus).
    pub desktop: bool,
    /// The log: headless runs, where no terminal shows alerts.
    pub log: bool,
}

/// Sends a desktop notification (and with `outlets.log` a log line) for every engine event that
/// deserves an alert, until `shutdown` or the sender is gone. With several rooms, `room` is the
/// room's name, and each alert's summary begins with it.
pub fn spawn(
    show: Shows,
    room: Option<Arc<str>>,
    events: broadcast::Receiver<Event>,
    outlets: Outlets,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let describe_event =
        move |show: &Show, event: &Event| describe(show, event).map(|a| (Level::Warn, a));
    tokio::spawn(forward(
        show,
        room,
        events,
        describe_event,
        outlets,
        shutdown,
    ))
}

/// `alert` with its summary naming the room, when there is one to name.
pub fn in_room(room: Option<&str>, mut alert: Alert) -> Alert {
    if let Some(room) = room {
        alert.summary = format!("{room}: {}", alert.summary);
    }
    alert
}

/// Tells the moderator about journal trouble (repeated by the controller while it lasts) and its
/// end: a desktop notification, and with `outlets.log` the log (the terminal console prints them
/// itself).
pub fn spawn_journal(
    show: Shows,
    room: Option<Arc<str>>,
    notices: broadcast::Receiver<JournalNotice>,
    outlets: Outlets,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let describe_notice = |_: &Show, notice: &JournalNotice| {
        let level = match notice {
            JournalNotice::Failing(_) | JournalNotice::Unreplicated { .. } => Level::Error,
            JournalNotice::Recovered { .. } | JournalNotice::Replicated { .. } => Level::Warn,
        };
        Some((level, describe_journal(notice)))
    };
    tokio::spawn(forward(
        show,
        room,
        notices,
        describe_notice,
        outlets,
        shutdown,
    ))
}

/// The one alert loop: each message `describe`d into an alert goes to the log and the desktop;
/// a lagging receiver skips what it missed; a notification never outlives `shutdown`.
async fn forward<T: Clone>(
    shows: Shows,
    room: Option<Arc<str>>,
    mut messages: broadcast::Receiver<T>,
    describe: impl Fn(&Show, &T) -> Option<(Level, Alert)>,
    outlets: Outlets,
    shutdown: CancellationToken,
) {
    let mut notifier = Notifier {
        enabled: outlets.desktop,
        warned: false,
    };
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => break,
            message = messages.recv() => match message {
                Ok(message) => message,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
        };
        // The run-of-show as edited now: the message's segment numbers are of this one.
        let show = shows.borrow().show.clone();
        let Some((level, alert)) = describe(&show, &message) else {
            continue;
        };
        let alert = in_room(room.as_deref(), alert);
        if outlets.log {
            match level {
                Level::Warn => tracing::warn!("{}: {}", alert.summary, alert.body),
                Level::Error => tracing::error!("{}: {}", alert.summary, alert.body),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = notifier.notify(&show, alert) => {}
        }
    }
}

/// The alert for journal trouble or its end.
pub fn describe_journal(notice: &JournalNotice) -> Alert {
    match notice {
        JournalNotice::Failing(health) => {
            let error = health.error.as_deref().unwrap_or("unknown error");
            let mut body = format!(
                "cannot write {} ({}): {} kept in memory, written as soon as the disk takes \
                 them; a crash now would lose them. Free space on that disk.",
                printable(health.path.as_deref().unwrap_or("the journal")),
                printable(error),
                lines(health.pending)
            );
            if health.dropped > 0 {
                body.push_str(&format!(" {} already lost.", lines(health.dropped)));
            }
            Alert {
                summary: "JOURNAL NOT WRITTEN".to_owned(),
                body,
            }
        }
        JournalNotice::Recovered { path, caught_up } => Alert {
            summary: "Journal writable again".to_owned(),
            body: format!("{} caught up in {}", lines(*caught_up), printable(path)),
        },
        JournalNotice::Unreplicated {
            subject,
            pending,
            dropped,
            error,
        } => {
            let mut body = format!(
                "cannot send the journal to NATS ({subject}: {}): {} kept in memory, sent as soon \
                 as NATS takes them; until then a standby cannot take over with them. The show \
                 goes on here.",
                printable(error),
                lines(*pending)
            );
            if *dropped > 0 {
                body.push_str(&format!(" {} already lost.", lines(*dropped)));
            }
            Alert {
                summary: "JOURNAL NOT REPLICATED".to_owned(),
                body,
            }
        }
        JournalNotice::Replicated { subject } => Alert {
            summary: "Journal replicated again".to_owned(),
            body: format!("NATS has every line of {subject}"),
        },
    }
}

/// `1 line`, `3 lines`.
fn lines(n: usize) -> String {
    if n == 1 {
        "1 line".to_owned()
    } else {
        format!("{n} lines")
    }
}

struct Notifier {
    enabled: bool,
    warned: bool,
}

impl Notifier {
    async fn notify(&mut self, show: &Arc<Show>, alert: Alert) {
        if !self.enabled {
            return;
        }
        let title = printable(&show.title).into_owned();
        // notify-rust blocks on D-Bus, and a service that accepts a call but never replies blocks
        // it forever. So it runs on a thread of its own, detached: the show waits for it only
        // under a timeout, and the process exits without it (a thread of tokio's blocking pool
        // would keep the runtime, and so the process, from ever shutting down).
        let (sent, result) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("podium-notify".into())
            .spawn(move || {
                let shown = notify_rust::Notification::new()
                    .appname("podium")
                    .summary(&alert.summary)
                    .body(&format!("{}\n{title}", alert.body))
                    .timeout(notify_rust::Timeout::Milliseconds(10_000))
                    .show()
                    .map(|_| ());
                let _ = sent.send(shown);
            });
        if let Err(e) = spawned {
            self.fail(&format!("cannot start a thread: {e}"));
            return;
        }
        match tokio::time::timeout(NOTIFY_TIMEOUT, result).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => self.fail(&format!("{e}")),
            Ok(Err(_)) => self.fail("the notification thread failed"),
            Err(_) => {
                self.fail("the notification service did not answer");
                self.enabled = false;
            }
        }
    }

    fn fail(&mut self, why: &str) {
        if !self.warned {
            self.warned = true;
            tracing::warn!(
                "desktop notifications unavailable ({why}); alerts go to the terminal only"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_alert_names_its_room_when_there_are_several() {
        let alert = || super::Alert {
            summary: "Over time".into(),
            body: "b".into(),
        };
        assert_eq!(
            super::in_room(Some("Room XIX"), alert()).summary,
            "Room XIX: Over time"
        );
        assert_eq!(super::in_room(None, alert()).summary, "Over time");
    }

    use super::*;

    #[test]
    fn a_hard_stop_alerts_the_moderator_and_a_hand_over_does_not() {
        let show = crate::show::load_str(
            std::path::Path::new("t.toml"),
            "[[segment]]\ntitle = \"Talk\"\nspeaker = \"A\"\nduration = \"5m\"\non_end = \"stop\"\n",
        )
        .expect("a valid show");
        let alert = describe(&show, &Event::Stopped { index: 0 }).expect("an alert");
        assert_eq!(alert.summary, "Time is up: stopped at 0:00");
        assert_eq!(alert.body, "1. Talk — A");
        assert_eq!(describe(&show, &Event::Started { index: 0 }), None);
    }
}
