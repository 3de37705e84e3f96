//! The HTTP API's shapes: `GET /api/show` (the moderator's run-of-show with actual and projected
//! times, the last fit), `GET /api/agenda` (the same for everyone, minus notes and limits), and
//! the journal's health in `GET /api/presence`.

use serde::Serialize;

use super::ms;
use crate::clock::Clock;
use crate::engine::{Event, Record, Replanned};
use crate::show::Show;

/// Whether the run's record is on disk, for the moderator (`journal` in `GET /api/presence`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalHealth {
    /// Everything recorded so far is on disk (always true for an unrecorded run).
    pub ok: bool,
    /// The journal file, if the run is recorded.
    pub path: Option<String>,
    /// Lines waiting in memory for the disk.
    pub pending: usize,
    /// Lines given up because too many were waiting.
    pub dropped: usize,
    /// Unix ms of the first failed write of the current trouble.
    pub failing_since_ms: Option<i64>,
    /// The last write error.
    pub error: Option<String>,
}

impl JournalHealth {
    /// A healthy record at `path` (or no record).
    pub fn ok(path: Option<String>) -> JournalHealth {
        JournalHealth {
            ok: true,
            path,
            pending: 0,
            dropped: 0,
            failing_since_ms: None,
            error: None,
        }
    }
}

/// The run-of-show for the moderator (`GET /api/show`).
#[derive(Serialize)]
pub struct ShowInfo {
    title: String,
    timezone: String,
    planned_start: Option<String>,
    segments: Vec<SegmentInfo>,
    /// What the last `fit` changed, `null` if nothing was fitted since the start or a reset.
    last_fit: Option<FitInfo>,
    /// The moderator's preset messages (`{"cmd":"message","preset":N}`, N from 1) and how
    /// messages behave.
    messages: MessagesInfo,
    /// Whether the show starts by itself at its planned start.
    auto_start: bool,
    /// The session's `language` (`"en"`, `"fr"`, `"es"`), `null` when it gives none.
    language: Option<&'static str>,
}

#[derive(Serialize)]
struct MessagesInfo {
    presets: Vec<PresetInfo>,
    /// `"segment"` (a message goes when the segment changes) or `"never"`.
    clears: &'static str,
    flash: bool,
    chime: bool,
}

#[derive(Serialize)]
struct PresetInfo {
    /// The preset's number: its key in the terminal and `"preset"` in the command.
    n: usize,
    text: String,
    flash: bool,
    chime: bool,
}

#[derive(Serialize)]
struct FitInfo {
    summary: String,
    changes: Vec<FitChange>,
    short_ms: i64,
}

#[derive(Serialize)]
struct FitChange {
    index: usize,
    title: String,
    from_ms: i64,
    to_ms: i64,
}

#[derive(Serialize)]
struct SegmentInfo {
    index: usize,
    title: String,
    speaker: Option<String>,
    kind: &'static str,
    duration_ms: i64,
    max_ms: Option<i64>,
    /// How far `fit` (and the moderator) may shorten it, `null`: not at all.
    min_ms: Option<i64>,
    warn_ms: i64,
    notes: Option<String>,
    planned_offset_ms: i64,
    actual_start_ms: Option<i64>,
    actual_end_ms: Option<i64>,
    /// The planned length now (after `fit` and adjustments of the current segment).
    replanned_ms: i64,
    /// When the segment is projected to start (current segment: when it started), `null` for
    /// segments already left.
    projected_start_ms: Option<i64>,
}

/// The run-of-show for everyone (`GET /api/agenda`): what `/api/show` says minus the moderator's
/// notes and the segments' limits.
#[derive(Serialize)]
pub struct Agenda {
    title: String,
    timezone: String,
    /// The session's `language`, for pages whose viewer's browser asks for none they speak.
    language: Option<&'static str>,
    planned_start: Option<String>,
    segments: Vec<AgendaItem>,
}

#[derive(Serialize)]
struct AgendaItem {
    index: usize,
    title: String,
    speaker: Option<String>,
    kind: &'static str,
    duration_ms: i64,
    planned_offset_ms: i64,
    actual_start_ms: Option<i64>,
    actual_end_ms: Option<i64>,
}

impl From<ShowInfo> for Agenda {
    fn from(info: ShowInfo) -> Agenda {
        Agenda {
            title: info.title,
            timezone: info.timezone,
            language: info.language,
            planned_start: info.planned_start,
            segments: info
                .segments
                .into_iter()
                .map(|s| AgendaItem {
                    index: s.index,
                    title: s.title,
                    speaker: s.speaker,
                    kind: s.kind,
                    // What is planned now: after `fit`, and the current segment's adjustments.
                    duration_ms: s.replanned_ms,
                    planned_offset_ms: s.planned_offset_ms,
                    actual_start_ms: s.actual_start_ms,
                    actual_end_ms: s.actual_end_ms,
                })
                .collect(),
        }
    }
}

/// The last `fit` as the moderator reads it: the engine's [`Event::Fitted`] and its one-line
/// summary (the alert's text, written by the caller: wire types know no alert wording).
pub struct FitSummary<'a> {
    pub event: &'a Event,
    pub summary: String,
}

/// The moderator's view of the show: `replan` is [`crate::engine::Engine::replan`], `last_fit`
/// the latest [`Event::Fitted`] with its summary.
pub fn show_info(
    show: &Show,
    clock: &Clock,
    records: &[Record],
    replan: &[Replanned],
    last_fit: Option<FitSummary<'_>>,
) -> ShowInfo {
    ShowInfo {
        title: show.title.clone(),
        timezone: show.timezone.name().to_owned(),
        language: show.language.map(|l| l.as_str()),
        planned_start: show
            .start
            .map(|s| s.with_timezone(&show.timezone).to_rfc3339()),
        segments: show
            .segments
            .iter()
            .zip(records)
            .enumerate()
            .map(|(index, (seg, rec))| SegmentInfo {
                index,
                title: seg.title.clone(),
                speaker: seg.speaker.clone(),
                kind: seg.kind.as_str(),
                duration_ms: ms(seg.duration),
                max_ms: seg.max.map(ms),
                min_ms: seg.min.map(ms),
                warn_ms: ms(seg.warn),
                notes: seg.notes.clone(),
                planned_offset_ms: ms(show.planned_offset(index)),
                actual_start_ms: rec.started.map(|t| clock.unix_ms(t)),
                actual_end_ms: rec.ended.map(|t| clock.unix_ms(t)),
                replanned_ms: replan.get(index).map_or(ms(seg.duration), |r| r.length_ms),
                projected_start_ms: replan
                    .get(index)
                    .and_then(|r| r.start)
                    .map(|t| clock.unix_ms(t)),
            })
            .collect(),
        last_fit: match last_fit {
            Some(FitSummary {
                event: Event::Fitted { changes, short_ms },
                summary,
            }) => Some(FitInfo {
                summary,
                changes: changes
                    .iter()
                    .map(|c| FitChange {
                        index: c.index,
                        title: show
                            .segments
                            .get(c.index)
                            .map(|s| s.title.clone())
                            .unwrap_or_default(),
                        from_ms: c.from_ms,
                        to_ms: c.to_ms,
                    })
                    .collect(),
                short_ms: *short_ms,
            }),
            _ => None,
        },
        messages: MessagesInfo {
            presets: show
                .messages
                .presets
                .iter()
                .enumerate()
                .map(|(i, p)| PresetInfo {
                    n: i + 1,
                    text: p.text.clone(),
                    flash: p.flash.unwrap_or(show.messages.flash),
                    chime: p.chime.unwrap_or(show.messages.chime),
                })
                .collect(),
            clears: show.messages.clears.as_str(),
            flash: show.messages.flash,
            chime: show.messages.chime,
        },
        auto_start: show.auto_start,
    }
}
