//! Exit statuses, decided by the error that ends a command: every error a command can return
//! says which status it means ([`Exit::exit_status`]), so `main` prints it and exits with that
//! status without guessing from the error's type.
//!
//! The documented statuses: `0` success (also a reader that left: `podium plan … | head -1`),
//! `2` the fix is in the user's input (a session file, a journal, an argument: the message says
//! where and how), `1` anything else (the machine: a port in use, a failing disk).

use std::io::ErrorKind;

use crate::follow::FollowError;
use crate::import::ImportError;
use crate::journal::JournalError;
use crate::report::ReportError;
use crate::show::{EventError, ExportError, LoadError};

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done, or the reader of standard output went away: nothing to say (0).
    Quiet,
    /// Something on this machine failed: a port in use, a disk, the runtime (1).
    Failure,
    /// The user's input needs fixing: a session file, journal or argument (2).
    Input,
}

impl Status {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Quiet => 0,
            Status::Failure => 1,
            Status::Input => 2,
        }
    }
}

impl From<Status> for std::process::ExitCode {
    fn from(status: Status) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// An error that knows the exit status it ends a command with.
pub trait Exit: std::error::Error {
    fn exit_status(&self) -> Status;
}

/// An error that ended a command, with the status it ends it with: `?` turns any [`Exit`] error
/// into one, and an error without a type of its own says its status where it is made.
#[derive(Debug)]
pub struct Failed {
    pub status: Status,
    pub error: anyhow::Error,
}

impl Failed {
    pub fn new(status: Status, error: impl Into<anyhow::Error>) -> Failed {
        Failed {
            status,
            error: error.into(),
        }
    }

    /// The machine failed (status 1).
    pub fn other(error: impl Into<anyhow::Error>) -> Failed {
        Failed::new(Status::Failure, error)
    }

    /// The user's input needs fixing (status 2); `why` says how.
    pub fn input(why: impl Into<String>) -> Failed {
        Failed::new(Status::Input, anyhow::Error::msg(why.into()))
    }
}

impl<E: Exit + Send + Sync + 'static> From<E> for Failed {
    fn from(e: E) -> Failed {
        Failed::new(e.exit_status(), e)
    }
}

/// `Input` when the user's input needs fixing, else `Failure`.
fn input_if(input: bool) -> Status {
    if input {
        Status::Input
    } else {
        Status::Failure
    }
}

/// A write to standard output or the terminal: a reader that went away (`| head -1`) is a quiet
/// end, any other failure a failure.
pub fn of_output(e: &std::io::Error) -> Status {
    if e.kind() == ErrorKind::BrokenPipe {
        Status::Quiet
    } else {
        Status::Failure
    }
}

impl Exit for LoadError {
    /// The session file: missing, unreadable or invalid, each with its remedy.
    fn exit_status(&self) -> Status {
        Status::Input
    }
}

impl Exit for EventError {
    /// The event file, or a session it names: missing, unreadable or invalid, each with its
    /// remedy.
    fn exit_status(&self) -> Status {
        Status::Input
    }
}

impl Exit for ExportError {
    fn exit_status(&self) -> Status {
        match self {
            ExportError::NoStart => Status::Input,
            // Writing CSV into memory failed: not something the user can fix.
            ExportError::Csv(_) => Status::Failure,
        }
    }
}

impl Exit for ImportError {
    fn exit_status(&self) -> Status {
        match self {
            // The importer produced a session the loader refuses: a bug in podium.
            ImportError::Invalid(_) => Status::Failure,
            _ => Status::Input,
        }
    }
}

impl Exit for ReportError {
    fn exit_status(&self) -> Status {
        match self {
            ReportError::DifferentShows(..) => Status::Input,
            ReportError::Csv(_) => Status::Failure,
        }
    }
}

impl Exit for JournalError {
    /// A changed show, a damaged or missing journal are the user's to fix; I/O is the machine's.
    /// A journal the user named that does not exist (or cannot be read) is input too.
    fn exit_status(&self) -> Status {
        match self {
            JournalError::Io { source, .. } => input_if(matches!(
                source.kind(),
                ErrorKind::NotFound | ErrorKind::PermissionDenied | ErrorKind::IsADirectory
            )),
            _ => Status::Input,
        }
    }
}

impl Exit for FollowError {
    fn exit_status(&self) -> Status {
        match self {
            FollowError::BadUrl { .. } => Status::Input,
            FollowError::Terminal(e) => of_output(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(Status::Quiet.code(), 0);
        assert_eq!(Status::Failure.code(), 1);
        assert_eq!(Status::Input.code(), 2);
    }

    #[test]
    fn a_reader_that_left_is_quiet_and_other_output_failures_are_failures() {
        let gone = std::io::Error::from(ErrorKind::BrokenPipe);
        assert_eq!(of_output(&gone), Status::Quiet);
        assert_eq!(FollowError::Terminal(gone).exit_status(), Status::Quiet);
        let full = std::io::Error::from(ErrorKind::StorageFull);
        assert_eq!(of_output(&full), Status::Failure);
    }

    #[test]
    fn a_missing_journal_is_input_and_a_failing_disk_is_not() {
        let io = |kind| JournalError::Io {
            path: "runs/x.jsonl".into(),
            source: std::io::Error::from(kind),
        };
        assert_eq!(io(ErrorKind::NotFound).exit_status(), Status::Input);
        assert_eq!(io(ErrorKind::StorageFull).exit_status(), Status::Failure);
    }
}
