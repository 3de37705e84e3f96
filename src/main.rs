//! The `podium` binary: parses the command line, sets up logging, calls into the library, prints
//! the error that ended a command and exits with the status it carries ([`podium::exit`]: 2, a
//! session file or argument is wrong; 1, anything else; 0 also when the reader of stdout left).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use podium::cli::{Cli, Cmd, Format, ImportArgs, PlanFormat, RunArgs};
use podium::config::RunConfig;
use podium::exit::{self, Failed, Status};
use podium::follow;
use podium::journal;
use podium::live;
use podium::report::{Comparison, Report};
use podium::show::{self, Timetable};
use tokio_util::sync::CancellationToken;

/// What a command returns: its error knows the exit status.
type Outcome = Result<(), Failed>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // A stderr that has gone away (a hung-up terminal) must not panic a running show: by
        // default the subscriber reports a failed write with `eprintln!`, which panics then.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PODIUM_LOG")
                .unwrap_or_else(|_| "podium=info".into()),
        )
        .init();
    let result = match cli.command {
        Cmd::Check { files } => check(&files),
        Cmd::Plan {
            file,
            room,
            start,
            zones,
            format,
            with_notes,
        } => plan(
            &file,
            room.as_deref(),
            start.as_deref(),
            &zones,
            format,
            with_notes,
        ),
        Cmd::Import(args) => import(args),
        Cmd::Report { journals, format } => report(&journals, format),
        Cmd::Run(args) => run(args),
        Cmd::Follow { url, name } => follow(&url, name.as_deref()),
        Cmd::Takeover { nats, event } => takeover(&nats, event.as_deref()),
        Cmd::Relay(args) => relay(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failed) => {
            if failed.status != Status::Quiet {
                warn(format_args!("podium: {}", chain(&failed.error)));
            }
            failed.status.into()
        }
    }
}

/// Writes a line to stderr; a closed stderr leaves only the exit status to tell, never a panic.
fn warn(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The error and its causes, each said once. Many errors already end with their cause's text
/// (`#[error("{context}: {source}")]` with `#[source]`, or io errors wrapped with their message),
/// so a cause whose text is already there is not repeated.
fn chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let said = cause.to_string();
        if said.is_empty() || text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
    }
    text
}

/// Writes `text` to standard output; a reader that has gone (a closed pipe) ends the command
/// quietly with status 0 instead of a panic.
fn emit(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            Failed::new(
                exit::of_output(&e),
                anyhow::Error::new(e).context("cannot write to standard output"),
            )
        })
}

/// Warns on stderr when an accepted zone is a legacy abbreviation such as `EST`.
fn warn_zone(what: &str, tz: chrono_tz::Tz) {
    if let Some(why) = show::zone_caution(tz) {
        warn(format_args!("podium: {what}: warning: {why}"));
    }
}

fn check(files: &[std::path::PathBuf]) -> Outcome {
    let mut broken = 0;
    for file in files {
        match show::load_event_file(file) {
            Ok(event) if event.is_single() => {
                let show = &event.rooms[0].show;
                emit(&format!(
                    "ok  {}: {} segments, {}\n",
                    file.display(),
                    show.segments.len(),
                    show::format_hms(show.total())
                ))?;
                for warning in Timetable::new(show, None).warnings() {
                    warn(format_args!("{}: warning: {warning}", file.display()));
                }
            }
            Ok(event) => {
                let ids: Vec<&str> = event.rooms.iter().map(|r| r.id.as_str()).collect();
                emit(&format!(
                    "ok  {}: event of {} rooms ({}), {} segments\n",
                    file.display(),
                    event.rooms.len(),
                    ids.join(", "),
                    event
                        .rooms
                        .iter()
                        .map(|r| r.show.segments.len())
                        .sum::<usize>()
                ))?;
                for room in &event.rooms {
                    for warning in Timetable::new(&room.show, None).warnings() {
                        warn(format_args!(
                            "{} (room {}): warning: {warning}",
                            file.display(),
                            room.id
                        ));
                    }
                }
                for (session, rooms) in event.shared_sessions() {
                    warn(format_args!(
                        "{}: note: rooms {} run the same session file {} (allowed: each room keeps its own clock and journal)",
                        file.display(),
                        rooms.join(", "),
                        session.display()
                    ));
                }
            }
            Err(e) => {
                broken += 1;
                warn(&e);
            }
        }
    }
    if broken > 0 {
        return Err(Failed::input(format!(
            "{broken} of {} session files are broken",
            files.len()
        )));
    }
    Ok(())
}

fn plan(
    file: &std::path::Path,
    room: Option<&str>,
    start: Option<&str>,
    zones: &[String],
    format: PlanFormat,
    with_notes: bool,
) -> Outcome {
    let event = show::load_event_file(file)?;
    let rooms: Vec<&show::Room> = match room {
        Some(id) => match event.room(id) {
            Some(room) => vec![room],
            None => {
                let ids: Vec<&str> = event.rooms.iter().map(|r| r.id.as_str()).collect();
                return Err(Failed::input(format!(
                    "--room {id:?}: {} has no such room; its rooms: {}",
                    file.display(),
                    ids.join(", ")
                )));
            }
        },
        None => event.rooms.iter().collect(),
    };
    if let [room] = rooms.as_slice() {
        return plan_show(&room.show, start, zones, format, with_notes);
    }
    if start.is_some() {
        return Err(Failed::input(
            "--start moves one show: add --room ID to plan one room of the event from another start",
        ));
    }
    if format != PlanFormat::Text {
        return Err(Failed::input(
            "an event's rooms are planned together as text only: add --room ID for JSON, CSV or ICS (one file per room)",
        ));
    }
    let zones = parse_zones(zones)?;
    let mut text = event_overview(&event);
    for room in rooms {
        text.push_str(&format!(
            "\n== {} — room {} ==\n",
            podium::term::printable(&room.name),
            room.id
        ));
        text.push_str(&show::render_with(
            &Timetable::new(&room.show, None),
            &zones,
            show::Format::Text,
            if with_notes {
                show::Notes::Include
            } else {
                show::Notes::Omit
            },
        )?);
    }
    emit(&text)
}

/// An event's rooms, one line each in the order of the file: id, when it runs (in the event's
/// zone), how many segments. Each room's timetable follows in full: one timetable per room reads
/// in 80 columns, where rooms side by side or a merged timeline with a room column would have
/// to cut every title short.
fn event_overview(event: &show::Event) -> String {
    let mut text = format!(
        "{}\n  {} rooms, times in {}\n\n  {:<14} {:<22} {:>8}  name\n",
        podium::term::printable(&event.title),
        event.rooms.len(),
        event.timezone,
        "room",
        "when",
        "segments"
    );
    for room in &event.rooms {
        let timetable = Timetable::new(&room.show, None);
        let when = match (room.show.start, timetable.rows.last().and_then(|r| r.end)) {
            (Some(start), Some(end)) => {
                let start = start.with_timezone(&event.timezone);
                let end = end.with_timezone(&event.timezone);
                format!(
                    "{} {}–{}",
                    start.format("%a %d %b"),
                    start.format("%H:%M"),
                    end.format("%H:%M")
                )
            }
            _ => format!("no start, {}", show::format_hms(room.show.total())),
        };
        let name: String = podium::term::printable(&room.name)
            .chars()
            .take(30)
            .collect();
        text.push_str(&format!(
            "  {:<14} {:<22} {:>8}  {}\n",
            room.id,
            when,
            room.show.segments.len(),
            name
        ));
    }
    text
}

fn plan_show(
    show: &show::Show,
    start: Option<&str>,
    zones: &[String],
    format: PlanFormat,
    with_notes: bool,
) -> Outcome {
    let start = start
        .map(|s| {
            show::parse_start(s, show.timezone)
                .map_err(|why| Failed::input(format!("--start: {why}")))
        })
        .transpose()?;
    let zones = parse_zones(zones)?;
    let format = match format {
        PlanFormat::Text => show::Format::Text,
        PlanFormat::Json => show::Format::Json,
        PlanFormat::Csv => show::Format::Csv,
        PlanFormat::Ics => show::Format::Ics,
    };
    emit(&show::render_with(
        &Timetable::new(show, start),
        &zones,
        format,
        if with_notes {
            show::Notes::Include
        } else {
            show::Notes::Omit
        },
    )?)
}

fn parse_zones(zones: &[String]) -> Result<Vec<chrono_tz::Tz>, Failed> {
    let zones = zones
        .iter()
        .map(|z| show::parse_zone(z).map_err(|why| Failed::input(format!("--tz: {why}"))))
        .collect::<Result<Vec<_>, _>>()?;
    for tz in &zones {
        warn_zone("--tz", *tz);
    }
    Ok(zones)
}

fn import(args: ImportArgs) -> Outcome {
    if let Some(Ok(tz)) = args.timezone.as_deref().map(show::parse_zone) {
        warn_zone("--timezone", tz);
    }
    let options = podium::import::Options {
        title: args.title,
        timezone: args.timezone,
        date: args.date,
        day: args.day,
        sheet: args.sheet,
        room: args.room,
    };
    if let Some(dir) = &args.out_dir {
        return import_into(&args.file, &options, dir, args.force);
    }
    let session = podium::import::import_file(&args.file, &options)?;
    for warning in &session.warnings {
        warn(format_args!(
            "podium: warning: {}",
            podium::term::printable(warning)
        ));
    }
    match args.out {
        Some(out) => {
            write_session(&out, &session.text, args.force, "--out")?;
            warn(format_args!(
                "podium: wrote {} ({} segments); check it with `podium plan {}`",
                out.display(),
                session.segments,
                out.display()
            ));
        }
        None => emit(&session.text)?,
    }
    Ok(())
}

/// `podium import --out-dir`: every session of the input (a conference schedule's rooms and
/// days) into `dir`; nothing is written when a file is already there, unless `force`.
fn import_into(
    file: &std::path::Path,
    options: &podium::import::Options,
    dir: &std::path::Path,
    force: bool,
) -> Outcome {
    let sessions = podium::import::import_all(file, options)?;
    let mut said = std::collections::HashSet::new();
    for warning in sessions.iter().flat_map(|n| &n.session.warnings) {
        if said.insert(warning) {
            warn(format_args!(
                "podium: warning: {}",
                podium::term::printable(warning)
            ));
        }
    }
    let mut paths: Vec<std::path::PathBuf> =
        sessions.iter().map(|n| dir.join(&n.file_name)).collect();
    // A schedule's rooms and days become an event that names their files (issue 12).
    let event = (sessions.len() > 1).then(|| event_of(&sessions, options));
    if let Some((name, _)) = &event {
        paths.push(dir.join(name));
    }
    let there: Vec<String> = paths
        .iter()
        .filter(|p| p.exists())
        .map(|p| format!("\n  {}", p.display()))
        .collect();
    if !force && !there.is_empty() {
        return Err(Failed::input(format!(
            "{} of the files to write already exist{}; nothing was written: remove them, choose \
             another --out-dir, or add --force to overwrite them:{}",
            there.len(),
            if there.len() == 1 { "s" } else { "" },
            there.concat()
        )));
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))
        .map_err(Failed::other)?;
    for (named, path) in sessions.iter().zip(&paths) {
        write_session(path, &named.session.text, force, "--out-dir")?;
        warn(format_args!(
            "podium: wrote {} — {}",
            path.display(),
            podium::term::printable(&named.label)
        ));
    }
    if let Some((name, text)) = &event {
        let path = dir.join(name);
        write_session(&path, text, force, "--out-dir")?;
        warn(format_args!(
            "podium: wrote {} — the event, one room per session; check it with `podium plan {}`",
            path.display(),
            path.display()
        ));
        return Ok(());
    }
    if let Some(first) = paths.first() {
        warn(format_args!(
            "podium: {} session file{} in {}; check each with `podium plan {}`",
            paths.len(),
            if paths.len() == 1 { "" } else { "s" },
            dir.display(),
            first.display()
        ));
    }
    Ok(())
}

/// The event file of a schedule's sessions (its name, its text): one `[[room]]` per (day,
/// room), its id made from the session's file name, named "Room — date", the title the
/// conference's (`--title`, else the sessions' title before " — ").
fn event_of(
    sessions: &[podium::import::Named],
    options: &podium::import::Options,
) -> (String, String) {
    let stems: Vec<&str> = sessions
        .iter()
        .map(|n| n.file_name.trim_end_matches(".toml"))
        .collect();
    // The name's common part ("fowf2026-"), up to a dash, names the event's file.
    let mut common = stems.first().copied().unwrap_or_default();
    for stem in &stems {
        while !stem.starts_with(common) {
            let mut chars = common.chars();
            chars.next_back();
            common = chars.as_str();
        }
    }
    let common = common.rfind('-').map_or("", |at| &common[..=at]);
    let title = options.title.clone().unwrap_or_else(|| {
        sessions
            .first()
            .and_then(|n| toml::from_str::<toml::Table>(&n.session.text).ok())
            .and_then(|t| t.get("title").and_then(|v| v.as_str()).map(str::to_owned))
            .map(|t| t.split(" — ").next().unwrap_or_default().to_owned())
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "Conference".into())
    });
    let mut used = std::collections::HashSet::new();
    let rooms: Vec<toml::Value> = sessions
        .iter()
        .zip(&stems)
        .enumerate()
        .map(|(n, (named, stem))| {
            let mut id = room_id(&stem[common.len()..]);
            if !podium_core::event::valid_id(&id) || !used.insert(id.clone()) {
                id = format!("room-{}", n + 1);
                used.insert(id.clone());
            }
            let name = match (&named.room, named.day) {
                (Some(room), Some((_, date))) => format!("{room} — {date}"),
                (Some(room), None) => room.clone(),
                _ => id.clone(),
            };
            let mut room = toml::Table::new();
            room.insert("id".into(), id.into());
            room.insert("name".into(), name.into());
            room.insert("session".into(), named.file_name.clone().into());
            toml::Value::Table(room)
        })
        .collect();
    let mut event = toml::Table::new();
    event.insert("title".into(), title.into());
    event.insert("room".into(), toml::Value::Array(rooms));
    let text = toml::to_string(&event).unwrap_or_default();
    (format!("{common}event.toml"), text)
}

/// A room id from a file name's words: lowercase ASCII, accents dropped ("salle-des-assemblées"
/// → "salle-des-assemblees"), at most the longest id.
fn room_id(words: &str) -> String {
    let mut id = String::new();
    for c in words.chars().flat_map(char::to_lowercase) {
        let c = podium_core::text::fold_accent(c);
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    let id: String = id.chars().take(podium_core::event::MAX_ID_CHARS).collect();
    id.trim_end_matches('-').to_owned()
}

/// Writes a session file: a new one, or over an old one with `force`.
fn write_session(path: &std::path::Path, text: &str, force: bool, flag: &str) -> Outcome {
    let mut open = std::fs::OpenOptions::new();
    open.write(true);
    if force {
        open.create(true).truncate(true);
    } else {
        open.create_new(true);
    }
    let mut file = open.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Failed::input(format!(
            "{} already exists: remove it, choose another {flag}, or add --force to overwrite it",
            path.display()
        )),
        _ => Failed::other(
            anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
        ),
    })?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
        .map_err(Failed::other)
}

fn report(journals: &[std::path::PathBuf], format: Format) -> Outcome {
    // An event's run directory stands for its rooms' journals.
    let mut files = Vec::new();
    for path in journals {
        if path.is_dir() {
            let mut inside: Vec<std::path::PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read the directory {}", path.display()))
                .map_err(|e| Failed::new(Status::Input, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                .collect();
            if inside.is_empty() {
                return Err(Failed::input(format!(
                    "{} holds no journal (*.jsonl): name an event's run directory or journal files",
                    path.display()
                )));
            }
            inside.sort();
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
    }
    let reports = files
        .iter()
        .map(|j| journal::read(j).map(|r| Report::from_journal(&r)))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(event) = podium::report::EventReport::group(&reports) {
        event.check()?;
        return emit(&match format {
            Format::Md => event.markdown(),
            Format::Csv => event.csv()?,
            Format::Json => event.json() + "\n",
        });
    }
    let text = if let [one] = reports.as_slice() {
        match format {
            Format::Md => one.markdown(),
            Format::Csv => one.csv()?,
            Format::Json => one.json() + "\n",
        }
    } else {
        let cmp = Comparison::check(&reports)?;
        match format {
            Format::Md => cmp.markdown(),
            Format::Csv => cmp.csv()?,
            Format::Json => cmp.json() + "\n",
        }
    };
    emit(&text)
}

/// Validates the arguments into one config (nothing is bound or written before they all pass),
/// then runs the show.
fn run(args: RunArgs) -> Outcome {
    let config = RunConfig::from_args(args)?;
    let rt = tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")
        .map_err(Failed::other)?;
    rt.block_on(live::run(config))?;
    Ok(())
}

/// `podium relay`: serves what a moderator's podium publishes on NATS, until Ctrl-C or SIGTERM.
fn relay(args: podium::cli::RelayArgs) -> Outcome {
    let config = podium::nats::relay::RelayConfig::from_args(args)?;
    let rt = tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")
        .map_err(Failed::other)?;
    rt.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(live::shutdown_on_signal(shutdown.clone()));
        podium::nats::relay::run(config, shutdown).await
    })?;
    Ok(())
}

/// `podium takeover`: releases the event's lease so that a standby becomes the primary.
fn takeover(url: &str, event: Option<&str>) -> Outcome {
    let rt = tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")
        .map_err(Failed::other)?;
    let said = rt.block_on(podium::nats::standby::release(url, event))?;
    emit(&format!("podium: {}\n", podium::term::printable(&said)))
}

fn follow(url: &str, name: Option<&str>) -> Outcome {
    let url = follow::socket_url(url, name)?;
    let rt = tokio::runtime::Runtime::new()
        .context("cannot start the async runtime")
        .map_err(Failed::other)?;
    rt.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(live::shutdown_on_signal(shutdown.clone()));
        follow::run(url, shutdown).await
    })?;
    Ok(())
}
