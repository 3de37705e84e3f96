//! Command-line definitions (clap derive). The `///` comments are the `--help` text. Only the
//! syntax of plain values is checked here; `podium run`'s arguments become a validated
//! [`crate::config::RunConfig`] in one step.

use std::path::PathBuf;
use std::time::Duration;

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
    /// Validate session and event files: one line per file, exit status 2 if any is broken.
    Check {
        /// Run-of-show or event TOML files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the planned timetable, in the session's zone and any others; for an event, every
    /// room's in turn after an overview of the rooms (or one room with --room).
    Plan {
        /// Run-of-show or event TOML file.
        file: PathBuf,
        /// The room of an event to plan, by its id.
        #[arg(long, value_name = "ID")]
        room: Option<String>,
        /// Start time: "2021-06-10T14:00" (in the session's zone) or RFC 3339 with an offset.
        #[arg(long)]
        start: Option<String>,
        /// Also show times in this IANA zone (repeatable), e.g. --tz America/Toronto.
        #[arg(long = "tz")]
        zones: Vec<String>,
        /// Output: a text table, JSON, CSV (spreadsheets) or ICS (one calendar event per segment).
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Include the moderator-only notes (for the organiser's own copy; never for speakers).
        #[arg(long)]
        with_notes: bool,
    },
    /// Turn a CSV (from a spreadsheet) or a plain-text agenda into a session file.
    Import(ImportArgs),
    /// Run the show: serve the speaker and moderator pages and drive the countdown.
    Run(RunArgs),
    /// Show the speaker view in this terminal (big digits, colours), following a running podium.
    /// Without a terminal (a pipe, a log) it prints one line per change, once a second while the
    /// countdown runs. Reconnects by itself; Ctrl-C quits.
    Follow {
        /// The speaker view's address, e.g. http://127.0.0.1:8080/
        url: String,
        /// Your name in the moderator's list of connected screens.
        #[arg(long)]
        name: Option<String>,
    },
    /// Serve the rooms a moderator's podium publishes on NATS (`podium run … --nats URL`) to the
    /// viewers near this machine: the same pages and sockets; commands with a token go to the
    /// moderator's machine. Stateless: run as many as you need (README: Beyond one machine).
    Relay(RelayArgs),
    /// Make a standby the primary now: releases the event's lease on NATS; the primary stops
    /// accepting commands at its next renewal and a standby (`podium run … --standby`) takes over.
    Takeover {
        /// The NATS server, e.g. nats://10.0.0.5:4222
        #[arg(long, value_name = "URL")]
        nats: String,
        /// The event's id, as in the subjects [default: the only event holding a lease there].
        #[arg(long, value_name = "ID")]
        event: Option<String>,
    },
    /// Planned-versus-actual report of a recorded run; several journals are compared. An event's
    /// journals (or its run directory) give the whole event, then each room.
    Report {
        /// Journal files (runs/*.jsonl) of the same show, or of an event's rooms; or an event's
        /// run directory (runs/EVENT-…/).
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
    /// A .csv (comma, semicolon or tab), .xlsx or .ods with a header row (title, speaker, kind,
    /// duration, min, max, at, notes; also in French, German, Spanish; "Duration (min)"), or a .txt
    /// agenda with minute marks ("Introduction: organisers (8')") or time ranges ("10:15 - 13:00 …"),
    /// or a conference schedule as pretalx and frab export it (schedule.json, schedule.xml): one
    /// session per room and day.
    pub file: PathBuf,
    /// Write the session here (refuses to overwrite); default: standard output.
    #[arg(long, conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,
    /// Write every session of a conference schedule (one per room and day) into this directory,
    /// created if need be; refuses to overwrite any file.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Overwrite the files --out or --out-dir would write.
    #[arg(long)]
    pub force: bool,
    /// Which room of a conference schedule to import (with --day N when it has several days).
    #[arg(long, value_name = "NAME")]
    pub room: Option<String>,
    /// The session's title (default: the agenda's first line, or the file name; for a conference
    /// schedule, the conference's name before " — room — date").
    #[arg(long)]
    pub title: Option<String>,
    /// The session's IANA time zone, e.g. Europe/Zurich.
    #[arg(long)]
    pub timezone: Option<String>,
    /// The date of the session ("2017-10-12"): with time ranges, sets `start` and `end`; of a
    /// conference schedule, chooses that day.
    #[arg(long)]
    pub date: Option<String>,
    /// Which day of a multi-day agenda or conference schedule to import (1, 2, …).
    #[arg(long)]
    pub day: Option<usize>,
    /// Which sheet of an .xlsx or .ods workbook to import, by name or number (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// The NATS server the moderator's podium publishes to, e.g. nats://10.0.0.5:4222
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// Address to listen on, as for `run`: use 0.0.0.0:8081 to let remote viewers connect.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub bind: String,
    /// Serve this event (its id in the subjects) [default: the first one seen].
    #[arg(long, value_name = "ID")]
    pub event: Option<String>,
    /// Serve HTTPS/WSS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Let other sites frame the pages (OBS browser sources, dashboards); default: forbidden.
    #[arg(long)]
    pub allow_framing: bool,
    /// Let pages from this web origin read the live state (repeatable), as for `run`.
    #[arg(long = "allow-origin", value_name = "URL", value_parser = crate::server::origin::normalize)]
    pub allow_origins: Vec<String>,
    /// Most open connections, viewers included; more are refused with 503.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A run-of-show TOML file; or an event file (its rooms); or several session files, one room
    /// each (the room's id is the file's name: a.toml → /r/a/).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Address to listen on: ADDRESS:PORT, a port alone (on 127.0.0.1), localhost:PORT, or a host
    /// name; use 0.0.0.0:8080 to let remote speakers connect.
    // Parsed and resolved with the other arguments, in `config`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Moderator token (default: 128 random bits). A session file only: each room of an event
    /// gets its own token, printed at start.
    #[arg(long, env = "PODIUM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The organiser's token, which controls and sees every room of an event (default: 128
    /// random bits, printed at start).
    #[arg(long, env = "PODIUM_ORGANISER_TOKEN", hide_env_values = true)]
    pub organiser_token: Option<String>,
    /// Show-time factor: 60 makes a minute pass in a second (rehearsals, demos, tests) [default: 1].
    #[arg(long, value_parser = parse_speed)]
    pub speed: Option<f64>,
    /// Where to record the run [default: runs/<show>-<UTC start>.jsonl]; for several rooms, a new
    /// directory that gets one journal per room [default: runs/<event>-<UTC start>/].
    #[arg(long, conflicts_with = "resume")]
    pub journal: Option<PathBuf>,
    /// Resume a crashed or stopped run from its journal [default: the newest unfinished one of this
    /// show in runs/]; for several rooms, the run's directory: every room resumes. Keeps tokens,
    /// speed and clock.
    #[arg(long, num_args = 0..=1, value_name = "JOURNAL")]
    pub resume: Option<Option<PathBuf>>,
    /// Mark the run as a rehearsal (the pages show a discreet badge).
    #[arg(long, conflicts_with = "resume")]
    pub rehearsal: bool,
    /// Do not send desktop notifications.
    #[arg(long)]
    pub no_notify: bool,
    /// Write each edit of the run-of-show back into its session file at once (as the control
    /// page's "Save to file" does: comments and layout kept; refused, and said, when the file
    /// changed on disk since it was loaded).
    #[arg(long)]
    pub write_back: bool,
    /// Serve HTTPS/WSS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, requires = "tls_key", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Let other sites frame the pages (OBS browser sources, dashboards); default: forbidden.
    #[arg(long)]
    pub allow_framing: bool,
    /// Let pages from this web origin read the live state (repeatable), e.g. --allow-origin
    /// https://relay.example.org; also the name a reverse proxy forwards as Host. The server's
    /// own pages, IP addresses, localhost and this machine's name need nothing.
    #[arg(long = "allow-origin", value_name = "URL", value_parser = crate::server::origin::normalize)]
    pub allow_origins: Vec<String>,
    /// Most open connections, viewers included; more are refused with 503.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Drop a viewer that cannot take an update, or answer a ping, for this long (e.g. "10s").
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    pub send_timeout: Duration,
    /// Close a connection that has not sent a complete request (or TLS handshake) for this long.
    #[arg(long, default_value = "10s", value_parser = parse_timeout)]
    pub handshake_timeout: Duration,
    /// Control commands one WebSocket connection (or one OSC sender's address) may send per second.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub commands_per_second: u32,
    /// Take commands over OSC (UDP) on this address: a port alone listens on 127.0.0.1; OSC has
    /// no password, so 0.0.0.0:PORT is warned about (docs/osc.md).
    #[arg(long, value_name = "ADDR")]
    pub osc_listen: Option<String>,
    /// Send the phase and remaining seconds over OSC to HOST:PORT (repeatable): lighting desks,
    /// QLab, vMix (docs/osc.md).
    #[arg(long = "osc-send", value_name = "HOST:PORT")]
    pub osc_send: Vec<String>,
    /// Connect to NATS (outbound only, e.g. nats://10.0.0.5:4222): publish each room's state for
    /// relays, copy the journal to JetStream for a standby, and hold the event's lease.
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    /// With --nats: follow the primary's journal on NATS and take over when its lease lapses (or
    /// on `podium takeover`); until then this machine serves its viewers and refuses commands.
    #[arg(long, requires = "nats", conflicts_with = "resume")]
    pub standby: bool,
    /// With --nats: how long the primary's lease lasts unrenewed before a standby takes over.
    #[arg(long, requires = "nats", default_value = "3s", value_parser = parse_lease)]
    pub lease: Duration,
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}; e.g. 10s or 500ms"))?;
    if d < Duration::from_millis(10) || d > Duration::from_secs(3600) {
        return Err("must be between 10ms and 1h".into());
    }
    Ok(d)
}

fn parse_lease(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}; e.g. 3s"))?;
    if d < Duration::from_millis(600) || d > Duration::from_secs(600) {
        return Err("must be between 600ms and 10min (the primary renews it every second)".into());
    }
    Ok(d)
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

    #[test]
    fn timeouts_are_validated() {
        assert_eq!(
            super::parse_timeout("250ms"),
            Ok(std::time::Duration::from_millis(250))
        );
        assert!(super::parse_timeout("0s").is_err());
        assert!(super::parse_timeout("2days").is_err());
        assert!(super::parse_timeout("soon").is_err());
    }
}
