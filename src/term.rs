//! Text bound for a terminal, made safe to print, and output that may have gone away.
//!
//! Titles, speakers and messages come from session files, imports and (for `podium follow`) a
//! server that may be hostile. Printed raw, an escape sequence in them could move the cursor,
//! retitle the window or write the user's clipboard (OSC 52). [`printable`] keeps the text and
//! drops every control character (C0, DEL, C1), so nothing a show contains is ever interpreted by
//! the terminal. It must not touch what podium itself writes (colours, cursor moves): callers
//! clean the data, then decorate it.
//!
//! [`say`] prints a line to stdout for a long-running process (`run`) and ignores a stdout that
//! has gone away (closed pipe, hung-up terminal): output is a courtesy there, never a reason to
//! stop the show.

use std::io::Write;

pub use podium_core::text::printable;

/// Prints `line` and a newline to stdout; a failed write (the pipe or terminal is gone) is
/// ignored, never a panic.
pub fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// After the terminal is gone (hangup): standard input becomes the read end of a pipe nobody
/// writes, so whatever still reads it waits instead of spinning. crossterm's event reader, once
/// started, keeps polling fd 0, and a dead tty is readable forever with `read` returning 0: that
/// loop spins at a fifth of a core or more for the rest of the show (crossterm-rs/crossterm#793,
/// unfixed in 0.29). The pipe's write end is kept open (leaked on purpose) so the read never ends.
pub fn park_stdin() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let (read, write) = rustix::pipe::pipe()?;
        rustix::stdio::dup2_stdin(&read)?;
        std::mem::forget(write);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn strips_escape_sequences_and_keeps_text() {
        // OSC 52 (clipboard write), CSI (clear screen), a bell, C1 CSI.
        let hostile = "Opening\x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b[2JChair\u{9b}31m";
        let clean = printable(hostile);
        assert!(!clean.chars().any(char::is_control), "{clean:?}");
        assert!(clean.starts_with("Opening]52;c;"));
        assert!(clean.contains("Chair"));
    }

    #[test]
    fn newlines_become_spaces_and_plain_text_is_borrowed() {
        assert_eq!(printable("a\nb\tc"), "a b c");
        assert!(matches!(
            printable("Café — 5′"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
