//! The live re-plan: where the show is projected to end, how that compares with its target, the
//! re-planned times of the rest, and `fit`, which shortens what remains (never below a segment's
//! `min`, never time already spoken) to land on the target. Pure, like the rest of the engine.

use std::time::Duration;

use super::{Change, Engine, Event, Mode, Plan, Refused, Replanned, ShowTime, Target};
use crate::show::Kind;

impl Engine {
    /// Every segment's planned length now, and the projected start of the current one and the
    /// rest (earlier segments: `None`). Before the start, as if the show started at `now`.
    pub fn replan(&self, now: ShowTime) -> Vec<Replanned> {
        let mut next_start = self.projected_current_end(now);
        self.plan
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i < self.index {
                    return Replanned {
                        length_ms: p.duration_ms,
                        start: None,
                    };
                }
                if i == self.index {
                    let start = match self.mode {
                        Mode::Ready => Some(now),
                        _ => self.records[i].started,
                    };
                    return Replanned {
                        length_ms: p.duration_ms + self.extra_ms,
                        start,
                    };
                }
                let start = next_start;
                next_start = next_start.map(|t| t.plus(p.duration_ms));
                Replanned {
                    length_ms: p.duration_ms,
                    start,
                }
            })
            .collect()
    }

    /// The end of the current segment if it runs to its current length from `now` on.
    pub(super) fn projected_current_end(&self, now: ShowTime) -> Option<ShowTime> {
        match self.mode {
            Mode::Ready => Some(now.plus(self.plan[self.index].duration_ms + self.extra_ms)),
            Mode::Running { .. } | Mode::Paused { .. } => {
                Some(now.plus(self.remaining(now).max(0)))
            }
            // A segment stopped at zero: what follows cannot start before now.
            Mode::Stopped { .. } => Some(now),
            Mode::Finished { .. } => None,
        }
    }

    /// When the show ends if everything from `now` runs to its current plan (before the start:
    /// if it started now).
    pub(super) fn projected_from(&self, now: ShowTime) -> ShowTime {
        match (self.mode, self.projected_current_end(now)) {
            (Mode::Finished { at }, _) => at,
            (_, Some(current_end)) => {
                let rest: i64 = self.plan[self.index + 1..]
                    .iter()
                    .map(|p| p.duration_ms)
                    .sum();
                current_end.plus(rest)
            }
            (_, None) => now,
        }
    }

    pub(super) fn target_at(&self, now: ShowTime) -> Option<ShowTime> {
        match self.target? {
            Target::At(at) => Some(at),
            Target::AfterStart(ms) => Some(self.show_started.unwrap_or(now).plus(ms)),
        }
    }

    /// Takes time from the remaining segments, most flexible kind first (Q&A, closing, breaks,
    /// other, intro, talks; within a kind the one with most to give, then the later one), never
    /// below a segment's `min`, and never from time already spoken.
    pub(super) fn fit(&mut self, now: ShowTime, events: &mut Vec<Event>) -> Result<(), Refused> {
        let Some(target) = self.target_at(now) else {
            return Err(Refused(
                "this session has no `end`: add e.g. end = \"17:00\" to its file to fit it".into(),
            ));
        };
        if matches!(self.mode, Mode::Finished { .. }) {
            return Err(Refused("the show is finished".into()));
        }
        let over = self.projected_from(now).0 - target.0;
        if over <= 0 {
            return Err(Refused(format!(
                "nothing to shorten: the show already fits ({} to spare)",
                crate::show::format_hms(Duration::from_millis(over.unsigned_abs()))
            )));
        }
        // Whole seconds, so planned lengths stay readable; lands at most a second early.
        let mut need = (over + 999) / 1000 * 1000;
        let current_length = self.plan[self.index].duration_ms + self.extra_ms;
        let flex = |i: usize, p: &Plan| -> i64 {
            if i == self.index {
                let spare = self.remaining(now).max(0);
                (current_length - p.min_ms).clamp(0, spare)
            } else {
                (p.duration_ms - p.min_ms).max(0)
            }
        };
        let rank = |kind: Kind| match kind {
            Kind::Qa => 0,
            Kind::Closing => 1,
            Kind::Break => 2,
            Kind::Other => 3,
            Kind::Intro => 4,
            Kind::Talk => 5,
        };
        let mut order: Vec<(usize, i64)> = (self.index..self.plan.len())
            .map(|i| (i, flex(i, &self.plan[i])))
            .filter(|(_, f)| *f > 0)
            .collect();
        order.sort_by_key(|&(i, f)| (rank(self.plan[i].kind), -f, std::cmp::Reverse(i)));
        let mut changes = Vec::new();
        for (i, flex) in order {
            if need == 0 {
                break;
            }
            let take = flex.min(need);
            need -= take;
            let from_ms = if i == self.index {
                current_length
            } else {
                self.plan[i].duration_ms
            };
            self.plan[i].duration_ms -= take;
            if i == self.index {
                match &mut self.mode {
                    Mode::Running { deadline } => *deadline = deadline.plus(-take),
                    Mode::Paused { remaining_ms } => *remaining_ms -= take,
                    Mode::Ready | Mode::Stopped { .. } | Mode::Finished { .. } => {}
                }
            }
            changes.push(Change {
                index: i,
                from_ms,
                to_ms: from_ms - take,
            });
        }
        if changes.is_empty() {
            return Err(Refused(format!(
                "nothing left to shorten: every remaining segment is at its `min`; the show ends {} late",
                crate::show::format_hms(Duration::from_millis(over.unsigned_abs()))
            )));
        }
        changes.sort_by_key(|c| c.index);
        let fitted = Event::Fitted {
            changes,
            short_ms: need.min(over),
        };
        self.last_fit = Some(fitted.clone());
        events.push(fitted);
        Ok(())
    }
}
