//! The lease that decides which process is an event's primary (issue 13): a KV entry
//! `podium_lease/<event>` = `{holder, epoch, renewed_ms}`, renewed every [`RENEW_EVERY`] by
//! compare-and-set on its revision. A standby takes it over, by the same compare-and-set and with
//! the epoch incremented, once it has seen no renewal for the lease (`--lease`, default 3 s).
//!
//! The decisions are pure functions of (entry, revision, instant) — [`Watcher::judge`],
//! [`Holding::valid_until`], [`after_lost_race`] — tested with explicit instants; [`read`],
//! [`take`] and [`renew`] are the thin async calls around them, and [`Gate`] is what the
//! controllers ask before applying a command.
//!
//! **Invariant (no split brain):** a primary acts only until [`Holding::valid_until`]: two thirds
//! of the lease after it *sent* its last successful renewal. A standby takes over no sooner than a
//! whole lease after it *saw* that renewal, which was written after it was sent; so the old
//! primary has stopped before the new one starts, with a third of the lease to spare for its last
//! journal line to land and for clocks that run at slightly different rates. Stale epochs are
//! dropped by receivers (`Podium-Epoch`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::kv;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::subjects;

/// The lease when `--lease` is not given.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(3);

/// How often the primary renews (more often for a lease under 3 s: [`renew_every`]).
pub const RENEW_EVERY: Duration = Duration::from_secs(1);

/// How often the primary renews a lease of `lease`: every second, at least three times a lease.
pub fn renew_every(lease: Duration) -> Duration {
    (lease / 3).min(RENEW_EVERY)
}

/// How often a standby reads the lease.
pub const WATCH_EVERY: Duration = Duration::from_millis(200);

/// The value of the lease's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it, as people read it: `host pid N`.
    pub holder: String,
    /// Increases with every takeover; states carry it (`Podium-Epoch`).
    pub epoch: u64,
    /// The holder's wall clock at the last renewal (for people; decisions use revisions).
    pub renewed_ms: i64,
    /// The holder's `--lease`, in ms: a standby waits at least this long, whatever its own
    /// `--lease` says (0 in a value written without it).
    #[serde(default)]
    pub lease_ms: u64,
}

/// The lease entry as read: its value and revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub lease: Lease,
    pub revision: u64,
}

/// What a process that does not hold the lease should do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Someone holds the lease and renews it: follow them.
    Follow { primary: String, epoch: u64 },
    /// Nobody renewed it for a whole lease (or there is none): take it with `lease`, by
    /// compare-and-set on `revision` (`None`: create the key).
    Take { revision: Option<u64>, lease: Lease },
}

/// A standby's view of the lease over time: the revision it last saw and when it first saw it,
/// by its own clock (no two machines' wall clocks are compared).
#[derive(Debug, Clone)]
pub struct Watcher {
    me: String,
    lease: Duration,
    seen: Option<(u64, Instant)>,
    /// When the last reading was answered.
    last: Option<Instant>,
}

impl Watcher {
    pub fn new(me: &str, lease: Duration) -> Watcher {
        Watcher {
            me: me.to_owned(),
            lease,
            seen: None,
            last: None,
        }
    }

    /// A reading slower than this, or this long after the previous one, breaks the watch (NATS
    /// was away: the primary could not renew either), and the lease is counted again.
    fn gap(&self) -> Duration {
        (self.lease / 3).max(Duration::from_secs(1))
    }

    /// Judges a reading asked at `asked` and answered at `answered` (see [`Watcher::judge`]):
    /// after a break in the watch — a slow answer, or none for a while — the lease is counted
    /// from this answer, so an outage of NATS alone never hands the lease over.
    pub fn judge_read(
        &mut self,
        entry: Option<&Entry>,
        asked: Instant,
        answered: Instant,
        now_ms: i64,
    ) -> Verdict {
        let gap = self.gap();
        let broken = answered.saturating_duration_since(asked) > gap
            || self
                .last
                .is_some_and(|last| asked.saturating_duration_since(last) > gap);
        if broken {
            self.forget();
        }
        self.last = Some(answered);
        self.judge(entry, answered, now_ms)
    }

    /// Forgets what it saw: after NATS was unreachable the primary could not renew either, so
    /// the lease is counted again from the next reading (no takeover merely for an outage).
    pub fn forget(&mut self) {
        self.seen = None;
    }

    /// Judges the entry read at `now` (`now_ms` on the wall clock, for `renewed_ms`).
    pub fn judge(&mut self, entry: Option<&Entry>, now: Instant, now_ms: i64) -> Verdict {
        let Some(entry) = entry else {
            self.seen = None;
            return Verdict::Take {
                revision: None,
                lease: Lease {
                    holder: self.me.clone(),
                    epoch: 1,
                    renewed_ms: now_ms,
                    lease_ms: self.lease.as_millis() as u64,
                },
            };
        };
        // The holder's lease, if longer than ours: it acts for two thirds of its own.
        let lease = self.lease.max(Duration::from_millis(entry.lease.lease_ms));
        let since = match self.seen {
            Some((revision, since)) if revision == entry.revision => since,
            _ => {
                self.seen = Some((entry.revision, now));
                now
            }
        };
        if now.saturating_duration_since(since) >= lease {
            Verdict::Take {
                revision: Some(entry.revision),
                lease: Lease {
                    holder: self.me.clone(),
                    epoch: entry.lease.epoch + 1,
                    renewed_ms: now_ms,
                    lease_ms: self.lease.as_millis() as u64,
                },
            }
        } else {
            Verdict::Follow {
                primary: entry.lease.holder.clone(),
                epoch: entry.lease.epoch,
            }
        }
    }
}

/// The lease, held: the value written, its revision, and when the write that succeeded was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub lease: Lease,
    pub revision: u64,
    pub sent: Instant,
}

impl Holding {
    /// Until when this process may accept commands: two thirds of the lease after its last
    /// successful renewal was sent (see the module's invariant).
    pub fn valid_until(&self, lease: Duration) -> Instant {
        self.sent + lease * 2 / 3
    }

    /// The value of the next renewal.
    pub fn renewed(&self, now_ms: i64) -> Lease {
        Lease {
            renewed_ms: now_ms,
            ..self.lease.clone()
        }
    }
}

/// After a renewal failed its compare-and-set: the entry now is still ours (our own write
/// landed but its answer was lost) — keep holding at its revision — or another's: the lease is
/// lost.
pub fn after_lost_race(mine: &Lease, now: Option<&Entry>) -> Option<u64> {
    now.filter(|e| e.lease.holder == mine.holder && e.lease.epoch == mine.epoch)
        .map(|e| e.revision)
}

/// Who this process is, as the lease names it: `host pid N`.
pub fn me() -> String {
    let host = crate::server::origin::machine_names()
        .into_iter()
        .next()
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host} pid {}", std::process::id())
}

/// Whether this process may apply commands now; shared by the controllers and the lease driver.
/// Without NATS it is always open.
#[derive(Debug, Clone, Default)]
pub struct Gate(Arc<Mutex<Role>>);

/// This process's part in a replicated show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Role {
    /// No lease (no `--nats`): commands are applied.
    #[default]
    Alone,
    /// The primary, until the instant its lease may have lapsed.
    Primary { epoch: u64, until: Instant },
    /// A standby: `primary` holds the lease (or nobody does yet).
    Standby { primary: Option<String>, epoch: u64 },
}

impl Gate {
    pub fn set(&self, role: Role) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = role;
    }

    pub fn role(&self) -> Role {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `Ok` when a command may be applied at `now`, else why not (for the moderator).
    pub fn check(&self, now: Instant) -> Result<(), String> {
        match self.role() {
            Role::Alone => Ok(()),
            Role::Primary { until, .. } if now < until => Ok(()),
            Role::Primary { .. } => Err(
                "this machine cannot reach NATS to renew its lease, so another may have taken \
                 over: commands wait until the lease is renewed (the show goes on)"
                    .to_owned(),
            ),
            Role::Standby {
                primary: Some(primary),
                epoch,
            } => Err(format!(
                "standby: the primary is {} (epoch {epoch}); send commands there",
                crate::term::printable(&primary)
            )),
            Role::Standby { primary: None, .. } => {
                Err("standby: no primary holds the lease yet".to_owned())
            }
        }
    }
}

/// Why the lease could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("cannot open the lease bucket {bucket}: {why} (is nats-server started with -js?)")]
    Bucket { bucket: &'static str, why: String },
    #[error("cannot read the lease of {event}: {why}")]
    Read { event: String, why: String },
    #[error("cannot write the lease of {event}: {why}")]
    Write { event: String, why: String },
}

/// Opens (creating if need be) the lease bucket: file storage, so a restarted nats-server
/// keeps who holds which lease. The bucket's stream is created here as `create_key_value` would
/// (`KV_<bucket>`, `$KV.<bucket>.>`, one value per key, roll-ups, no deletes): that call first
/// asks for the account's limits in a form nats-server 2.9 does not answer.
pub async fn bucket(js: &async_nats::jetstream::Context) -> Result<kv::Store, LeaseError> {
    use async_nats::jetstream::stream;
    let fail = |why: String| LeaseError::Bucket {
        bucket: subjects::LEASE_BUCKET,
        why,
    };
    if let Ok(store) = js.get_key_value(subjects::LEASE_BUCKET).await {
        return Ok(store);
    }
    let created = js
        .get_or_create_stream(stream::Config {
            name: format!("KV_{}", subjects::LEASE_BUCKET),
            subjects: vec![format!("$KV.{}.>", subjects::LEASE_BUCKET)],
            max_messages_per_subject: 1,
            storage: stream::StorageType::File,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        })
        .await;
    match js.get_key_value(subjects::LEASE_BUCKET).await {
        Ok(store) => Ok(store),
        Err(e) => Err(fail(match created {
            Err(created) => created.to_string(),
            Ok(_) => e.to_string(),
        })),
    }
}

/// The lease of `event` now (`None`: nobody ever took it, or it was deleted). An unreadable
/// value counts as a lease of epoch 0 held by nobody known, so it is taken over like any other.
pub async fn read(store: &kv::Store, event: &str) -> Result<Option<Entry>, LeaseError> {
    let entry = store
        .entry(subjects::lease_key(event))
        .await
        .map_err(|e| LeaseError::Read {
            event: event.to_owned(),
            why: e.to_string(),
        })?;
    Ok(entry
        .filter(|e| e.operation == kv::Operation::Put)
        .map(|e| Entry {
            lease: serde_json::from_slice(&e.value).unwrap_or(Lease {
                holder: "an unknown holder".to_owned(),
                epoch: 0,
                renewed_ms: 0,
                lease_ms: 0,
            }),
            revision: e.revision,
        }))
}

/// Tries to take the lease as `verdict` says: `Some` when this process now holds it, `None`
/// when another was faster (a compare-and-set lost).
pub async fn take(
    store: &kv::Store,
    event: &str,
    revision: Option<u64>,
    lease: Lease,
) -> Result<Option<Holding>, LeaseError> {
    let value = serde_json::to_vec(&lease).expect("a lease serializes");
    let sent = Instant::now();
    let key = subjects::lease_key(event);
    let written = match revision {
        None => store
            .create(key, value.into())
            .await
            .map_err(|e| match e.kind() {
                kv::CreateErrorKind::AlreadyExists => None,
                _ => Some(e.to_string()),
            }),
        Some(revision) => store
            .update(key, value.into(), revision)
            .await
            .map_err(|e| match e.kind() {
                kv::UpdateErrorKind::WrongLastRevision => None,
                _ => Some(e.to_string()),
            }),
    };
    match written {
        Ok(revision) => Ok(Some(Holding {
            lease,
            revision,
            sent,
        })),
        Err(None) => Ok(None),
        Err(Some(why)) => Err(LeaseError::Write {
            event: event.to_owned(),
            why,
        }),
    }
}

/// What a renewal came to.
#[derive(Debug)]
pub enum Renewal {
    /// Renewed: the new holding.
    Renewed(Holding),
    /// Another process holds the lease now.
    Lost(Option<Entry>),
    /// NATS did not answer: try again; [`Holding::valid_until`] runs out meanwhile.
    Unsure(String),
}

/// Renews `holding` by compare-and-set on its revision, within `wait`.
pub async fn renew(store: &kv::Store, event: &str, holding: &Holding, wait: Duration) -> Renewal {
    let lease = holding.renewed(crate::clock::unix_now_ms() as i64);
    let value = serde_json::to_vec(&lease).expect("a lease serializes");
    let sent = Instant::now();
    let update = store.update(subjects::lease_key(event), value.into(), holding.revision);
    match tokio::time::timeout(wait, update).await {
        Ok(Ok(revision)) => Renewal::Renewed(Holding {
            lease,
            revision,
            sent,
        }),
        Ok(Err(e)) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
            match read(store, event).await {
                Ok(now) => match after_lost_race(&holding.lease, now.as_ref()) {
                    Some(revision) => Renewal::Renewed(Holding {
                        revision,
                        ..holding.clone()
                    }),
                    None => Renewal::Lost(now),
                },
                Err(e) => Renewal::Unsure(e.to_string()),
            }
        }
        Ok(Err(e)) => Renewal::Unsure(e.to_string()),
        Err(_) => Renewal::Unsure(format!("no answer within {wait:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(3);

    fn entry(holder: &str, epoch: u64, revision: u64) -> Entry {
        Entry {
            lease: Lease {
                holder: holder.into(),
                epoch,
                renewed_ms: 0,
                lease_ms: 0,
            },
            revision,
        }
    }

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn no_lease_is_taken_at_once_with_epoch_one() {
        let mut w = Watcher::new("b", LEASE);
        let t0 = Instant::now();
        assert_eq!(
            w.judge(None, t0, 7),
            Verdict::Take {
                revision: None,
                lease: Lease {
                    holder: "b".into(),
                    epoch: 1,
                    renewed_ms: 7,
                    lease_ms: 3000
                }
            }
        );
    }

    #[test]
    fn a_renewed_lease_is_followed_and_a_lapsed_one_taken_with_the_next_epoch() {
        let mut w = Watcher::new("b", LEASE);
        let t0 = Instant::now();
        let follow = Verdict::Follow {
            primary: "a".into(),
            epoch: 4,
        };
        // Renewed every second: never taken, however long.
        for s in 0..10 {
            assert_eq!(
                w.judge(Some(&entry("a", 4, 10 + s)), at(t0, s * 1000), 0),
                follow
            );
        }
        // Not renewed since revision 19 was first seen at 9 s: followed until 12 s.
        assert_eq!(w.judge(Some(&entry("a", 4, 19)), at(t0, 11_999), 0), follow);
        assert_eq!(
            w.judge(Some(&entry("a", 4, 19)), at(t0, 12_000), 5),
            Verdict::Take {
                revision: Some(19),
                lease: Lease {
                    holder: "b".into(),
                    epoch: 5,
                    renewed_ms: 5,
                    lease_ms: 3000
                }
            }
        );
    }

    /// A standby that starts late counts the lease from when it first saw the revision, never
    /// from the holder's wall clock: a stale `renewed_ms` alone takes nothing over.
    #[test]
    fn the_lease_runs_from_when_the_revision_was_first_seen() {
        let mut w = Watcher::new("b", LEASE);
        let t0 = Instant::now();
        let old = Entry {
            lease: Lease {
                holder: "a".into(),
                epoch: 2,
                renewed_ms: 0,
                lease_ms: 0,
            },
            revision: 3,
        };
        let now_ms = 1_000_000_000;
        assert!(matches!(
            w.judge(Some(&old), at(t0, 0), now_ms),
            Verdict::Follow { .. }
        ));
        assert!(matches!(
            w.judge(Some(&old), at(t0, 2_999), now_ms),
            Verdict::Follow { .. }
        ));
        assert!(matches!(
            w.judge(Some(&old), at(t0, 3_000), now_ms),
            Verdict::Take { .. }
        ));
    }

    /// No split brain: whenever a standby may take over (a whole lease after it saw the last
    /// renewal, itself written after it was sent), the primary that sent it has stopped.
    #[test]
    fn the_primary_stops_before_any_standby_may_take_over() {
        let t0 = Instant::now();
        for sent_ms in [0u64, 1, 999] {
            for lag_ms in [0u64, 1, 50, 2_000] {
                let holding = Holding {
                    lease: entry("a", 1, 1).lease,
                    revision: 2,
                    sent: at(t0, sent_ms),
                };
                let mut w = Watcher::new("b", LEASE);
                let seen = at(t0, sent_ms + lag_ms);
                assert!(matches!(
                    w.judge(Some(&entry("a", 1, 2)), seen, 0),
                    Verdict::Follow { .. }
                ));
                let mut t = seen;
                while matches!(
                    w.judge(Some(&entry("a", 1, 2)), t, 0),
                    Verdict::Follow { .. }
                ) {
                    t += Duration::from_millis(1);
                }
                let until = holding.valid_until(LEASE);
                assert!(
                    until + LEASE / 3 <= t,
                    "sent {sent_ms}, seen {lag_ms} ms later: primary until {:?}, taken at {:?}",
                    until - t0,
                    t - t0
                );
            }
        }
    }

    /// NATS unreachable for longer than the lease: the primary could not renew either, so the
    /// standby counts the lease again from its next reading instead of taking over at once.
    /// A reading asked before NATS went away and answered once it was back (the request waited
    /// in the client) shows the old revision: that is no lapse of the lease.
    #[test]
    fn a_reading_across_an_outage_starts_the_count_again() {
        let mut w = Watcher::new("b", LEASE);
        let t0 = Instant::now();
        let held = entry("a", 1, 4);
        assert!(matches!(
            w.judge_read(Some(&held), t0, at(t0, 1), 0),
            Verdict::Follow { .. }
        ));
        // Asked at 0.2 s, answered 5 s later: the count starts at the answer.
        let verdict = w.judge_read(Some(&held), at(t0, 200), at(t0, 5_200), 0);
        assert!(matches!(verdict, Verdict::Follow { .. }), "{verdict:?}");
        // Readings every 200 ms from then: taken 3 s after that answer, not before.
        let mut t = 5_200;
        while t < 8_200 {
            t += 200;
            let verdict = w.judge_read(Some(&held), at(t0, t), at(t0, t), 0);
            assert_eq!(
                matches!(verdict, Verdict::Take { .. }),
                t >= 8_200,
                "at {t}"
            );
        }
        // A silence as long (no answer for 2 s) starts it again too.
        let mut w = Watcher::new("b", LEASE);
        w.judge_read(Some(&held), t0, t0, 0);
        let verdict = w.judge_read(Some(&held), at(t0, 3_500), at(t0, 3_500), 0);
        assert!(matches!(verdict, Verdict::Follow { .. }), "{verdict:?}");
    }

    #[test]
    fn after_an_outage_the_lease_is_counted_again() {
        let mut w = Watcher::new("b", LEASE);
        let t0 = Instant::now();
        assert!(matches!(
            w.judge(Some(&entry("a", 1, 4)), t0, 0),
            Verdict::Follow { .. }
        ));
        w.forget();
        assert!(matches!(
            w.judge(Some(&entry("a", 1, 4)), at(t0, 10_000), 0),
            Verdict::Follow { .. }
        ));
        assert!(matches!(
            w.judge(Some(&entry("a", 1, 4)), at(t0, 13_000), 0),
            Verdict::Take { .. }
        ));
    }

    /// A holder with a longer `--lease` than the standby's acts for two thirds of its own: the
    /// standby waits for the longer one.
    #[test]
    fn a_standby_waits_for_the_holders_lease_when_it_is_longer() {
        let mut w = Watcher::new("b", LEASE);
        let t0 = Instant::now();
        let mut held = entry("a", 1, 9);
        held.lease.lease_ms = 20_000;
        assert!(matches!(
            w.judge(Some(&held), t0, 0),
            Verdict::Follow { .. }
        ));
        assert!(matches!(
            w.judge(Some(&held), at(t0, 19_999), 0),
            Verdict::Follow { .. }
        ));
        assert!(matches!(
            w.judge(Some(&held), at(t0, 20_000), 0),
            Verdict::Take { .. }
        ));
    }

    #[test]
    fn a_lost_race_is_ours_only_with_our_holder_and_epoch() {
        let mine = entry("a", 3, 7).lease;
        assert_eq!(after_lost_race(&mine, Some(&entry("a", 3, 8))), Some(8));
        assert_eq!(after_lost_race(&mine, Some(&entry("b", 4, 8))), None);
        assert_eq!(after_lost_race(&mine, Some(&entry("a", 4, 8))), None);
        assert_eq!(after_lost_race(&mine, None), None);
    }

    #[test]
    fn the_gate_opens_for_the_primary_within_its_lease_only() {
        let gate = Gate::default();
        let t0 = Instant::now();
        assert!(gate.check(t0).is_ok(), "without NATS");
        gate.set(Role::Primary {
            epoch: 2,
            until: at(t0, 2000),
        });
        assert!(gate.check(at(t0, 1999)).is_ok());
        assert!(gate.check(at(t0, 2000)).is_err());
        gate.set(Role::Standby {
            primary: Some("host pid 7".into()),
            epoch: 3,
        });
        let why = gate.check(t0).expect_err("a standby refuses");
        assert!(
            why.contains("host pid 7") && why.contains("epoch 3"),
            "{why}"
        );
    }
}
