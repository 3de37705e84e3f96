//! A plain-text agenda, as pasted from a programme, in one of two shapes:
//!
//! - **Minute marks** (seed 002): a segment is a line ending in `(8')`, `(8’)` or `(8 min)`. Its
//!   title is the text before the mark. The speaker is the text of the nearest `… speaker: NAME`
//!   line above it (`First speaker:`, `Speaker:`, `Moderator:`, continued on the following lines
//!   up to a blank one); without one, `Title: speaker` is split at its first colon (`Introduction:
//!   organisers` → speaker "Organisers", first letter capitalised).
//! - **Time ranges** (seed 004): a segment is a line starting `10:15 - 13:00` (hyphen or dash),
//!   followed by its title on the same line or the next non-blank one. It gets `at` = the range's
//!   start and its length; the session's `end` is the last range's end. `Day 2` headings, or a
//!   range earlier than the one before, start a new day.
//!
//! In both shapes, bullet lines (and the text that follows a title in a time-range agenda) become
//! the notes of the segment above them; other lines are ignored. The kind is guessed from the title.

use std::time::Duration;

use chrono::NaiveTime;

use super::{Draft, Parsed, Problem, guess_kind, too_long};
use crate::show::parse_time_of_day;

const BULLETS: [char; 6] = ['•', '▪', '◦', '·', '-', '*'];

/// The agenda's days (one, unless it has time ranges over several days).
pub(crate) fn parse(text: &str) -> Result<Vec<Parsed>, Vec<Problem>> {
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, clean(l)))
        .collect();
    let title = lines
        .iter()
        .find(|(_, l)| !l.is_empty())
        .map(|(_, l)| l.clone());
    let days = if lines.iter().any(|(_, l)| time_range(l).is_some()) {
        by_time_ranges(&lines)?
    } else {
        vec![by_minute_marks(&lines)?]
    };
    Ok(days
        .into_iter()
        .map(|mut day| {
            day.title = title.clone();
            day
        })
        .collect())
}

/// Trims and folds the spaces word processors leave (non-breaking, tabs) into plain ones, and drops
/// private-use characters (symbol-font bullets pasted from a PDF, e.g. U+F0DE).
fn clean(line: &str) -> String {
    let line: String = line
        .chars()
        .filter(|c| !('\u{e000}'..='\u{f8ff}').contains(c))
        .collect();
    line.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn bullet(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(BULLETS)?;
    // "-5" or "*note" is not a bullet; "- item" and "•item" are.
    (line.starts_with(['•', '▪', '◦', '·']) || rest.starts_with(' ')).then(|| rest.trim())
}

fn add_note(draft: &mut Draft, text: &str, new_line: bool) {
    let notes = draft.notes.get_or_insert_with(String::new);
    if notes.is_empty() {
        notes.push_str(text);
    } else {
        notes.push_str(if new_line { "\n" } else { " " });
        notes.push_str(text);
    }
}

/// `Introduction: organisers (8’)` → ("Introduction: organisers", 8 minutes). More minutes than
/// fit in a `Duration` come out as `Duration::MAX`, for the caller to refuse as too long.
fn minute_mark(line: &str) -> Option<(&str, Duration)> {
    let body = line.strip_suffix(')')?;
    let open = body.rfind('(')?;
    let mark = body[open + 1..].trim();
    let digits_end = mark
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(mark.len());
    let (digits, unit) = mark.split_at(digits_end);
    if digits.is_empty() || digits.bytes().all(|b| b == b'0') {
        return None;
    }
    let unit = unit.trim();
    if !["'", "’", "′", "min", "mins", "minutes", "m"].contains(&unit) {
        return None;
    }
    let length = digits
        .parse::<u64>()
        .ok()
        .and_then(|m| m.checked_mul(60))
        .map_or(Duration::MAX, Duration::from_secs);
    Some((body[..open].trim(), length))
}

/// `First speaker: NAME` → NAME (also `Speaker:`, `Speakers:`, `Moderator:`, `Chair:`).
fn speaker_line(line: &str) -> Option<&str> {
    let (label, rest) = line.split_once(':')?;
    let label = label.trim().to_lowercase();
    let words: Vec<&str> = label.split(' ').collect();
    let last = words.last()?;
    (words.len() <= 3 && ["speaker", "speakers", "moderator", "chair", "presenter"].contains(last))
        .then(|| rest.trim())
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn by_minute_marks(lines: &[(usize, String)]) -> Result<Parsed, Vec<Problem>> {
    let mut segments: Vec<Draft> = Vec::new();
    let mut problems = Vec::new();
    let mut speaker: Option<String> = None;
    let mut speaker_open = false; // the speaker line may continue on the next line
    let mut bullet_open = false; // a bullet may continue on the next line
    for (number, line) in lines {
        if line.is_empty() {
            speaker_open = false;
            bullet_open = false;
            continue;
        }
        if let Some((head, duration)) = minute_mark(line) {
            if let Some(why) = too_long(duration, line[head.len()..].trim()) {
                problems.push(Problem {
                    line: *number,
                    message: why,
                });
            }
            let (title, who) = match speaker.take() {
                Some(who) => (head.to_owned(), Some(who)),
                None => match head.split_once(':') {
                    Some((t, who)) if !t.trim().is_empty() && !who.trim().is_empty() => {
                        (t.trim().to_owned(), Some(capitalise(who.trim())))
                    }
                    _ => (head.to_owned(), None),
                },
            };
            segments.push(Draft {
                line: *number,
                kind: guess_kind(&title),
                title,
                speaker: who,
                duration,
                min: None,
                max: None,
                at: None,
                notes: None,
            });
            speaker_open = false;
            bullet_open = false;
        } else if let Some(who) = speaker_line(line) {
            speaker = Some(who.to_owned());
            speaker_open = true;
            bullet_open = false;
        } else if speaker_open {
            if let Some(who) = &mut speaker {
                who.push(' ');
                who.push_str(line);
            }
        } else if let (Some(text), Some(last)) = (bullet(line), segments.last_mut()) {
            add_note(last, &format!("• {text}"), true);
            bullet_open = true;
        } else if bullet_open && let Some(last) = segments.last_mut() {
            add_note(last, line, false);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Parsed {
        title: None,
        segments,
        end: None,
    })
}

/// `10:15 - 13:00 PANEL 1: …` → (10:15, 13:00, "PANEL 1: …").
fn time_range(line: &str) -> Option<(NaiveTime, NaiveTime, &str)> {
    let time_at = |s: &str| -> Option<(NaiveTime, usize)> {
        let len = s
            .find(|c: char| !(c.is_ascii_digit() || c == ':'))
            .unwrap_or(s.len());
        Some((parse_time_of_day(&s[..len])?, len))
    };
    let (from, used) = time_at(line)?;
    let rest = line[used..].trim_start();
    let rest = rest.strip_prefix(['-', '–', '—'])?.trim_start();
    let (to, used) = time_at(rest)?;
    Some((from, to, rest[used..].trim()))
}

fn day_heading(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.strip_prefix("day ").is_some_and(|rest| {
        rest.split(' ')
            .next()
            .is_some_and(|n| n.parse::<u32>().is_ok())
    })
}

fn by_time_ranges(lines: &[(usize, String)]) -> Result<Vec<Parsed>, Vec<Problem>> {
    let mut days: Vec<Parsed> = vec![Parsed::default()];
    let mut problems = Vec::new();
    let mut wants_title = false;
    let mut last_from: Option<NaiveTime> = None;
    for (number, line) in lines {
        if line.is_empty() {
            continue;
        }
        if day_heading(line) {
            if days.last().is_some_and(|d| !d.segments.is_empty()) {
                days.push(Parsed::default());
            }
            wants_title = false;
            last_from = None;
            continue;
        }
        if let Some((from, to, title)) = time_range(line) {
            if last_from.is_some_and(|before| from < before)
                && days.last().is_some_and(|d| !d.segments.is_empty())
            {
                days.push(Parsed::default());
            }
            last_from = Some(from);
            let day = days.last_mut().expect("there is always a day");
            if to <= from {
                problems.push(Problem {
                    line: *number,
                    message: format!(
                        "{} - {} ends before it starts: correct the times",
                        from.format("%H:%M"),
                        to.format("%H:%M")
                    ),
                });
                wants_title = false;
                continue;
            }
            let duration = (to - from).to_std().unwrap_or_default();
            day.segments.push(Draft {
                line: *number,
                title: title.to_owned(),
                speaker: None,
                kind: guess_kind(title),
                duration,
                min: None,
                max: None,
                at: Some(from),
                notes: None,
            });
            day.end = Some(to);
            wants_title = title.is_empty();
            continue;
        }
        let Some(last) = days.last_mut().and_then(|d| d.segments.last_mut()) else {
            continue; // text before the first range: headings, side events, …
        };
        if wants_title {
            last.title = line.clone();
            last.kind = guess_kind(line);
            wants_title = false;
        } else if let Some(text) = bullet(line) {
            add_note(last, &format!("• {text}"), true);
        } else {
            add_note(last, line, true);
        }
    }
    for day in &days {
        for seg in day.segments.iter().filter(|s| s.title.is_empty()) {
            problems.push(Problem {
                line: seg.line,
                message: "a time range without a title: put the title on its line or the next"
                    .into(),
            });
        }
    }
    problems.sort_by_key(|p| p.line);
    if problems.is_empty() {
        Ok(days)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_ranges_in_the_forms_programmes_use() {
        assert_eq!(
            minute_mark("Introduction: organisers (8’)"),
            Some(("Introduction: organisers", Duration::from_secs(480)))
        );
        assert_eq!(
            minute_mark("Q&A (30 min)").map(|m| m.1),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(minute_mark("Migrant Forum in Asia (MFA)"), None);
        assert_eq!(
            speaker_line("Second speaker: Ambet Yuson"),
            Some("Ambet Yuson")
        );
        assert_eq!(speaker_line("PANEL 1: Irregular migration"), None);
        let (from, to, title) = time_range("13:00 - 15:00 Lunch / Space for side-events").unwrap();
        assert_eq!(
            (from.to_string(), to.to_string(), title),
            (
                "13:00:00".into(),
                "15:00:00".into(),
                "Lunch / Space for side-events"
            )
        );
        assert!(time_range("10:00–10:15").is_some());
        assert!(time_range("Room: XXVII, 13:15 to 14:30").is_none());
    }

    #[test]
    fn a_range_ending_before_it_starts_is_reported_with_its_line() {
        let problems = parse("Day 1\n10:00 - 10:15 Opening\n\n13:00 - 12:00 Lunch\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 4);
        assert!(problems[0].message.contains("ends before it starts"));
    }
}
