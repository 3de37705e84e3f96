//! Turning what organisers already have into a session file: a spreadsheet's CSV or a sheet of
//! an `.xlsx`/`.ods` workbook ([`table`], [`sheet`]), a plain-text agenda ([`agenda`]), or a
//! conference schedule as pretalx and frab export it ([`schedule`]: one session per room and day,
//! [`import_all`]). All produce draft segments; this module writes
//! them as session TOML (with the `toml` crate) and validates the result with the loader, so an
//! import never yields a file that `podium run` would refuse. Every refusal names the input's line:
//! the parsers check what they can (lengths up to a day, without overflow), and whatever the
//! loader still refuses in a segment is reported at the input line the segment came from. The
//! TOML is written by the serializer only; the input's file name goes into the header comment
//! escaped, so no name can add a line of its own.

mod agenda;
mod schedule;
mod sheet;
mod table;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

use crate::show::{self, Kind, LoadError, NotUtf8};

/// How to import: what the input cannot say for itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub title: Option<String>,
    pub timezone: Option<String>,
    /// `YYYY-MM-DD`: with clock times, the session gets a `start`.
    pub date: Option<String>,
    /// 1-based day of a multi-day agenda.
    pub day: Option<usize>,
    /// The sheet of a workbook to read, by name or 1-based number (default: the first).
    pub sheet: Option<String>,
    /// The room of a conference schedule to import.
    pub room: Option<String>,
}

/// A session file, ready to write.
#[derive(Debug, Clone)]
pub struct Imported {
    pub text: String,
    pub segments: usize,
    /// What was read but not used (columns, sheets): `FILE:LINE: …`, for standard error.
    pub warnings: Vec<String>,
}

/// One input line that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

/// Why an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: cannot read it: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{}:{}: {source}", source.line, source.col)]
    NotUtf8 {
        path: PathBuf,
        #[source]
        source: NotUtf8,
    },
    #[error(
        "{path}: cannot tell what this is: name a spreadsheet .csv, .tsv, .xlsx or .ods, an agenda .txt, and a conference schedule .json or .xml"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{}", problems_text(path, problems))]
    Rows {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    /// Text that is not well-formed (a schedule's JSON or XML), at its line and column.
    #[error("{path}:{line}:{col}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("the imported session does not validate (please report this): {0}")]
    Invalid(#[from] LoadError),
}

fn problems_text(path: &Path, problems: &[Problem]) -> String {
    let mut text = format!(
        "{}: {} line{} cannot be imported; fix {} and import again:",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        if problems.len() == 1 { "it" } else { "them" },
    );
    for p in problems.iter().take(MAX_LISTED) {
        text.push_str(&format!("\n  {}:{}: {}", path.display(), p.line, p.message));
    }
    if problems.len() > MAX_LISTED {
        text.push_str(&format!(
            "\n  … and {} more lines not listed",
            problems.len() - MAX_LISTED
        ));
    }
    text
}

/// The most refused lines listed: a schedule of 150,000 clashing events gave 24 MB of them.
const MAX_LISTED: usize = 50;

/// The longest segment an import accepts, as the loader does.
const MAX_LENGTH: Duration = Duration::from_secs(24 * 3600);

/// Why `d`, written `text` in the input, cannot be a segment's length.
pub(crate) fn too_long(d: Duration, text: &str) -> Option<String> {
    (d > MAX_LENGTH).then(|| {
        format!("{text:?} is longer than a day: a segment lasts at most 24 hours (\"24h\")")
    })
}

/// A segment as read from the input, before it becomes TOML.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Draft {
    /// The input's line the segment comes from (its row, mark or time range).
    pub line: usize,
    pub title: String,
    pub speaker: Option<String>,
    pub kind: Kind,
    pub duration: Duration,
    pub min: Option<Duration>,
    pub max: Option<Duration>,
    pub at: Option<NaiveTime>,
    pub notes: Option<String>,
}

/// What an input yields: segments, and what it says about the session itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed {
    pub title: Option<String>,
    pub segments: Vec<Draft>,
    /// The end of the last time range (agendas with clock times).
    pub end: Option<NaiveTime>,
}

/// The most segments imported into one session. A CSV of 21 MB (1,500,000 rows) was written out
/// as one session after 18 s and 4 GB; no room's day has a thousand items.
const MAX_SEGMENTS: usize = 1000;

/// The largest input read (a big conference's whole schedule is a few megabytes).
pub(crate) const MAX_INPUT: u64 = 32 * 1024 * 1024;

/// One session of an import, named: what [`import_all`] returns.
#[derive(Debug, Clone)]
pub struct Named {
    /// A file name for it, unique among the import's sessions (`democon-day1-gray-room.toml`).
    pub file_name: String,
    /// What it is, for messages (`day 1, 2026-06-10, Saal 1: 4 talks, 09:00–11:30`).
    pub label: String,
    pub session: Imported,
    /// A schedule's day (its index and date) and room.
    pub day: Option<(usize, NaiveDate)>,
    pub room: Option<String>,
}

/// What an input file yields: one session, or a conference schedule's sessions.
enum Yield {
    One(Imported),
    Schedule(Vec<Named>),
}

/// Reads `path` (`.csv`, `.tsv`, `.xlsx`, `.ods`, `.txt`, or a conference schedule `.json` or
/// `.xml`) and returns the session file's text. A schedule with several rooms or days needs
/// `options.room` and `options.day` (or `options.date`) to say which; [`import_all`] gives them all.
pub fn import_file(path: &Path, options: &Options) -> Result<Imported, ImportError> {
    match read_input(path, options)? {
        Yield::One(session) => Ok(session),
        Yield::Schedule(sessions) => {
            let mut chosen = choose(path, sessions, options)?;
            if chosen.len() == 1 {
                return Ok(chosen.remove(0).session);
            }
            Err(ImportError::Input {
                path: path.to_owned(),
                message: format!(
                    "the schedule holds {} sessions (one per room and day): write them all with \
                     --out-dir DIR, or pick one with --day N --room NAME:{}",
                    chosen.len(),
                    listing(&chosen)
                ),
            })
        }
    }
}

/// Reads `path` as [`import_file`] does and returns every session it holds: one for a
/// spreadsheet or an agenda, one per room and day for a conference schedule (only those of
/// `options.room` and `options.day`, or `options.date`, when given).
pub fn import_all(path: &Path, options: &Options) -> Result<Vec<Named>, ImportError> {
    match read_input(path, options)? {
        Yield::One(session) => {
            let stem = path
                .file_stem()
                .map(|s| slug(&s.to_string_lossy()))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "session".into());
            Ok(vec![Named {
                file_name: format!("{stem}.toml"),
                label: format!("{} segments", session.segments),
                session,
                day: None,
                room: None,
            }])
        }
        Yield::Schedule(sessions) => choose(path, sessions, options),
    }
}

/// The sessions of a schedule that `options` name (all when it names none).
fn choose(path: &Path, sessions: Vec<Named>, options: &Options) -> Result<Vec<Named>, ImportError> {
    let input = |message: String| ImportError::Input {
        path: path.to_owned(),
        message,
    };
    let date = match &options.date {
        Some(text) => Some(
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| input(format!("--date {text:?}: write it like 2026-06-10")))?,
        ),
        None => None,
    };
    let fold = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let on_day = |n: &Named| {
        n.day.is_some_and(|(index, day)| {
            options.day.is_none_or(|d| d == index) && date.is_none_or(|d| d == day)
        })
    };
    let in_room = |n: &Named, exact: bool| match (&options.room, &n.room) {
        (None, _) => true,
        (Some(want), Some(room)) if exact => want == room,
        (Some(want), Some(room)) => fold(want) == fold(room),
        (Some(_), None) => false,
    };
    // An exact name wins; otherwise case and spaces do not matter.
    let exact = sessions.iter().any(|n| on_day(n) && in_room(n, true));
    let (chosen, other): (Vec<Named>, Vec<Named>) = sessions
        .into_iter()
        .partition(|n| on_day(n) && in_room(n, exact));
    if chosen.is_empty() {
        return Err(input(format!(
            "no session of the schedule is on {}{}; it holds:{}",
            match (options.day, date) {
                (Some(d), _) => format!("day {d}"),
                (None, Some(d)) => format!("{d}"),
                (None, None) => "any day".into(),
            },
            options
                .room
                .as_ref()
                .map(|r| format!(" in room {r:?}"))
                .unwrap_or_default(),
            listing(&other)
        )));
    }
    Ok(chosen)
}

/// One line per session: how to choose it, and what it is.
fn listing(sessions: &[Named]) -> String {
    sessions
        .iter()
        .map(|n| match (&n.day, &n.room) {
            (Some((index, _)), Some(room)) => {
                format!("\n  --day {index} --room {room:?}   {}", n.label)
            }
            _ => format!("\n  {}", n.label),
        })
        .collect()
}

/// A file-name part of `text`: lower-case letters and digits, words joined by `-`; nothing that
/// could leave a directory (`/`, `..`) or hide a file.
fn slug(text: &str) -> String {
    let words = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    words
        .chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Reads an input file: a workbook, or text (bounded by [`MAX_INPUT`]; UTF-8, or Excel's UTF-16),
/// told apart by its extension, and a conference schedule by its content as well.
fn read_input(path: &Path, options: &Options) -> Result<Yield, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if let Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods") = ext.as_deref() {
        return import_workbook(path, options).map(Yield::One);
    }
    let bytes = read_bounded(path)?;
    // Excel's "Unicode Text" (tab-separated) is UTF-16 with a byte-order mark.
    let wide = match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(rest) => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            Some(String::from_utf16(&units).map_err(|_| ImportError::Input {
                path: path.to_owned(),
                message: "the file starts as UTF-16 text but is not: save it as UTF-8".into(),
            })?)
        }
        None => None,
    };
    let text = match &wide {
        Some(text) => text.as_str(),
        None => show::utf8(&bytes).map_err(|source| ImportError::NotUtf8 {
            path: path.to_owned(),
            source,
        })?,
    };
    // A conference schedule by its extension, or by its content whatever its name (a download
    // saved as `schedule` or `export.txt`).
    let schedule = match ext.as_deref() {
        Some("json") => Some(schedule::Format::Json),
        Some("xml") => Some(schedule::Format::Xml),
        Some("csv" | "tsv" | "tab" | "txt" | "text" | "md") => {
            schedule::shape(text).filter(|_| schedule::is_schedule(text))
        }
        _ => schedule::shape(text),
    };
    if let Some(format) = schedule {
        return import_schedule(path, text, format, options).map(Yield::Schedule);
    }
    match ext.as_deref() {
        Some("csv" | "tsv" | "tab") => import_csv(path, text, options),
        // Excel saves a tab-separated sheet as .txt.
        Some("txt") if table::is_tab_table(text) => import_csv(path, text, options),
        Some("txt" | "text" | "md") => import_text(path, text, options),
        _ => Err(ImportError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
    .map(Yield::One)
}

/// The file's bytes, refused past [`MAX_INPUT`] (read no further than that).
fn read_bounded(path: &Path) -> Result<Vec<u8>, ImportError> {
    use std::io::Read as _;
    let read = |source| ImportError::Read {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(read)?
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(ImportError::Input {
            path: path.to_owned(),
            message: too_large(),
        });
    }
    Ok(bytes)
}

fn too_large() -> String {
    format!(
        "the file is larger than {} MiB, more than any agenda or schedule: is it the right file?",
        MAX_INPUT / (1024 * 1024)
    )
}

/// Imports every (day, room) of a conference schedule; `path` is only used in messages.
/// `options.title` replaces the conference's title, `options.timezone` the schedule's zone.
fn import_schedule(
    path: &Path,
    text: &str,
    format: schedule::Format,
    options: &Options,
) -> Result<Vec<Named>, ImportError> {
    let refused = |e: schedule::ScheduleError| match e {
        schedule::ScheduleError::Syntax { line, col, message } => ImportError::Syntax {
            path: path.to_owned(),
            line,
            col,
            message,
        },
        schedule::ScheduleError::Problems(problems) => ImportError::Rows {
            path: path.to_owned(),
            problems,
        },
        schedule::ScheduleError::Input(message) => ImportError::Input {
            path: path.to_owned(),
            message,
        },
    };
    let mut parsed = schedule::parse(text, format).map_err(refused)?;
    if let Some(title) = &options.title {
        parsed.title = title.clone();
    }
    let given = match &options.timezone {
        Some(name) => Some(show::parse_zone(name).map_err(|why| ImportError::Input {
            path: path.to_owned(),
            message: format!("--timezone: {why}"),
        })?),
        None => None,
    };
    let (tz, warnings) = schedule::zone(&parsed, given).map_err(refused)?;
    let sessions = schedule::plan(&parsed, tz).map_err(refused)?;
    let acronym = match slug(&parsed.acronym) {
        a if a.is_empty() => slug(&parsed.title),
        a => a,
    };
    let mut names = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(sessions.len());
    for s in sessions {
        let header = Header {
            start: Some(s.start.to_rfc3339()),
            end: Some(s.end.to_rfc3339()),
            timezone: Some(tz.name().to_owned()),
        };
        let label = format!(
            "day {}, {}, {}: {} talk{}, {}–{}",
            s.day,
            s.date,
            s.room,
            s.talks,
            if s.talks == 1 { "" } else { "s" },
            s.start.format("%H:%M"),
            s.end.format("%H:%M")
        );
        let drafts = Parsed {
            title: Some(s.title),
            segments: s.drafts,
            end: None,
        };
        let session = finish_with(path, drafts, &Options::default(), header)?;
        let base = [acronym.clone(), format!("day{}", s.day), slug(&s.room)]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let mut file_name = format!("{base}.toml");
        let mut n = 2;
        while !names.insert(file_name.clone()) {
            file_name = format!("{base}-{n}.toml");
            n += 1;
        }
        out.push(Named {
            file_name,
            label,
            session,
            day: Some((s.day, s.date)),
            room: Some(s.room),
        });
    }
    // Every session carries the schedule's warnings: any of them may be the one chosen.
    let warnings = warnings_text(path, &warnings);
    for named in &mut out {
        named.session.warnings.clone_from(&warnings);
    }
    Ok(out)
}

/// Imports a spreadsheet's CSV; `path` is only used in messages.
pub fn import_csv(path: &Path, text: &str, options: &Options) -> Result<Imported, ImportError> {
    let (parsed, warnings) = table::parse(text).map_err(|problems| ImportError::Rows {
        path: path.to_owned(),
        problems,
    })?;
    let mut imported = finish(path, parsed, options)?;
    imported.warnings = warnings_text(path, &warnings);
    Ok(imported)
}

/// Imports a sheet of an `.xlsx`, `.ods` (or `.xls`, `.xlsb`) workbook: the first, or
/// `options.sheet`. Problems name the sheet's row, and the cell (`Programme!C4`).
pub fn import_workbook(path: &Path, options: &Options) -> Result<Imported, ImportError> {
    // Like any input (`read_bounded`); the cells are bounded too (`sheet`).
    if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_INPUT) {
        return Err(ImportError::Input {
            path: path.to_owned(),
            message: too_large(),
        });
    }
    let (parsed, warnings) = sheet::parse(path, options.sheet.as_deref()).map_err(|e| match e {
        sheet::SheetError::Rows(problems) => ImportError::Rows {
            path: path.to_owned(),
            problems,
        },
        sheet::SheetError::Input(message) => ImportError::Input {
            path: path.to_owned(),
            message,
        },
    })?;
    let mut imported = finish(path, parsed, options)?;
    imported.warnings = warnings_text(path, &warnings);
    Ok(imported)
}

fn warnings_text(path: &Path, warnings: &[Problem]) -> Vec<String> {
    warnings
        .iter()
        .map(|w| match w.line {
            0 => format!("{}: {}", path.display(), w.message),
            line => format!("{}:{line}: {}", path.display(), w.message),
        })
        .collect()
}

/// Imports a plain-text agenda; `path` is only used in messages.
pub fn import_text(path: &Path, text: &str, options: &Options) -> Result<Imported, ImportError> {
    let input = |message: String| ImportError::Input {
        path: path.to_owned(),
        message,
    };
    let days = agenda::parse(text).map_err(|problems| ImportError::Rows {
        path: path.to_owned(),
        problems,
    })?;
    let parsed = match (days.len(), options.day) {
        (1, None | Some(1)) => days.into_iter().next(),
        (n, None) => {
            return Err(input(format!(
                "the agenda has {n} days: import one at a time with --day 1 … --day {n}"
            )));
        }
        (n, Some(day)) => {
            if day == 0 || day > n {
                return Err(input(format!(
                    "--day {day}: the agenda has {n} day{}",
                    if n == 1 { "" } else { "s" }
                )));
            }
            days.into_iter().nth(day - 1)
        }
    };
    finish(path, parsed.unwrap_or_default(), options)
}

#[derive(Serialize)]
struct FileOut {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<String>,
    segment: Vec<SegmentOut>,
}

#[derive(Serialize)]
struct SegmentOut {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    speaker: Option<String>,
    kind: &'static str,
    duration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
}

fn length(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Writes the session TOML and checks it with the loader.
fn finish(path: &Path, parsed: Parsed, options: &Options) -> Result<Imported, ImportError> {
    finish_with(path, parsed, options, Header::default())
}

/// What an input can say of the session itself, beyond its segments (a schedule's times carry
/// their dates and zone). The options, when given, win.
#[derive(Debug, Default)]
struct Header {
    start: Option<String>,
    end: Option<String>,
    timezone: Option<String>,
}

fn finish_with(
    path: &Path,
    parsed: Parsed,
    options: &Options,
    header: Header,
) -> Result<Imported, ImportError> {
    let input = |message: String| ImportError::Input {
        path: path.to_owned(),
        message,
    };
    if parsed.segments.is_empty() {
        return Err(input(
            "no segments found: a table needs rows under its header; an agenda needs lines with \
             minute marks (\"Introduction: organisers (8')\") or time ranges (\"10:15 - 13:00 Panel 1\")"
                .into(),
        ));
    }
    if parsed.segments.len() > MAX_SEGMENTS {
        return Err(input(format!(
            "{} segments, more than the {MAX_SEGMENTS} podium imports into one session (one \
             room's day): is it the right file?",
            parsed.segments.len()
        )));
    }
    let timezone = match &options.timezone {
        Some(name) => Some(
            show::parse_zone(name)
                .map_err(|why| input(format!("--timezone: {why}")))?
                .name()
                .to_owned(),
        ),
        None => header.timezone,
    };
    let start = match &options.date {
        Some(date) => {
            let day = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| input(format!("--date {date:?}: write it like 2017-10-12")))?;
            let first = parsed.segments.first().and_then(|s| s.at).ok_or_else(|| {
                input("--date needs clock times on the first segment (an `at`); otherwise add `start` by hand".into())
            })?;
            Some(day.and_time(first).format("%Y-%m-%dT%H:%M:%S").to_string())
        }
        None => header.start,
    };
    let title = options.title.clone().or(parsed.title).unwrap_or_else(|| {
        path.file_stem().map_or_else(
            || "Imported session".into(),
            // A file name is one line of plain words, whatever bytes it holds.
            |s| {
                crate::term::printable(&s.to_string_lossy())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            },
        )
    });
    let count = parsed.segments.len();
    let lines: Vec<usize> = parsed.segments.iter().map(|d| d.line).collect();
    let file = FileOut {
        title,
        start,
        timezone,
        end: header
            .end
            .or_else(|| parsed.end.map(|t| t.format("%H:%M").to_string())),
        segment: parsed
            .segments
            .into_iter()
            .map(|d| SegmentOut {
                title: d.title,
                speaker: d.speaker,
                kind: d.kind.as_str(),
                duration: length(d.duration),
                min: d.min.map(length),
                max: d.max.map(length),
                at: d.at.map(|t| t.format("%H:%M").to_string()),
                notes: d.notes,
            })
            .collect(),
    };
    let body = toml::to_string(&file).map_err(|e| input(format!("cannot write TOML: {e}")))?;
    // A comment cannot be escaped in TOML, so the name is written as a quoted string with every
    // control character escaped (`\n`): it stays on its one line.
    let name = path.display().to_string();
    let text = format!(
        "# Imported by `podium import` from \"{}\".\n# Check titles, speakers and kinds; add `min` \
         where a segment may be shortened.\n\n{body}",
        name.escape_debug()
    );
    if let Err(e) = show::load_str(path, &text) {
        return Err(at_input_line(path, &text, &lines, e));
    }
    Ok(Imported {
        text,
        segments: count,
        warnings: Vec::new(),
    })
}

/// A refusal of the generated session, named at the input's line: the segment the loader points
/// into is found by its `[[segment]]` header, and its draft knows the line it came from. What is
/// not in a segment came from the options (`--date`, `--timezone`).
fn at_input_line(path: &Path, text: &str, lines: &[usize], e: LoadError) -> ImportError {
    let LoadError::Invalid { line, message, .. } = &e else {
        return ImportError::Invalid(e);
    };
    // Where each segment starts, from the generated TOML's own spans (a line of a multi-line
    // note could look like a header; the parser is not fooled).
    #[derive(serde::Deserialize)]
    struct Segments {
        #[serde(default)]
        segment: Vec<toml::Spanned<toml::Table>>,
    }
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let starts: Vec<usize> = toml::from_str::<Segments>(text)
        .map(|s| s.segment.iter().map(|t| line_of(t.span().start)).collect())
        .unwrap_or_default();
    let index = starts.iter().rposition(|start| start <= line);
    match index.and_then(|i| lines.get(i)) {
        Some(&input) => ImportError::Rows {
            path: path.to_owned(),
            problems: vec![Problem {
                line: input,
                message: message.clone(),
            }],
        },
        None => ImportError::Input {
            path: path.to_owned(),
            message: message.clone(),
        },
    }
}

/// Guesses a segment's kind from its title's words, English, French, German and Spanish
/// (documented in the README).
pub(crate) fn guess_kind(title: &str) -> Kind {
    let lower = title.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '&'))
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if has(&[
        "q&a",
        "questions",
        "discussion",
        "q&r",
        "fragen",
        "diskussion",
        "preguntas",
        "p&r",
    ]) {
        Kind::Qa
    } else if has(&[
        "closing",
        "concluding",
        "farewell",
        "clôture",
        "cloture",
        "schluss",
        "schlusswort",
        "abschluss",
        "clausura",
        "cierre",
    ]) {
        Kind::Closing
    } else if has(&[
        "introduction",
        "welcome",
        "welcoming",
        "opening",
        "bienvenue",
        "accueil",
        "ouverture",
        "begrüßung",
        "begrüssung",
        "eröffnung",
        "bienvenida",
        "apertura",
    ]) {
        Kind::Intro
    } else if has(&[
        "break",
        "lunch",
        "coffee",
        "pause",
        "déjeuner",
        "kaffeepause",
        "mittagspause",
        "mittagessen",
        "pausa",
        "almuerzo",
    ]) {
        Kind::Break
    } else {
        Kind::Talk
    }
}

/// A kind written in a CSV cell.
pub(crate) fn parse_kind(text: &str) -> Option<Kind> {
    let text = text.trim().to_lowercase();
    [
        Kind::Intro,
        Kind::Talk,
        Kind::Qa,
        Kind::Break,
        Kind::Closing,
        Kind::Other,
    ]
    .into_iter()
    .find(|k| k.as_str() == text || (text == "q&a" && *k == Kind::Qa))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_of_rooms_stay_in_their_directory() {
        assert_eq!(slug("Saal Grün"), "saal-grün");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug(".hidden"), "hidden");
        assert_eq!(slug("/"), "");
        assert!(slug(&"Room ".repeat(50)).len() <= 60);
    }

    #[test]
    fn kinds_are_guessed_from_words() {
        assert_eq!(guess_kind("Questions and Answers (Q&A) session"), Kind::Qa);
        assert_eq!(guess_kind("Closing remarks"), Kind::Closing);
        assert_eq!(guess_kind("Opening segment"), Kind::Intro);
        assert_eq!(guess_kind("Lunch / Space for side-events"), Kind::Break);
        assert_eq!(
            guess_kind("SUMMARY PANEL: Synopsis of the main conclusions and outcomes"),
            Kind::Talk
        );
        assert_eq!(guess_kind("Breakthroughs in policy"), Kind::Talk);
        assert_eq!(guess_kind("Ouverture de la séance"), Kind::Intro);
        assert_eq!(guess_kind("Fragen und Diskussion"), Kind::Qa);
        assert_eq!(guess_kind("Clôture"), Kind::Closing);
        assert_eq!(guess_kind("Pausa para el café"), Kind::Break);
    }
}
