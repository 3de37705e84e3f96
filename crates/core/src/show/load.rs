//! Reading a run-of-show TOML file into a validated [`Show`]. Every refusal names `FILE:LINE:COL`
//! (the offending key, or its `[[segment]]`) and says how to fix it. Validation happens here once;
//! the rest of the program trusts a `Show`.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::zone::parse_zone;
use super::{
    DEFAULT_WARN, End, Kind, Language, MAX_MESSAGE_CHARS, MAX_PRESETS, MessageClears, Messages,
    OnEnd, Preset, Segment, Show, SpeakerPage, format_hms,
};

/// Why a session file was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read the session file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
}

/// A run-of-show as written, its spans relative to the text it was parsed from: a session file,
/// or an event file holding the show inline (`[room.show]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShow {
    pub(crate) title: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    warn: Option<Spanned<RawLength>>,
    on_end: Option<Spanned<String>>,
    auto_start: Option<Spanned<bool>>,
    language: Option<Spanned<String>>,
    message_clears: Option<Spanned<String>>,
    message_flash: Option<bool>,
    message_chime: Option<bool>,
    #[serde(default)]
    preset: Vec<Spanned<RawPreset>>,
    speaker_page: Option<RawSpeakerPage>,
    #[serde(default)]
    segment: Vec<Spanned<RawSegment>>,
}

/// `[speaker_page]`: what the speaker page shows besides the countdown.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpeakerPage {
    progress: Option<Spanned<toml::Value>>,
    ends_at: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    text: Spanned<String>,
    flash: Option<bool>,
    chime: Option<bool>,
}

/// A length as written. Only text is a length ("8m"); a bare number is taken apart from other
/// mistakes so that the message can say which text to write instead.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawLength {
    Text(String),
    Integer(i64),
    Float(f64),
    Other(toml::Value),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegment {
    title: Spanned<String>,
    speaker: Option<String>,
    kind: Option<Kind>,
    duration: Option<Spanned<RawLength>>,
    max: Option<Spanned<RawLength>>,
    min: Option<Spanned<RawLength>>,
    at: Option<Spanned<String>>,
    warn: Option<Spanned<RawLength>>,
    notes: Option<String>,
    on_end: Option<Spanned<String>>,
    auto_start: Option<Spanned<bool>>,
}

impl LoadError {
    /// The error `message` at `span` of `text` (the file `path`), as `FILE:LINE:COL`.
    pub(crate) fn at(path: &Path, text: &str, span: Range<usize>, message: String) -> LoadError {
        let (line, col) = line_col(text, span.start);
        LoadError::Invalid {
            path: path.to_owned(),
            line,
            col,
            message,
        }
    }
}

/// Validates the bytes of a session file read from `path` (named in every error): the caller
/// reads the file, so this crate does no I/O. `default_zone` is the zone of a file that names
/// none (the app passes the machine's).
pub fn parse_bytes(path: &Path, bytes: &[u8], default_zone: Tz) -> Result<Show, LoadError> {
    let text = utf8(bytes).map_err(|bad| LoadError::Invalid {
        path: path.to_owned(),
        line: bad.line,
        col: bad.col,
        message: bad.to_string(),
    })?;
    parse(path, text, default_zone)
}

/// Where a file stops being UTF-8: the first invalid byte, its line and column (1-based; the
/// column counts characters, as every other position in a message does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the file is not UTF-8 text (byte {byte:#04X} here): save it as UTF-8")]
pub struct NotUtf8 {
    pub line: usize,
    pub col: usize,
    pub byte: u8,
}

/// `bytes` as text, or where the first byte that is not UTF-8 is.
pub fn utf8(bytes: &[u8]) -> Result<&str, NotUtf8> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        // The bytes before the error are valid UTF-8 by definition.
        let before = std::str::from_utf8(good).unwrap_or_default();
        let (line, col) = line_col(before, before.len());
        NotUtf8 {
            line,
            col,
            byte: bytes.get(e.valid_up_to()).copied().unwrap_or_default(),
        }
    })
}

/// Validates session text; `path` is only used in messages and kept in the `Show`;
/// `default_zone` is the zone of a file that names none.
pub fn parse(path: &Path, text: &str, default_zone: Tz) -> Result<Show, LoadError> {
    let fail = |span: Range<usize>, message: String| LoadError::at(path, text, span, message);
    let raw: RawShow = toml::from_str(text).map_err(|e| {
        // `[segment]` parses as one table ("duplicate key" when it is repeated, "expected a
        // sequence" otherwise): say what to write instead.
        if let Some(at) = single_bracket_segment(text) {
            return fail(
                at..at,
                "[segment] makes a single table: write [[segment]] (two brackets) for each segment"
                    .into(),
            );
        }
        let message = e.message().trim_end().replace('\n', " ");
        fail(e.span().unwrap_or(0..0), message)
    })?;
    validate(path, text, raw, default_zone, text.len())
}

/// Validates a run-of-show parsed from `text` (its spans point into `text`, which may be a larger
/// file: an event's inline show). `path` names `text` in messages and is kept in the `Show`; a
/// show without segments is refused at offset `empty_at`.
pub(crate) fn validate(
    path: &Path,
    text: &str,
    raw: RawShow,
    default_zone: Tz,
    empty_at: usize,
) -> Result<Show, LoadError> {
    let fail = |span: Range<usize>, message: String| LoadError::at(path, text, span, message);

    let timezone = match &raw.timezone {
        Some(tz) => parse_zone(tz.get_ref()).map_err(|why| fail(tz.span(), why))?,
        None => default_zone,
    };
    let start = match &raw.start {
        Some(s) => Some(parse_start(s.get_ref(), timezone).map_err(|why| fail(s.span(), why))?),
        None => None,
    };
    let end = match &raw.end {
        Some(e) => Some(parse_end(e.get_ref(), timezone).map_err(|why| fail(e.span(), why))?),
        None => None,
    };
    let default_warn = match &raw.warn {
        Some(w) => parse_length(w, "warn", true).map_err(|why| fail(w.span(), why))?,
        None => DEFAULT_WARN,
    };
    let default_on_end = match &raw.on_end {
        Some(o) => parse_on_end(o).map_err(|why| fail(o.span(), why))?,
        None => OnEnd::default(),
    };
    let messages = messages(&raw).map_err(|(span, why)| fail(span, why))?;
    let language = match &raw.language {
        None => None,
        Some(l) => Some(Language::of(l.get_ref()).ok_or_else(|| {
            fail(
                l.span(),
                format!(
                    "language = {:?} is not one the pages speak: write language = \"en\" \
                     (English), \"fr\" (French) or \"es\" (Spanish)",
                    l.get_ref()
                ),
            )
        })?),
    };
    let speaker_page =
        speaker_page(raw.speaker_page.as_ref()).map_err(|(span, why)| fail(span, why))?;
    if let Some(auto) = raw.auto_start.as_ref().filter(|a| *a.get_ref())
        && start.is_none()
    {
        return Err(fail(
            auto.span(),
            "auto_start = true needs the show's start: add e.g. start = \"2021-06-10T14:00:00\", \
             or give auto_start to a segment with an `at`"
                .into(),
        ));
    }
    if raw.segment.is_empty() {
        return Err(fail(
            empty_at..empty_at,
            "the show has no segments: add at least one [[segment]] with a title and a duration"
                .into(),
        ));
    }

    let mut segments = Vec::with_capacity(raw.segment.len());
    let mut last_anchor: Option<(NaiveTime, usize)> = None;
    for (n, spanned) in raw.segment.iter().enumerate() {
        let seg = spanned.get_ref();
        let title = seg.title.get_ref().trim();
        if title.is_empty() {
            return Err(fail(
                seg.title.span(),
                "a segment's title is empty: give it the programme's wording".into(),
            ));
        }
        let Some(duration_raw) = &seg.duration else {
            return Err(fail(
                segment_header(text, spanned.span()),
                format!(
                    "segment {} ({title:?}) has no duration: add e.g. duration = \"15m\"",
                    n + 1
                ),
            ));
        };
        let duration = parse_length(duration_raw, "duration", false)
            .map_err(|why| fail(duration_raw.span(), why))?;
        let max = match &seg.max {
            Some(m) => {
                let max = parse_length(m, "max", false).map_err(|why| fail(m.span(), why))?;
                if max < duration {
                    return Err(fail(
                        m.span(),
                        format!(
                            "max ({}) is shorter than duration ({}): make max at least the duration, or remove it",
                            format_hms(max),
                            format_hms(duration)
                        ),
                    ));
                }
                Some(max)
            }
            None => None,
        };
        let min = match &seg.min {
            Some(m) => {
                let min = parse_length(m, "min", false).map_err(|why| fail(m.span(), why))?;
                if min > duration {
                    return Err(fail(
                        m.span(),
                        format!(
                            "min ({}) is longer than duration ({}): min is the shortest the segment may become, make it at most the duration",
                            format_hms(min),
                            format_hms(duration)
                        ),
                    ));
                }
                Some(min)
            }
            None => None,
        };
        let at = match &seg.at {
            Some(a) => {
                let time = parse_time_of_day(a.get_ref()).ok_or_else(|| {
                    fail(
                        a.span(),
                        format!(
                            "at = {:?} is not a time of day: write it like \"15:00\"",
                            a.get_ref()
                        ),
                    )
                })?;
                if let Some((before, index)) = last_anchor.filter(|(before, _)| time < *before) {
                    return Err(fail(
                        a.span(),
                        format!(
                            "at {} is earlier than segment {}'s anchor ({}): anchors follow the running order; put a second day in its own file",
                            time.format("%H:%M"),
                            index + 1,
                            before.format("%H:%M")
                        ),
                    ));
                }
                if let Some(start) = start {
                    let local = start.with_timezone(&timezone);
                    if time < local.time() {
                        return Err(fail(
                            a.span(),
                            format!(
                                "at {} is before the show's start ({}): move `start` earlier or correct the anchor",
                                time.format("%H:%M"),
                                local.format("%H:%M")
                            ),
                        ));
                    }
                    if let Some(why) = skipped(timezone, start, time) {
                        return Err(fail(a.span(), format!("at {why}")));
                    }
                }
                last_anchor = Some((time, n));
                Some(time)
            }
            None => None,
        };
        let warn = match &seg.warn {
            Some(w) => {
                let warn = parse_length(w, "warn", true).map_err(|why| fail(w.span(), why))?;
                if warn >= duration {
                    return Err(fail(
                        w.span(),
                        format!(
                            "warn ({}) must be shorter than the segment's duration ({}): e.g. warn = \"1m\"",
                            format_hms(warn),
                            format_hms(duration)
                        ),
                    ));
                }
                warn
            }
            // An inherited warning longer than a short segment shrinks to half of it.
            None if default_warn >= duration => duration / 2,
            None => default_warn,
        };
        let on_end = match &seg.on_end {
            Some(o) => parse_on_end(o).map_err(|why| fail(o.span(), why))?,
            None => default_on_end,
        };
        let auto_start = match &seg.auto_start {
            Some(auto) if *auto.get_ref() && at.is_none() => {
                return Err(fail(
                    auto.span(),
                    format!(
                        "segment {} ({title:?}) has auto_start but no `at`: give the time it starts \
                         by itself, e.g. at = \"15:00\"",
                        n + 1
                    ),
                ));
            }
            Some(auto) => *auto.get_ref(),
            None => false,
        };
        segments.push(Segment {
            title: title.to_owned(),
            speaker: seg.speaker.clone().filter(|s| !s.trim().is_empty()),
            kind: seg.kind.unwrap_or(Kind::Talk),
            duration,
            max,
            min,
            at,
            warn,
            notes: seg.notes.clone().filter(|s| !s.trim().is_empty()),
            on_end,
            auto_start,
        });
    }

    let title = match raw.title {
        Some(t) if !t.get_ref().trim().is_empty() => t.into_inner().trim().to_owned(),
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "podium".into()),
    };
    let show = Show {
        path: path.to_owned(),
        title,
        start,
        timezone,
        end,
        segments,
        messages,
        auto_start: raw.auto_start.is_some_and(|a| a.into_inner()),
        language,
        speaker_page,
    };
    if let (Some(start), Some(End::TimeOfDay(time)), Some(raw_end)) = (start, show.end, &raw.end)
        && let Some(why) = skipped(timezone, start, time)
    {
        return Err(fail(raw_end.span(), format!("end {why}")));
    }
    if let (Some(start), Some(end), Some(raw_end)) = (start, show.end_for(start), &raw.end)
        && end <= start
    {
        return Err(fail(
            raw_end.span(),
            format!(
                "end ({}) is not after the start ({}): give a later end, or a full date-time for a show past midnight",
                end.with_timezone(&timezone).format("%Y-%m-%d %H:%M"),
                start.with_timezone(&timezone).format("%Y-%m-%d %H:%M")
            ),
        ));
    }
    Ok(show)
}

/// The presets and message defaults of a file (the defaults where it says nothing), or the span
/// and reason of the first refusal.
fn messages(raw: &RawShow) -> Result<Messages, (Range<usize>, String)> {
    let mut messages = Messages::default();
    if let Some(clears) = &raw.message_clears {
        messages.clears = match clears.get_ref().trim() {
            "segment" => MessageClears::Segment,
            "never" => MessageClears::Never,
            other => {
                return Err((
                    clears.span(),
                    format!(
                        "message_clears = {other:?} is not a choice: write \"segment\" (a message \
                         goes when the segment changes, the default) or \"never\" (it stays until \
                         cleared)"
                    ),
                ));
            }
        };
    }
    messages.flash = raw.message_flash.unwrap_or(messages.flash);
    messages.chime = raw.message_chime.unwrap_or(messages.chime);
    if raw.preset.is_empty() {
        return Ok(messages);
    }
    if let Some(extra) = raw.preset.get(MAX_PRESETS) {
        return Err((
            extra.span(),
            format!(
                "preset {} is one too many: a session has at most {MAX_PRESETS} presets, one for \
                 each of the keys 1–9",
                MAX_PRESETS + 1
            ),
        ));
    }
    messages.presets = Vec::with_capacity(raw.preset.len());
    for (n, preset) in raw.preset.iter().enumerate() {
        let preset = preset.get_ref();
        let text = preset.text.get_ref().trim();
        let why = if text.is_empty() {
            Some(format!(
                "preset {} is empty: give the words the speaker should see",
                n + 1
            ))
        } else if text.chars().count() > MAX_MESSAGE_CHARS {
            Some(format!(
                "preset {} has {} characters: at most {MAX_MESSAGE_CHARS} fit on the speaker's screen",
                n + 1,
                text.chars().count()
            ))
        } else if text.chars().any(char::is_control) {
            Some(format!(
                "preset {} contains a control character (a line break or tab): write it on one line",
                n + 1
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Err((preset.text.span(), why));
        }
        messages.presets.push(Preset {
            text: text.to_owned(),
            flash: preset.flash,
            chime: preset.chime,
        });
    }
    Ok(messages)
}

/// Why `time` on the start's day cannot be meant: the clocks skip it there.
fn skipped(tz: Tz, start: DateTime<Utc>, time: NaiveTime) -> Option<String> {
    let day = start.with_timezone(&tz).date_naive();
    matches!(tz.from_local_datetime(&day.and_time(time)), LocalResult::None).then(|| {
        format!(
            "{} does not exist on {day} in {tz} (the clocks skip it): pick a time outside the change",
            time.format("%H:%M")
        )
    })
}

/// `"17:00"` (a time of day on the start's date) or a date-time as for `start`.
fn parse_end(text: &str, tz: Tz) -> Result<End, String> {
    if let Some(time) = parse_time_of_day(text) {
        return Ok(End::TimeOfDay(time));
    }
    parse_start(text, tz).map(End::At).map_err(|_| {
        format!(
            "end {:?} is neither a time of day nor a date-time: write \"17:00\" (on the start's day) \
             or \"2022-11-21T17:00:00\"",
            text.trim()
        )
    })
}

/// `"15:00"` or `"15:00:30"`.
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .ok()
}

/// The longest length a session file may give: no segment of a live show lasts longer, and the
/// bound keeps every sum of lengths far from overflowing (huge lengths made
/// `Show::total` overflow: issue 5).
const MAX_LENGTH: Duration = Duration::from_secs(24 * 3600);

/// Parses "8m", "1h 30m", "90s". Zero is refused unless `zero_ok` (a warning of 0 means none).
fn parse_length(raw: &Spanned<RawLength>, key: &str, zero_ok: bool) -> Result<Duration, String> {
    let text = match raw.get_ref() {
        RawLength::Text(text) => text.trim(),
        RawLength::Integer(n) => {
            return Err(format!(
                "{key} = {n} is a number; write {key} = \"{n}m\" for {n} minutes, or \"{n}s\" for seconds"
            ));
        }
        RawLength::Float(x) => {
            return Err(format!(
                "{key} = {x} is a number; write it as text with a unit, e.g. {key} = \"90s\" or \"1h 30m\""
            ));
        }
        RawLength::Other(value) => {
            return Err(format!(
                "{key} = {value} is not a length: write it as text, like {key} = \"8m\", \"1h 30m\" or \"90s\""
            ));
        }
    };
    let d = humantime::parse_duration(text).map_err(|_| {
        format!("{key} = {text:?} is not a length: write it like \"8m\", \"1h 30m\" or \"90s\"")
    })?;
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "{key} = {text:?} has a fraction of a second: give whole seconds"
        ));
    }
    if d > MAX_LENGTH {
        return Err(format!(
            "{key} = {text:?} is longer than a day: give a segment's length, at most \"24h\""
        ));
    }
    if d.is_zero() && !zero_ok {
        return Err(format!(
            "{key} must be longer than zero: give e.g. {key} = \"15m\""
        ));
    }
    Ok(d)
}

/// `[speaker_page]`'s switches (each `true` unless the file says `false`), or the span of the
/// one that is not `true` or `false` and why.
fn speaker_page(raw: Option<&RawSpeakerPage>) -> Result<SpeakerPage, (Range<usize>, String)> {
    let switch = |value: &Option<Spanned<toml::Value>>, key: &str, what: &str| match value {
        None => Ok(true),
        Some(v) => match v.get_ref() {
            toml::Value::Boolean(on) => Ok(*on),
            other => Err((
                v.span(),
                format!(
                    "[speaker_page] {key} = {other} is not true or false: write {key} = false to \
                     hide {what} (it is shown by default)"
                ),
            )),
        },
    };
    let Some(raw) = raw else {
        return Ok(SpeakerPage::default());
    };
    Ok(SpeakerPage {
        progress: switch(&raw.progress, "progress", "the segment's progress bar")?,
        ends_at: switch(&raw.ends_at, "ends_at", "the \"ends at 15:40\" line")?,
    })
}

/// `"overtime"`, `"stop"` or `"next"`.
fn parse_on_end(raw: &Spanned<String>) -> Result<OnEnd, String> {
    match raw.get_ref().trim() {
        "overtime" => Ok(OnEnd::Overtime),
        "stop" => Ok(OnEnd::Stop),
        "next" => Ok(OnEnd::Next),
        other => Err(format!(
            "on_end = {other:?} is not an end action: write \"overtime\" (count up, the default), \
             \"stop\" (freeze at 0:00) or \"next\" (start the next segment at once)"
        )),
    }
}

/// RFC 3339 with an offset, or a local date-time in the session's zone.
pub fn parse_start(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or_else(|| {
        format!(
            "start {text:?} is not a date-time: write \"2021-06-10T14:00:00\" (local time in the \
                 session's timezone) or RFC 3339 with an offset, \"2021-06-10T14:00:00+02:00\""
        )
    })?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Ok(dt.with_timezone(&Utc)),
        // Clocks went back: the wall time happens twice; the first is the natural reading.
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "start {text:?} does not exist in {tz} (the clocks skip it): pick a time outside the change"
        )),
    }
}

/// The span of a segment's `[[segment]]` header. toml's span of an array-of-tables entry starts at
/// its header; should that ever change to the first key, look back for the header.
pub(crate) fn segment_header(text: &str, table: Range<usize>) -> Range<usize> {
    if text
        .get(table.start..)
        .is_some_and(|rest| rest.starts_with("[["))
    {
        return table;
    }
    let before = &text[..table.start.min(text.len())];
    match before.rfind("[[") {
        Some(at) => at..at + 2,
        None => table,
    }
}

/// The offset of the first `[segment]` header (one pair of brackets), if there is one.
fn single_bracket_segment(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let start = offset + (line.len() - trimmed.len());
        offset += line.len();
        let Some(inner) = trimmed.strip_prefix('[') else {
            continue;
        };
        if inner.starts_with('[') {
            continue;
        }
        if let Some(rest) = inner.trim_start().strip_prefix("segment")
            && rest.trim_start().starts_with(']')
        {
            return Some(start);
        }
    }
    None
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, col)
}
