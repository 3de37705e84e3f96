//! A table of segments, as organisers keep them: a CSV exported from a spreadsheet (read here
//! with the `csv` crate) or a sheet of a workbook (its cells are turned into text by
//! [`super::sheet`] and read by the same rules). The first non-empty row is the header; it names
//! some of `title, speaker, kind, duration, min, max, at, notes` in any order, in English, French,
//! German or Spanish (case, accents and spaces ignored; [`NAMES`]). Columns it does not know are
//! ignored with a warning naming them. A length column may name its unit, "Duration (min)",
//! "Dauer (Sek.)", "Durée en heures", "Duration (mm:ss)": a bare number counts in that unit
//! (minutes when none is named), and `h:mm` or `mm:ss` read the two-part form that is otherwise
//! ambiguous. Lengths are `8`, `7.5`, `8m`, `1h 30m` or `0:08:00`, at most a day. Empty rows are
//! skipped; every bad row is reported with its line (a sheet's row), all at once.
//!
//! A CSV's delimiter — comma, semicolon (Excel in French, German and Swiss locales) or tab — is
//! taken from its header line, counting only the delimiters outside quotes; Excel's `sep=;`
//! first line is honoured. A cell that `podium plan --format csv` defused with a leading `'`
//! (`'=SUM(…)`) is read without it, and a plan's own CSV imports back: its computed columns
//! (index, flex, offset, anchor_late, start and end times) are ignored without a warning, and its
//! lengths under an hour (`8:00`) are read as minutes and seconds, as the plan writes them.

use std::time::Duration;

use super::{Draft, Parsed, Problem, guess_kind, parse_kind, too_long};
use crate::show::{format_hms, parse_time_of_day};

const TITLE: usize = 0;
const SPEAKER: usize = 1;
const KIND: usize = 2;
const DURATION: usize = 3;
const MIN: usize = 4;
const MAX: usize = 5;
const AT: usize = 6;
const NOTES: usize = 7;

/// The columns' own names, as messages and the README give them.
const COLUMNS: [&str; 8] = [
    "title", "speaker", "kind", "duration", "min", "max", "at", "notes",
];

/// The header names each column is known by, folded (lower case, no accents, single spaces):
/// English, French, German, Spanish.
const NAMES: [&[&str]; 8] = [
    &[
        "title",
        "topic",
        "item",
        "session",
        "titre",
        "intitule",
        "sujet",
        "titel",
        "thema",
        "programmpunkt",
        "titulo",
        "tema",
    ],
    &[
        "speaker",
        "speakers",
        "presenter",
        "presenters",
        "intervenant",
        "intervenants",
        "intervenante",
        "orateur",
        "oratrice",
        "orateurs",
        "referent",
        "referentin",
        "referenten",
        "referent/in",
        "referent:in",
        "sprecher",
        "sprecherin",
        "sprecher/in",
        "redner",
        "rednerin",
        "vortragende",
        "vortragender",
        "ponente",
        "ponentes",
        "orador",
        "oradora",
        "oradores",
    ],
    &[
        "kind",
        "type",
        "category",
        "genre",
        "categorie",
        "art",
        "typ",
        "kategorie",
        "tipo",
        "categoria",
    ],
    &[
        "duration",
        "length",
        "duree",
        "dauer",
        "lange",
        "zeitdauer",
        "duracion",
    ],
    &[
        "min",
        "minimum",
        "shortest",
        "min duration",
        "minimum duration",
        "duree min",
        "duree minimale",
        "mindestdauer",
        "min dauer",
        "minimo",
        "duracion minima",
    ],
    &[
        "max",
        "maximum",
        "longest",
        "max duration",
        "maximum duration",
        "duree max",
        "duree maximale",
        "hochstdauer",
        "maximaldauer",
        "max dauer",
        "maximo",
        "duracion maxima",
    ],
    &[
        "at",
        "time",
        "start",
        "start time",
        "heure",
        "debut",
        "heure de debut",
        "horaire",
        "uhrzeit",
        "zeit",
        "beginn",
        "startzeit",
        "hora",
        "inicio",
        "hora de inicio",
    ],
    &[
        "notes",
        "note",
        "comments",
        "comment",
        "remarks",
        "remarques",
        "commentaires",
        "commentaire",
        "notizen",
        "bemerkungen",
        "anmerkungen",
        "kommentar",
        "hinweise",
        "notas",
        "observaciones",
        "comentarios",
    ],
];

/// What a bare number (and the two-part `a:b` form) means in a length column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Minutes,
    Seconds,
    Hours,
    /// `1:30` is an hour and a half (numbers are minutes).
    HoursMinutes,
    /// `8:00` is eight minutes (numbers are minutes).
    MinutesSeconds,
}

impl Unit {
    fn parse(folded: &str) -> Option<Unit> {
        let word = folded.trim().trim_end_matches('.').trim();
        Some(match word {
            "min" | "mins" | "minute" | "minutes" | "minuten" | "minuto" | "minutos" | "mn"
            | "m" => Unit::Minutes,
            "s" | "sec" | "secs" | "second" | "seconds" | "sek" | "sekunde" | "sekunden"
            | "seconde" | "secondes" | "seg" | "segundo" | "segundos" => Unit::Seconds,
            "h" | "hr" | "hrs" | "hour" | "hours" | "std" | "stunde" | "stunden" | "heure"
            | "heures" | "hora" | "horas" => Unit::Hours,
            "h:mm" | "hh:mm" => Unit::HoursMinutes,
            "m:ss" | "mm:ss" => Unit::MinutesSeconds,
            "h:mm:ss" | "hh:mm:ss" => Unit::Minutes,
            _ => return None,
        })
    }

    fn seconds(self) -> u64 {
        match self {
            Unit::Seconds => 1,
            Unit::Hours => 3600,
            _ => 60,
        }
    }
}

/// How a column's cells are read: a sheet turns a cell into text by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Length,
    TimeOfDay,
    Text,
}

/// Where a cell is, for messages: nothing for a CSV (its line says it), `Programme!C4: ` for a
/// sheet. Arguments: the row's line and the cell's index in the row.
pub(crate) type Locate<'a> = &'a dyn Fn(usize, usize) -> String;

/// A header row, read.
#[derive(Debug)]
pub(crate) struct Header {
    column: [Option<usize>; 8],
    unit: [Unit; 8],
    /// `podium plan --format csv`'s own header.
    plan: bool,
}

/// One row of the table: its line (a sheet's row number) and its cells as text.
#[derive(Debug)]
pub(crate) struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Lower case, accents dropped, spaces, `_` and `-` as one space, no trailing `:` or `.`.
fn fold(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match podium_core::text::fold_accent(c) {
            c if c.is_whitespace() || c == '_' || c == '-' => ' ',
            c => c,
        };
        let repeated_space = c == ' ' && (out.is_empty() || out.ends_with(' '));
        if !repeated_space {
            out.push(c);
        }
    }
    out.trim_end_matches([' ', ':']).to_owned()
}

fn column_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|names| names.contains(&name))
}

fn is_length(c: usize) -> bool {
    matches!(c, DURATION | MIN | MAX)
}

/// A header cell → its column and unit. `Err` for a length column with a unit podium does not
/// know; `Ok(None)` for a column podium does not read.
fn header_cell(text: &str) -> Result<Option<(usize, Option<Unit>)>, String> {
    let folded = fold(text);
    if let Some(c) = column_of(&folded) {
        return Ok(Some((c, None)));
    }
    // "Duration (min)", "Dauer [Sek.]", "Speaker(s)", "Start (CET)".
    if let Some(open) = folded.find(['(', '[']) {
        let name = folded[..open].trim();
        let inside = folded[open + 1..].trim_end_matches([')', ']', ' ', '.']);
        if let Some(c) = column_of(name) {
            if !is_length(c) {
                return Ok(Some((c, None)));
            }
            return match Unit::parse(inside) {
                Some(unit) => Ok(Some((c, Some(unit)))),
                None => Err(format!(
                    "column {text:?}: unknown unit {inside:?}: write min, s, h, h:mm or mm:ss"
                )),
            };
        }
    }
    // "Duration in minutes", "Durée en minutes", "Duración en minutos".
    for joint in [" in ", " en "] {
        if let Some((name, unit)) = folded.split_once(joint)
            && let Some(c) = column_of(name).filter(|c| is_length(*c))
            && let Some(unit) = Unit::parse(unit)
        {
            return Ok(Some((c, Some(unit))));
        }
    }
    Ok(None)
}

impl Header {
    /// Reads the header row; problems name `line`. Warnings (columns ignored) come back with it.
    pub(crate) fn read(
        cells: &[String],
        line: usize,
        locate: Locate,
    ) -> Result<(Header, Vec<Problem>), Vec<Problem>> {
        let folded: Vec<String> = cells.iter().map(|c| fold(c)).collect();
        let plan = ["index", "flex", "offset", "anchor late"]
            .iter()
            .all(|n| folded.iter().any(|f| f == n));
        let default = if plan {
            Unit::MinutesSeconds
        } else {
            Unit::Minutes
        };
        let mut header = Header {
            column: [None; 8],
            unit: [default; 8],
            plan,
        };
        let mut problems = Vec::new();
        let mut ignored = Vec::new();
        for (i, name) in cells.iter().enumerate() {
            if name.trim().is_empty() {
                continue;
            }
            let problem = |message: String| Problem {
                line,
                message: format!("{}{message}", locate(line, i)),
            };
            match header_cell(name) {
                Ok(Some((c, unit))) if header.column[c].is_none() => {
                    header.column[c] = Some(i);
                    if let Some(unit) = unit {
                        header.unit[c] = unit;
                    }
                }
                Ok(Some((c, _))) => problems.push(problem(format!(
                    "column {name:?} is the {} column again: keep one",
                    COLUMNS[c]
                ))),
                Ok(None) => ignored.push(i),
                Err(message) => problems.push(problem(message)),
            }
        }
        for required in [TITLE, DURATION] {
            if header.column[required].is_none() {
                problems.push(Problem {
                    line,
                    message: format!(
                        "the header has no {:?} column: add it (the columns are {})",
                        COLUMNS[required],
                        COLUMNS.join(", ")
                    ),
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut warnings = Vec::new();
        if !ignored.is_empty() && !plan {
            let names: Vec<String> = ignored
                .iter()
                .map(|&i| {
                    let at = locate(line, i);
                    let at = at.trim_end_matches([':', ' ']);
                    if at.is_empty() {
                        format!("{:?}", cells[i])
                    } else {
                        format!("{:?} ({at})", cells[i])
                    }
                })
                .collect();
            warnings.push(Problem {
                line,
                message: format!(
                    "column{} {} ignored: podium reads {}",
                    if names.len() == 1 { "" } else { "s" },
                    names.join(", "),
                    COLUMNS.join(", ")
                ),
            });
        }
        Ok((header, warnings))
    }

    /// How the cells of the row's `i`-th column are read.
    pub(crate) fn role(&self, i: usize) -> Role {
        match self.column.iter().position(|c| *c == Some(i)) {
            Some(DURATION | MIN | MAX) => Role::Length,
            Some(AT) => Role::TimeOfDay,
            _ => Role::Text,
        }
    }
}

/// Reads a CSV's text.
pub(crate) fn parse(text: &str) -> Result<(Parsed, Vec<Problem>), Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Excel's "sep=;" line names the delimiter; the lines below it keep their numbers.
    let (text, delimiter, skipped) = match text.split_once('\n') {
        Some((first, rest))
            if first.trim_end().len() == 5 && first.to_ascii_lowercase().starts_with("sep=") =>
        {
            (rest, first.as_bytes()[4], 1)
        }
        _ => (text, sniff(text), 0),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => rows.push(Row {
                line: record.position().map_or(0, |p| p.line() as usize) + skipped,
                cells: record.iter().map(str::to_owned).collect(),
            }),
            Err(e) => problems.push(Problem {
                line: e
                    .position()
                    .map_or(rows.len().max(1), |p| p.line() as usize)
                    + skipped,
                message: format!("not readable as CSV: {e}"),
            }),
        }
    }
    let Some(at) = header_row(&rows) else {
        return if problems.is_empty() {
            Ok((Parsed::default(), Vec::new()))
        } else {
            Err(problems)
        };
    };
    let mut rows = rows.into_iter();
    let above: Vec<Row> = rows.by_ref().take(at).collect();
    let Some(first) = rows.next() else {
        return Err(problems);
    };
    let no_place = |_: usize, _: usize| String::new();
    let (header, mut warnings) = Header::read(&first.cells, first.line, &no_place)?;
    warnings.extend(above_header(&above, first.line));
    let parsed = segments(&header, rows, &no_place, problems)?;
    Ok((parsed, warnings))
}

/// Which row is the header: the first that names a title and a duration column, within the
/// first few rows (a sheet's title, a date line above it), else the first non-empty row.
pub(crate) fn header_row(rows: &[Row]) -> Option<usize> {
    let filled = |r: &Row| r.cells.iter().any(|c| !c.trim().is_empty());
    let names = |r: &Row, c: usize| {
        r.cells
            .iter()
            .any(|cell| matches!(header_cell(cell), Ok(Some((found, _))) if found == c))
    };
    rows.iter()
        .take(10)
        .position(|r| names(r, TITLE) && names(r, DURATION))
        .or_else(|| rows.iter().position(filled))
}

/// A warning for the non-empty rows above the header, which are not read.
pub(crate) fn above_header(above: &[Row], header: usize) -> Option<Problem> {
    let skipped: Vec<usize> = above
        .iter()
        .filter(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
        .map(|r| r.line)
        .collect();
    let first = *skipped.first()?;
    Some(Problem {
        line: first,
        message: format!(
            "{} above the header (line {header}) ignored",
            if skipped.len() == 1 {
                format!("line {first}")
            } else {
                format!("lines {first}–{}", skipped[skipped.len() - 1])
            }
        ),
    })
}

/// Whether a `.txt` is a tab-separated sheet (Excel's "Text (Tab delimited)"): its first line
/// names a title and a duration column between tabs.
pub(crate) fn is_tab_table(text: &str) -> bool {
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let has = |c: usize| {
        first.split('\t').any(|cell| {
            matches!(header_cell(cell.trim_matches([' ', '"'])), Ok(Some((found, _))) if found == c)
        })
    };
    first.contains('\t') && has(TITLE) && has(DURATION)
}

/// The delimiter of the header line: the most frequent of `,` `;` and tab outside quotes (a
/// comma when there is none).
fn sniff(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted && counts.iter().any(|c| c.1 > 0) => break,
            _ if quoted => {}
            _ => {
                if let Some(c) = counts.iter_mut().find(|c| c.0 == b) {
                    c.1 += 1;
                }
            }
        }
    }
    // The first of the most frequent: a comma wins a tie.
    let most = counts.iter().map(|c| c.1).max().unwrap_or(0);
    counts.iter().find(|c| c.1 == most).map_or(b',', |c| c.0)
}

/// The segments of the rows under `header`; `problems` already found come first.
pub(crate) fn segments(
    header: &Header,
    rows: impl Iterator<Item = Row>,
    locate: Locate,
    mut problems: Vec<Problem>,
) -> Result<Parsed, Vec<Problem>> {
    let mut segments: Vec<Draft> = Vec::new();
    let mut last_at = None;
    for row in rows {
        let line = row.line;
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| {
            header.column[c]
                .and_then(|i| row.cells.get(i))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(undefused)
        };
        let place = |c: usize| header.column[c].map_or_else(String::new, |i| locate(line, i));
        match read_row(line, header, &cell) {
            Ok(draft)
                if draft
                    .at
                    .is_some_and(|at| last_at.is_some_and(|before| at < before)) =>
            {
                problems.push(Problem {
                    line,
                    message: format!(
                        "{}`at` is earlier than an anchor above it: anchors follow the running \
                         order; put a second day in its own file",
                        place(AT)
                    ),
                })
            }
            Ok(draft) => {
                last_at = draft.at.or(last_at);
                segments.push(draft);
            }
            Err((c, message)) => problems.push(Problem {
                line,
                message: format!("{}{message}", place(c)),
            }),
        }
    }
    if problems.is_empty() {
        Ok(Parsed {
            title: None,
            segments,
            end: None,
        })
    } else {
        Err(problems)
    }
}

/// A cell as written before `csv_text` defused it: `'=SUM(A1)` → `=SUM(A1)`. A quote before
/// anything else is the cell's own text.
fn undefused(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// One row → a draft, or the column at fault and why.
fn read_row<'a>(
    line: usize,
    header: &Header,
    cell: &dyn Fn(usize) -> Option<&'a str>,
) -> Result<Draft, (usize, String)> {
    let title = cell(TITLE).ok_or((
        TITLE,
        "the title is empty: give the programme's wording".to_owned(),
    ))?;
    let duration = match cell(DURATION) {
        Some(d) => parse_length(d, header.unit[DURATION])
            .map_err(|why| (DURATION, format!("duration: {why}")))?,
        None => {
            return Err((
                DURATION,
                format!("{title:?} has no duration: e.g. 8, 8m or 0:08:00"),
            ));
        }
    };
    let optional = |c: usize| {
        cell(c)
            .map(|v| {
                parse_length(v, header.unit[c]).map_err(|why| (c, format!("{}: {why}", COLUMNS[c])))
            })
            .transpose()
    };
    let mut min = optional(MIN)?;
    let max = optional(MAX)?;
    if let Some(m) = min.filter(|m| *m > duration) {
        return Err((
            MIN,
            format!(
                "min ({}) is longer than duration ({}): make it at most the duration",
                format_hms(m),
                format_hms(duration)
            ),
        ));
    }
    if let Some(m) = max.filter(|m| *m < duration) {
        return Err((
            MAX,
            format!(
                "max ({}) is shorter than duration ({}): make it at least the duration",
                format_hms(m),
                format_hms(duration)
            ),
        ));
    }
    if header.plan && min == Some(duration) {
        // The plan writes every segment's shortest length; equal to its length means no `min`.
        min = None;
    }
    let kind = match cell(KIND) {
        Some(k) => parse_kind(k).ok_or_else(|| {
            (
                KIND,
                format!("kind {k:?} is not one of intro, talk, qa, break, closing, other"),
            )
        })?,
        None => guess_kind(title),
    };
    let at = match cell(AT) {
        Some(a) => Some(parse_time_of_day(a).ok_or_else(|| {
            (
                AT,
                format!("at {a:?} is not a time of day: write it like 15:00"),
            )
        })?),
        None => None,
    };
    Ok(Draft {
        line,
        title: title.to_owned(),
        speaker: cell(SPEAKER).map(str::to_owned),
        kind,
        duration,
        min,
        max,
        at,
        notes: cell(NOTES).map(str::to_owned),
    })
}

/// `8` (in the column's unit, minutes by default), `7.5` or `7,5`, `8m`, `1h 30m`, `0:08:00`,
/// at most a day. `8:00` is refused unless the column's unit says minutes or hours.
fn parse_length(text: &str, unit: Unit) -> Result<Duration, String> {
    let text = text.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let d = if digits(text) {
        // More than fit in a u64 are "more than a day" too, never a wrapped-around value.
        let secs = text
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit.seconds()))
            .unwrap_or(u64::MAX);
        Duration::from_secs(secs)
    } else if let Some((whole, part)) = text.split_once(['.', ','])
        && digits(whole)
        && digits(part)
    {
        let value: f64 = format!("{whole}.{part}")
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))?;
        let secs = value * unit.seconds() as f64;
        if (secs - secs.round()).abs() > 1e-6 {
            return Err(format!(
                "{text:?} must be a whole number of seconds above zero"
            ));
        }
        Duration::from_secs(secs.round().min(u64::MAX as f64) as u64)
    } else if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let num = |p: &str, limit: u64| p.parse::<u64>().ok().filter(|v| *v < limit);
        let secs = match (parts.as_slice(), unit) {
            ([h, m, s], _) => match (num(h, 1000), num(m, 60), num(s, 60)) {
                (Some(h), Some(m), Some(s)) => h * 3600 + m * 60 + s,
                _ => return Err(format!("{text:?} is not h:mm:ss")),
            },
            ([h, m], Unit::HoursMinutes) => match (num(h, 1000), num(m, 60)) {
                (Some(h), Some(m)) => h * 3600 + m * 60,
                _ => return Err(format!("{text:?} is not h:mm")),
            },
            ([m, s], Unit::MinutesSeconds) => match (num(m, 100_000), num(s, 60)) {
                (Some(m), Some(s)) => m * 60 + s,
                _ => return Err(format!("{text:?} is not mm:ss")),
            },
            _ => {
                return Err(format!(
                    "{text:?} is ambiguous: write hours, minutes and seconds (0:08:00) or \
                     minutes (8), or name the unit in the header: \"Duration (mm:ss)\""
                ));
            }
        };
        Duration::from_secs(secs)
    } else {
        humantime::parse_duration(text)
            .map_err(|_| format!("{text:?} is not a length: write 8, 8m or 0:08:00"))?
    };
    if d.is_zero() || d.subsec_nanos() != 0 {
        return Err(format!(
            "{text:?} must be a whole number of seconds above zero"
        ));
    }
    if let Some(why) = too_long(d, text) {
        return Err(why);
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::Kind;

    fn csv(text: &str) -> Result<Parsed, Vec<Problem>> {
        parse(text).map(|(parsed, _)| parsed)
    }

    #[test]
    fn lengths_in_the_forms_spreadsheets_use() {
        let m = Unit::Minutes;
        assert_eq!(parse_length("8", m), Ok(Duration::from_secs(480)));
        assert_eq!(parse_length("8m", m), Ok(Duration::from_secs(480)));
        assert_eq!(parse_length("0:08:00", m), Ok(Duration::from_secs(480)));
        assert_eq!(parse_length("1h 30m", m), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_length("7.5", m), Ok(Duration::from_secs(450)));
        assert_eq!(parse_length("7,5", m), Ok(Duration::from_secs(450)));
        assert!(parse_length("8:00", m).unwrap_err().contains("ambiguous"));
        assert!(parse_length("0", m).is_err());
        assert!(parse_length("soon", m).is_err());
        assert!(parse_length("0:75:00", m).is_err());
        assert!(
            parse_length("1441", m)
                .unwrap_err()
                .contains("longer than a day")
        );
        assert!(parse_length("24h", m).is_ok());
    }

    #[test]
    fn a_unit_changes_what_a_number_means() {
        assert_eq!(
            parse_length("90", Unit::Seconds),
            Ok(Duration::from_secs(90))
        );
        assert_eq!(
            parse_length("1.5", Unit::Hours),
            Ok(Duration::from_secs(5400))
        );
        assert_eq!(
            parse_length("1:30", Unit::HoursMinutes),
            Ok(Duration::from_secs(5400))
        );
        assert_eq!(
            parse_length("8:00", Unit::MinutesSeconds),
            Ok(Duration::from_secs(480))
        );
        assert!(parse_length("0.3", Unit::Seconds).is_err());
        assert!(parse_length("25", Unit::Hours).is_err());
        for (header, unit) in [
            ("Duration (min)", Unit::Minutes),
            ("Dauer (Min.)", Unit::Minutes),
            ("Durée (min)", Unit::Minutes),
            ("Duración (minutos)", Unit::Minutes),
            ("Duration [s]", Unit::Seconds),
            ("Dauer (Sek.)", Unit::Seconds),
            ("Durée en heures", Unit::Hours),
            ("Duration (h:mm)", Unit::HoursMinutes),
            ("Duration (mm:ss)", Unit::MinutesSeconds),
        ] {
            assert_eq!(
                header_cell(header),
                Ok(Some((DURATION, Some(unit)))),
                "{header}"
            );
        }
        assert_eq!(header_cell("Speaker(s)"), Ok(Some((SPEAKER, None))));
        assert_eq!(header_cell("Start (CET)"), Ok(Some((AT, None))));
        assert_eq!(header_cell("Room"), Ok(None));
        assert!(
            header_cell("Duration (days)")
                .unwrap_err()
                .contains("unknown unit")
        );
    }

    #[test]
    fn the_delimiter_is_sniffed_outside_quotes() {
        assert_eq!(sniff("title,duration\n"), b',');
        assert_eq!(sniff("Titre;Durée (min)\n"), b';');
        assert_eq!(sniff("Titel\tDauer\n"), b'\t');
        assert_eq!(sniff("\"a,b,c\";\"d,e\"\n1,2,3,4\n"), b';');
        assert_eq!(sniff("\"multi\nline, header\";x\n"), b';');
        assert_eq!(sniff("title\n"), b',');
    }

    #[test]
    fn columns_in_any_order_and_every_bad_row_with_its_line() {
        let good = "Duration,Title,Kind,min\n8,Introduction,intro,\n0:30:00,Q&A,,20m\n";
        let parsed = csv(good).expect("good");
        assert_eq!(parsed.segments.len(), 2);
        assert_eq!(parsed.segments[1].kind, Kind::Qa, "guessed from the title");
        assert_eq!(parsed.segments[1].min, Some(Duration::from_secs(1200)));

        let bad =
            "title,duration,min,at\nIntro,8,,\n,5,,\nTalk,eight,,\nQ&A,30,40,\nPanel,60,,3pm\n";
        let lines: Vec<usize> = csv(bad).unwrap_err().iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);

        let (_, warnings) = parse("title,length,room\nIntro,8,A\n").expect("length is duration");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("column \"room\" ignored"));
        let header = csv("title,lenght\nIntro,8\n").unwrap_err();
        assert_eq!(header.len(), 1, "{header:?}");
        assert!(header[0].message.contains("no \"duration\" column"));
    }
}
