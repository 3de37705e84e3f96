//! Turning what organisers already have into a session file: a spreadsheet's CSV or a sheet of
//! an `.xlsx`/`.ods` workbook ([`table`], [`sheet`]) or a plain-text agenda ([`agenda`]). Both produce draft segments; this module writes
//! them as session TOML (with the `toml` crate) and validates the result with the loader, so an
//! import never yields a file that `podium run` would refuse. Every refusal names the input's line:
//! the parsers check what they can (lengths up to a day, without overflow), and whatever the
//! loader still refuses in a segment is reported at the input line the segment came from. The
//! TOML is written by the serializer only; the input's file name goes into the header comment
//! escaped, so no name can add a line of its own.

mod agenda;
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
        "{path}: cannot tell what this is: name a spreadsheet .csv, .tsv, .xlsx or .ods, and an agenda .txt"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{}", problems_text(path, problems))]
    Rows {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
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
    for p in problems {
        text.push_str(&format!("\n  {}:{}: {}", path.display(), p.line, p.message));
    }
    text
}

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

/// Reads `path` (`.csv`, `.tsv`, `.xlsx`, `.ods` or `.txt`) and returns the session file's text.
pub fn import_file(path: &Path, options: &Options) -> Result<Imported, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if let Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods") = ext.as_deref() {
        return import_workbook(path, options);
    }
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_owned(),
        source,
    })?;
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
    match ext.as_deref() {
        Some("csv" | "tsv" | "tab") => import_csv(path, text, options),
        // Excel saves a tab-separated sheet as .txt.
        Some("txt") if table::is_tab_table(text) => import_csv(path, text, options),
        Some("txt" | "text" | "md") => import_text(path, text, options),
        _ => Err(ImportError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
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
    let timezone = match &options.timezone {
        Some(name) => Some(
            show::parse_zone(name)
                .map_err(|why| input(format!("--timezone: {why}")))?
                .name()
                .to_owned(),
        ),
        None => None,
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
        None => None,
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
        end: parsed.end.map(|t| t.format("%H:%M").to_string()),
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
