//! Editing the run-of-show while it runs: change a segment's title, speaker, kind or timings,
//! insert, delete and move segments, and undo the last edit. Every edit is an ordinary
//! [`Command`](super::Command), so the journal records it and a replay repeats it exactly.
//!
//! **Invariant:** the past is never rewritten. The rules, by where a segment stands:
//! - a segment that has not started, after the current one (or the current one itself before it
//!   starts): anything may change; it may be deleted or moved, and segments inserted around it;
//! - the current segment once started (running, paused or stopped): its title, speaker, kind,
//!   `min`, `max` and `warn` may change; a new `duration` moves its deadline *from its start*
//!   (adjustments and pauses kept), never from now, and is refused when that deadline would
//!   already be past for a segment that stops or hands over at zero (that would end it in the
//!   past), or when its time is already up (stopped); it cannot be deleted or moved, and nothing
//!   can be inserted before it;
//! - a segment before the current one, or one that has already run: refused, with the reason;
//! - once the show is finished, nothing is edited.
//!
//! Undo applies the inverse of the last edit through the same rules, so an edit whose segment has
//! since started cannot be undone (refused, and kept for a later undo).

use std::time::Duration;

use super::{Engine, Mode, Record, Refused};
use crate::show::{Kind, Segment};

/// The longest a segment, its `min`, `max` or warning may be (as in the session file).
pub const MAX_EDIT_LENGTH: Duration = Duration::from_secs(24 * 3600);

/// How many edits can be undone, newest first.
pub const UNDO_DEPTH: usize = 100;

/// One edit of the run-of-show. Segments are numbered from 0, as `goto` numbers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Changes some of a segment's fields; `None` leaves a field as it is.
    Set {
        segment: usize,
        changes: Changes,
    },
    /// Inserts `segment` so that it becomes segment `at` (`at` = the number of segments appends).
    Insert {
        at: usize,
        segment: Box<Segment>,
    },
    Delete {
        segment: usize,
    },
    /// Moves a segment so that it becomes segment `to`.
    Move {
        segment: usize,
        to: usize,
    },
    /// Replaces every segment from `from` to the end (all not yet started) with `segments`: the
    /// session file, edited on disk, applied to what has not started.
    Upcoming {
        from: usize,
        segments: Vec<Segment>,
    },
}

/// The fields an [`Edit::Set`] changes. For `speaker`, `min` and `max`, `Some(None)` removes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    pub title: Option<String>,
    pub speaker: Option<Option<String>>,
    pub kind: Option<Kind>,
    pub duration: Option<Duration>,
    pub min: Option<Option<Duration>>,
    pub max: Option<Option<Duration>>,
    pub warn: Option<Duration>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    fn touches_time(&self) -> bool {
        self.duration.is_some() || self.min.is_some() || self.max.is_some() || self.warn.is_some()
    }

    /// The changes that put back what `seg` has now, for the fields these change.
    fn inverse(&self, seg: &Segment) -> Changes {
        Changes {
            title: self.title.as_ref().map(|_| seg.title.clone()),
            speaker: self.speaker.as_ref().map(|_| seg.speaker.clone()),
            kind: self.kind.map(|_| seg.kind),
            duration: self.duration.map(|_| seg.duration),
            min: self.min.map(|_| seg.min),
            max: self.max.map(|_| seg.max),
            warn: self.warn.map(|_| seg.warn),
        }
    }

    fn apply_to(&self, seg: &mut Segment) {
        if let Some(title) = &self.title {
            seg.title = title.clone();
        }
        if let Some(speaker) = &self.speaker {
            seg.speaker = speaker.clone();
        }
        if let Some(kind) = self.kind {
            seg.kind = kind;
        }
        if let Some(duration) = self.duration {
            seg.duration = duration;
        }
        if let Some(min) = self.min {
            seg.min = min;
        }
        if let Some(max) = self.max {
            seg.max = max;
        }
        if let Some(warn) = self.warn {
            seg.warn = warn;
        }
    }
}

/// Where a segment stands, for what may be edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Not started, and not before the current segment: anything goes.
    Free,
    /// The current segment, started.
    Current,
    /// Before the current segment, or already run.
    Past,
}

/// `m:ss` or `h:mm:ss` of milliseconds, for reasons.
fn hms(ms: i64) -> String {
    crate::show::format_hms(Duration::from_millis(ms.max(0) as u64))
}

/// Why `seg` cannot be a segment, if it cannot (the session file's rules).
pub fn check_segment(seg: &Segment) -> Result<(), String> {
    let f = crate::show::format_hms;
    if seg.title.trim().is_empty() {
        return Err("a segment's title cannot be empty".into());
    }
    if seg.title.chars().any(char::is_control)
        || seg
            .speaker
            .as_deref()
            .is_some_and(|s| s.chars().any(char::is_control))
    {
        return Err("a title or speaker cannot hold control characters".into());
    }
    if seg.duration.is_zero() || seg.duration > MAX_EDIT_LENGTH {
        return Err("a duration must be longer than zero and at most 24h".into());
    }
    if seg.duration.subsec_nanos() != 0 || seg.warn.subsec_nanos() != 0 {
        return Err("lengths are whole seconds".into());
    }
    if let Some(max) = seg.max
        && max < seg.duration
    {
        return Err(format!(
            "max ({}) is shorter than duration ({}): make max at least the duration, or remove it",
            f(max),
            f(seg.duration)
        ));
    }
    if seg.max.is_some_and(|m| m > MAX_EDIT_LENGTH) {
        return Err("max must be at most 24h".into());
    }
    if let Some(min) = seg.min
        && (min > seg.duration || min.is_zero())
    {
        return Err(format!(
            "min ({}) must be longer than zero and at most the duration ({})",
            f(min),
            f(seg.duration)
        ));
    }
    if seg.warn >= seg.duration {
        return Err(format!(
            "warn ({}) must be shorter than the duration ({}): e.g. warn = 1m",
            f(seg.warn),
            f(seg.duration)
        ));
    }
    Ok(())
}

/// Why the anchors (`at`) of `segments` are out of the running order, if they are.
fn check_anchors(segments: &[Segment]) -> Result<(), String> {
    let mut last: Option<(usize, &Segment)> = None;
    for (i, seg) in segments.iter().enumerate() {
        let Some(at) = seg.at else { continue };
        if let Some((j, before)) = last
            && before.at.is_some_and(|b| at < b)
        {
            return Err(format!(
                "segment {} ({:?}) is anchored at {} but would come after segment {} ({:?}) at {}: anchors follow the running order",
                i,
                seg.title,
                at.format("%H:%M"),
                j,
                before.title,
                before
                    .at
                    .map(|b| b.format("%H:%M").to_string())
                    .unwrap_or_default()
            ));
        }
        last = Some((i, seg));
    }
    Ok(())
}

impl Engine {
    /// The run-of-show as edited so far.
    pub fn show(&self) -> &crate::show::Show {
        &self.show
    }

    /// How many times the run-of-show was edited (edits and undos): views refetch it when this
    /// changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// A stable number for each segment, in running order: the segments of the file are `0..n`,
    /// each inserted one gets the next. A segment keeps its number when others move around it.
    pub fn segment_ids(&self) -> &[u32] {
        &self.ids
    }

    /// Takes back what a journal does not record (notes, anchors, auto-start) from `show`, the session file
    /// as this run wrote it back, for each segment that is the same there (title and length).
    pub fn adopt_details(&mut self, show: &crate::show::Show) {
        if show.segments.len() != self.show.segments.len() {
            return;
        }
        for (mine, file) in self.show.segments.iter_mut().zip(&show.segments) {
            if mine.title == file.title && mine.duration == file.duration {
                mine.notes = file.notes.clone();
                mine.at = file.at;
                mine.auto_start = file.auto_start;
            }
        }
    }

    /// How many edits can be undone now.
    pub fn undo_depth(&self) -> usize {
        self.undo.len()
    }

    fn standing(&self, i: usize) -> Standing {
        let started = self.records[i].started.is_some();
        if matches!(self.mode, Mode::Finished { .. }) || i < self.index {
            Standing::Past
        } else if i == self.index {
            match self.mode {
                Mode::Ready if !started => Standing::Free,
                _ => Standing::Current,
            }
        } else if started {
            Standing::Past
        } else {
            Standing::Free
        }
    }

    fn name(&self, i: usize) -> String {
        format!("segment {i} ({:?})", self.show.segments[i].title)
    }

    fn existing(&self, i: usize) -> Result<(), Refused> {
        if i < self.plan.len() {
            return Ok(());
        }
        Err(Refused(format!(
            "there is no segment {i}: the show has segments 0 to {}",
            self.plan.len() - 1
        )))
    }

    fn past(&self, i: usize) -> Refused {
        if matches!(self.mode, Mode::Finished { .. }) {
            return Refused("the show is finished: its run-of-show is no longer edited".into());
        }
        let why = if i < self.index {
            "it comes before the current segment"
        } else {
            "it has already run"
        };
        Refused(format!(
            "{} cannot be edited: {why}, and the past is not rewritten",
            self.name(i)
        ))
    }

    /// Where something may be inserted: after the current segment once it started, anywhere
    /// from the current one before.
    fn first_free_slot(&self) -> usize {
        match self.standing(self.index) {
            Standing::Free => self.index,
            _ => self.index + 1,
        }
    }

    /// Applies `edit` at `now` and returns its inverse (what undoes it), or refuses it with
    /// nothing changed.
    pub(super) fn edit(&mut self, edit: Edit, now: super::ShowTime) -> Result<Edit, Refused> {
        if matches!(self.mode, Mode::Finished { .. }) {
            return Err(Refused(
                "the show is finished: its run-of-show is no longer edited".into(),
            ));
        }
        let inverse = match edit {
            Edit::Set { segment, changes } => {
                self.existing(segment)?;
                if changes.is_empty() {
                    return Err(Refused("the edit changes nothing".into()));
                }
                let standing = self.standing(segment);
                if standing == Standing::Past {
                    return Err(self.past(segment));
                }
                let old = self.show.segments[segment].clone();
                let mut new = old.clone();
                changes.apply_to(&mut new);
                if let Some(title) = &changes.title {
                    new.title = title.trim().to_owned();
                }
                new.speaker = new.speaker.filter(|s| !s.trim().is_empty());
                check_segment(&new)
                    .map_err(|why| Refused(format!("{}: {why}", self.name(segment))))?;
                let delta = super::ms(new.duration) - super::ms(old.duration);
                if standing == Standing::Current && changes.touches_time() && delta != 0 {
                    match &mut self.mode {
                        Mode::Running { deadline } => {
                            let moved = deadline.plus(delta);
                            let p = self.plan[segment];
                            if moved <= now && !p.on_end.is_overtime() {
                                let ran = self.records[segment].started.map_or(0, |s| now.0 - s.0);
                                return Err(Refused(format!(
                                    "{} has run {} and ends itself at zero ({}): a duration of {} would end it in the past; give more, or move on",
                                    self.name(segment),
                                    hms(ran),
                                    p.on_end.as_str(),
                                    crate::show::format_hms(new.duration)
                                )));
                            }
                            *deadline = moved;
                        }
                        Mode::Paused { remaining_ms } => *remaining_ms += delta,
                        Mode::Stopped { .. } => {
                            return Err(Refused(format!(
                                "{}'s time is already up (it stopped at zero): add time to it, or move on",
                                self.name(segment)
                            )));
                        }
                        Mode::Ready | Mode::Finished { .. } => {}
                    }
                }
                let inverse = changes.inverse(&old);
                self.plan[segment] = super::Plan::of(&new);
                self.show.segments[segment] = new;
                Edit::Set {
                    segment,
                    changes: inverse,
                }
            }
            Edit::Insert { at, segment } => {
                let slot = self.first_free_slot();
                if at > self.plan.len() {
                    return Err(Refused(format!(
                        "cannot insert at {at}: the show has {} segments (insert at {} to append)",
                        self.plan.len(),
                        self.plan.len()
                    )));
                }
                if at < slot {
                    return Err(Refused(format!(
                        "cannot insert at {at}: the past is not rewritten; insert at {slot} or later"
                    )));
                }
                check_segment(&segment)
                    .map_err(|why| Refused(format!("the new segment: {why}")))?;
                let mut segments = self.show.segments.clone();
                segments.insert(at, (*segment).clone());
                check_anchors(&segments).map_err(Refused)?;
                self.show.segments = segments;
                self.plan.insert(at, super::Plan::of(&segment));
                self.records.insert(at, Record::default());
                self.ids.insert(at, self.next_id);
                self.next_id += 1;
                Edit::Delete { segment: at }
            }
            Edit::Delete { segment } => {
                self.existing(segment)?;
                match self.standing(segment) {
                    Standing::Free => {}
                    Standing::Current => {
                        return Err(Refused(format!(
                            "{} is the current segment: go to the next one before deleting it",
                            self.name(segment)
                        )));
                    }
                    Standing::Past => return Err(self.past(segment)),
                }
                if self.plan.len() == 1 {
                    return Err(Refused(
                        "a show keeps at least one segment: insert another before deleting this one"
                            .into(),
                    ));
                }
                let removed = self.show.segments.remove(segment);
                self.plan.remove(segment);
                self.records.remove(segment);
                self.ids.remove(segment);
                if segment == self.index {
                    self.extra_ms = 0;
                }
                self.index = self.index.min(self.plan.len() - 1);
                Edit::Insert {
                    at: segment,
                    segment: Box::new(removed),
                }
            }
            Edit::Move { segment, to } => {
                self.existing(segment)?;
                self.existing(to)?;
                for i in [segment, to] {
                    match self.standing(i) {
                        Standing::Free => {}
                        Standing::Current => {
                            return Err(Refused(format!(
                                "{} is the current segment: it stays where it is, and nothing moves before it",
                                self.name(self.index)
                            )));
                        }
                        Standing::Past => return Err(self.past(i)),
                    }
                }
                if segment == to {
                    return Err(Refused("the edit changes nothing".into()));
                }
                let mut segments = self.show.segments.clone();
                let seg = segments.remove(segment);
                segments.insert(to, seg);
                check_anchors(&segments).map_err(Refused)?;
                self.show.segments = segments;
                let plan = self.plan.remove(segment);
                self.plan.insert(to, plan);
                let record = self.records.remove(segment);
                self.records.insert(to, record);
                let id = self.ids.remove(segment);
                self.ids.insert(to, id);
                if segment == self.index || to == self.index {
                    self.extra_ms = 0;
                }
                Edit::Move {
                    segment: to,
                    to: segment,
                }
            }
            Edit::Upcoming { from, segments } => {
                let slot = self.first_free_slot();
                if from != slot {
                    return Err(Refused(format!(
                        "the segments not yet started begin at {slot}, not {from}: the show moved on; look again"
                    )));
                }
                if segments.is_empty() && from == self.index {
                    return Err(Refused("a show keeps at least one segment".into()));
                }
                for (i, seg) in segments.iter().enumerate() {
                    check_segment(seg)
                        .map_err(|why| Refused(format!("segment {}: {why}", from + i)))?;
                }
                let mut all = self.show.segments[..from].to_vec();
                all.extend(segments.iter().cloned());
                check_anchors(&all).map_err(Refused)?;
                let old = self.show.segments.split_off(from);
                self.show.segments = all;
                self.plan.truncate(from);
                self.plan.extend(segments.iter().map(super::Plan::of));
                self.records.truncate(from);
                self.records
                    .resize(self.show.segments.len(), Record::default());
                self.ids.truncate(from);
                for _ in &segments {
                    self.ids.push(self.next_id);
                    self.next_id += 1;
                }
                if from == self.index {
                    self.extra_ms = 0;
                }
                self.index = self.index.min(self.plan.len() - 1);
                Edit::Upcoming {
                    from,
                    segments: old,
                }
            }
        };
        self.revision += 1;
        Ok(inverse)
    }
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
