//! A CSV exported from a spreadsheet, read with the `csv` crate: a header row naming some of
//! `title, speaker, kind, duration, min, max, at, notes` in any order (case and spaces ignored),
//! then one row per segment. Lengths are `8` (minutes), `8m`, `1h 30m` or `0:08:00`, at most a
//! day. Every bad row is reported with its line number, all at once. A cell that `podium plan
//! --format csv` defused with a leading `'` (`'=SUM(…)`) is read without it.

use std::time::Duration;

use super::{Draft, Parsed, Problem, guess_kind, parse_kind, too_long};
use crate::show::{format_hms, parse_time_of_day};

const COLUMNS: [&str; 8] = [
    "title", "speaker", "kind", "duration", "min", "max", "at", "notes",
];

pub(crate) fn parse(text: &str) -> Result<Parsed, Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| vec![problem_of(&e, 1)])?
        .clone();
    let mut problems = Vec::new();
    let mut column = [None; COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        let name = name.to_lowercase();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(c) if column[c].is_none() => column[c] = Some(i),
            Some(_) => problems.push(Problem {
                line: 1,
                message: format!("column {name:?} appears twice: keep one"),
            }),
            None => problems.push(Problem {
                line: 1,
                message: format!(
                    "unknown column {name:?}: the columns are {}",
                    COLUMNS.join(", ")
                ),
            }),
        }
    }
    for required in ["title", "duration"] {
        if column[COLUMNS.iter().position(|c| *c == required).unwrap_or(0)].is_none() {
            problems.push(Problem {
                line: 1,
                message: format!("the header has no {required:?} column: add it"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut segments: Vec<Draft> = Vec::new();
    let mut last_at = None;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push(problem_of(&e, 0));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |name: &str| {
            COLUMNS
                .iter()
                .position(|c| *c == name)
                .and_then(|c| column[c])
                .and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(undefused)
        };
        match row(line, &cell) {
            Ok(draft)
                if draft
                    .at
                    .is_some_and(|at| last_at.is_some_and(|before| at < before)) =>
            {
                problems.push(Problem {
                    line,
                    message: "`at` is earlier than an anchor above it: anchors follow the running \
                              order; put a second day in its own file"
                        .into(),
                })
            }
            Ok(draft) => {
                last_at = draft.at.or(last_at);
                segments.push(draft);
            }
            Err(message) => problems.push(Problem { line, message }),
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

fn problem_of(e: &csv::Error, fallback_line: usize) -> Problem {
    Problem {
        line: e.position().map_or(fallback_line, |p| p.line() as usize),
        message: format!("not readable as CSV: {e}"),
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

fn row<'a>(line: usize, cell: &dyn Fn(&str) -> Option<&'a str>) -> Result<Draft, String> {
    let title = cell("title").ok_or("the title is empty: give the programme's wording")?;
    let duration = match cell("duration") {
        Some(d) => parse_length(d).map_err(|why| format!("duration: {why}"))?,
        None => return Err(format!("{title:?} has no duration: e.g. 8, 8m or 0:08:00")),
    };
    let optional = |name: &str| {
        cell(name)
            .map(|v| parse_length(v).map_err(|why| format!("{name}: {why}")))
            .transpose()
    };
    let min = optional("min")?;
    let max = optional("max")?;
    if let Some(min) = min.filter(|m| *m > duration) {
        return Err(format!(
            "min ({}) is longer than duration ({}): make it at most the duration",
            format_hms(min),
            format_hms(duration)
        ));
    }
    if let Some(max) = max.filter(|m| *m < duration) {
        return Err(format!(
            "max ({}) is shorter than duration ({}): make it at least the duration",
            format_hms(max),
            format_hms(duration)
        ));
    }
    let kind = match cell("kind") {
        Some(k) => parse_kind(k).ok_or_else(|| {
            format!("kind {k:?} is not one of intro, talk, qa, break, closing, other")
        })?,
        None => guess_kind(title),
    };
    let at = match cell("at") {
        Some(a) => Some(
            parse_time_of_day(a)
                .ok_or_else(|| format!("at {a:?} is not a time of day: write it like 15:00"))?,
        ),
        None => None,
    };
    Ok(Draft {
        line,
        title: title.to_owned(),
        speaker: cell("speaker").map(str::to_owned),
        kind,
        duration,
        min,
        max,
        at,
        notes: cell("notes").map(str::to_owned),
    })
}

/// `8` (minutes), `8m`, `1h 30m`, `0:08:00`, at most a day. `8:00` is refused: minutes or hours?
fn parse_length(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let d = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // Minutes; more than fit in a u64 are "more than a day" too, never a wrapped-around value.
        let secs = text
            .parse::<u64>()
            .ok()
            .and_then(|m| m.checked_mul(60))
            .unwrap_or(u64::MAX);
        Duration::from_secs(secs)
    } else if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let [h, m, s] = parts.as_slice() else {
            return Err(format!(
                "{text:?} is ambiguous: write hours, minutes and seconds (0:08:00) or minutes (8)"
            ));
        };
        let num = |p: &str, limit: u64| p.parse::<u64>().ok().filter(|v| *v < limit);
        match (num(h, 1000), num(m, 60), num(s, 60)) {
            (Some(h), Some(m), Some(s)) => Duration::from_secs(h * 3600 + m * 60 + s),
            _ => return Err(format!("{text:?} is not h:mm:ss")),
        }
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

    #[test]
    fn lengths_in_the_forms_spreadsheets_use() {
        assert_eq!(parse_length("8"), Ok(Duration::from_secs(480)));
        assert_eq!(parse_length("8m"), Ok(Duration::from_secs(480)));
        assert_eq!(parse_length("0:08:00"), Ok(Duration::from_secs(480)));
        assert_eq!(parse_length("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_length("8:00").unwrap_err().contains("ambiguous"));
        assert!(parse_length("0").is_err());
        assert!(parse_length("soon").is_err());
        assert!(parse_length("0:75:00").is_err());
        assert!(
            parse_length("1441")
                .unwrap_err()
                .contains("longer than a day")
        );
        assert!(parse_length("24h").is_ok());
    }

    #[test]
    fn columns_in_any_order_and_every_bad_row_with_its_line() {
        let good = "Duration,Title,Kind,min\n8,Introduction,intro,\n0:30:00,Q&A,,20m\n";
        let parsed = parse(good).expect("good");
        assert_eq!(parsed.segments.len(), 2);
        assert_eq!(parsed.segments[1].kind, Kind::Qa, "guessed from the title");
        assert_eq!(parsed.segments[1].min, Some(Duration::from_secs(1200)));

        let bad =
            "title,duration,min,at\nIntro,8,,\n,5,,\nTalk,eight,,\nQ&A,30,40,\nPanel,60,,3pm\n";
        let lines: Vec<usize> = parse(bad).unwrap_err().iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);

        let header = parse("title,length\nIntro,8\n").unwrap_err();
        assert_eq!(header.len(), 2, "{header:?}");
        assert!(header[0].message.contains("unknown column \"length\""));
        assert!(header[1].message.contains("no \"duration\" column"));
    }
}
