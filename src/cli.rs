//! Command-line definitions (clap derive). The `///` comments are the `--help` text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Keeps live webinar sessions on time: a countdown for remote speakers, driven by a run-of-show.
#[derive(Debug, Parser)]
#[command(name = "podium", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Validate session files: one line per file, exit status 2 if any is broken.
    Check {
        /// Run-of-show TOML files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the planned timetable, in the session's zone and any others.
    Plan {
        /// Run-of-show TOML file.
        file: PathBuf,
        /// Start time: "2021-06-10T14:00" (in the session's zone) or RFC 3339 with an offset.
        #[arg(long)]
        start: Option<String>,
        /// Also show times in this IANA zone (repeatable), e.g. --tz America/Toronto.
        #[arg(long = "tz")]
        zones: Vec<String>,
        /// Output: a text table, JSON, CSV (spreadsheets) or ICS (one calendar event per segment).
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
    },
    /// Turn a CSV (from a spreadsheet) or a plain-text agenda into a session file.
    Import(ImportArgs),
    /// Run the show: serve the speaker and moderator pages and drive the countdown.
    Run(RunArgs),
    /// Planned-versus-actual report of a recorded run; several journals are compared.
    Report {
        /// Journal files (runs/*.jsonl) of the same show.
        #[arg(required = true)]
        journals: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Csv,
    Json,
}

/// Output formats of `podium plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Csv,
    Ics,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A .csv with a header row (title, speaker, kind, duration, min, max, at, notes), or a .txt
    /// agenda with minute marks ("Introduction: organisers (8')") or time ranges ("10:15 - 13:00 …").
    pub file: PathBuf,
    /// Write the session here (refuses to overwrite); default: standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The session's title (default: the agenda's first line, or the file name).
    #[arg(long)]
    pub title: Option<String>,
    /// The session's IANA time zone, e.g. Europe/Zurich.
    #[arg(long)]
    pub timezone: Option<String>,
    /// The date of the session ("2017-10-12"): with time ranges, sets `start` and `end`.
    #[arg(long)]
    pub date: Option<String>,
    /// Which day of a multi-day agenda to import (1, 2, …).
    #[arg(long)]
    pub day: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run-of-show TOML file.
    pub file: PathBuf,
    /// Address to listen on; use 0.0.0.0:8080 to let remote speakers connect.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Moderator token (default: 128 random bits).
    #[arg(long, env = "PODIUM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Show-time factor: 60 makes a minute pass in a second (rehearsals, demos, tests) [default: 1].
    #[arg(long, value_parser = parse_speed)]
    pub speed: Option<f64>,
    /// Where to record the run [default: runs/<show>-<UTC start>.jsonl].
    #[arg(long, conflicts_with = "resume")]
    pub journal: Option<PathBuf>,
    /// Resume a crashed or stopped run from its journal [default: the newest unfinished one of this
    /// show in runs/]. Keeps its token, speed and clock.
    #[arg(long, num_args = 0..=1, value_name = "JOURNAL")]
    pub resume: Option<Option<PathBuf>>,
    /// Mark the run as a rehearsal (the pages show a discreet badge).
    #[arg(long, conflicts_with = "resume")]
    pub rehearsal: bool,
    /// Do not send desktop notifications.
    #[arg(long)]
    pub no_notify: bool,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number; e.g. --speed 60"))?;
    if v.is_finite() && (0.001..=100_000.0).contains(&v) {
        Ok(v)
    } else {
        Err("speed must be between 0.001 and 100000".into())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn speed_is_validated() {
        assert_eq!(super::parse_speed("60"), Ok(60.0));
        assert!(super::parse_speed("0").is_err());
        assert!(super::parse_speed("NaN").is_err());
        assert!(super::parse_speed("fast").is_err());
    }
}
