//! Wrong moderator tokens, counted per source address: a burst is answered as usual, then the
//! address is throttled (`429` with `Retry-After` over HTTP, an `error` over the socket) until its
//! credit refills; the moderator is told, summarised (one log line per source per minute, and the
//! `failed_attempts` field of `GET /api/presence` for the control page).
//!
//! **The right token always works, throttled address or not.** A throttle that refused the right
//! token too would let anyone who shares the moderator's address (a reverse proxy, a NAT, the same
//! machine) lock the moderator out with a handful of wrong guesses: the lockout this server must
//! never allow. The price is that a throttled guesser still learns whether a guess was right; so
//! resistance to guessing comes from the token itself (128 random bits, or at least
//! [`MIN_TOKEN_CHARS`](super::MIN_TOKEN_CHARS) given characters), and the throttle's job is to make
//! guessing loud (reported at once, then every minute), cut each throttled connection (`429`
//! closes it, so every further guess costs a new connection) and bound what it costs the server.
//!
//! IPv6 sources are counted per /64, the block one host usually holds. The table is bounded: past
//! [`MAX_SOURCES`], quiet entries are forgotten, and a new source is throttled at once if none is.
//!
//! **Invariant:** never blocks (a short mutex, no I/O); never sees or stores a presented token.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

/// Wrong tokens one source may present at once before it is throttled.
pub const FAILED_TOKEN_BURST: u32 = 10;
/// After the burst, one more wrong token per this long (ten a minute).
pub const FAILED_TOKEN_REFILL: Duration = Duration::from_secs(6);
/// Sources remembered at most.
pub const MAX_SOURCES: usize = 4096;

/// Where wrong tokens come from: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    pub fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source(IpAddr::V4(v4)),
                None => {
                    let bits = u128::from(v6) & !((1u128 << 64) - 1);
                    Source(IpAddr::V6(Ipv6Addr::from(bits)))
                }
            },
            v4 => Source(v4),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// What to answer a wrong token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the burst: refuse it as a wrong token.
    Wrong,
    /// Over the burst: refuse it as too many, and say when to try again.
    Throttled { retry_after: Duration },
}

/// One source's wrong tokens, as the control page shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failed {
    pub source: String,
    /// Wrong tokens since the server started.
    pub count: u64,
    /// Of those, refused as too many (throttled).
    pub throttled: u64,
    /// When the latest one came, Unix ms.
    pub last_ms: i64,
    /// Whether the source is throttled now.
    pub throttled_now: bool,
}

/// One source's line of the minute's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub source: Source,
    pub count: u64,
    pub throttled: u64,
}

/// The table of sources that presented wrong tokens. Cheap to clone (shared).
#[derive(Debug, Default, Clone)]
pub struct Attempts {
    inner: Arc<Mutex<HashMap<Source, Entry>>>,
}

#[derive(Debug)]
struct Entry {
    credit: f64,
    at: Instant,
    count: u64,
    throttled: u64,
    last_ms: i64,
    /// Since the last summary.
    unreported: u64,
    unreported_throttled: u64,
}

impl Entry {
    fn refill(&mut self, now: Instant) {
        let gained = now.saturating_duration_since(self.at).as_secs_f64()
            / FAILED_TOKEN_REFILL.as_secs_f64();
        self.credit = (self.credit + gained).min(f64::from(FAILED_TOKEN_BURST));
        self.at = now;
    }

    fn retry_after(&self) -> Duration {
        FAILED_TOKEN_REFILL.mul_f64((1.0 - self.credit).max(0.0))
    }
}

impl Attempts {
    /// Records a wrong token from `ip`; `first` is true for a source's first since it was last
    /// forgotten (worth a log line at once).
    pub fn fail(&self, ip: IpAddr, now: Instant, now_ms: i64) -> (Verdict, bool) {
        let source = Source::of(ip);
        let mut table = self.lock();
        let first = !table.contains_key(&source);
        if first && table.len() >= MAX_SOURCES {
            forget_quiet(&mut table, now);
            if table.len() >= MAX_SOURCES {
                return (
                    Verdict::Throttled {
                        retry_after: FAILED_TOKEN_REFILL,
                    },
                    false,
                );
            }
        }
        let entry = table.entry(source).or_insert(Entry {
            credit: f64::from(FAILED_TOKEN_BURST),
            at: now,
            count: 0,
            throttled: 0,
            last_ms: now_ms,
            unreported: 0,
            unreported_throttled: 0,
        });
        entry.refill(now);
        entry.count += 1;
        entry.unreported += 1;
        entry.last_ms = now_ms;
        let verdict = if entry.credit >= 1.0 {
            entry.credit -= 1.0;
            Verdict::Wrong
        } else {
            entry.throttled += 1;
            entry.unreported_throttled += 1;
            Verdict::Throttled {
                retry_after: entry.retry_after(),
            }
        };
        (verdict, first)
    }

    /// Every source with wrong tokens, most recent first.
    pub fn list(&self, now: Instant) -> Vec<Failed> {
        let mut table = self.lock();
        let mut list: Vec<Failed> = table
            .iter_mut()
            .map(|(source, entry)| {
                entry.refill(now);
                Failed {
                    source: source.to_string(),
                    count: entry.count,
                    throttled: entry.throttled,
                    last_ms: entry.last_ms,
                    throttled_now: entry.credit < 1.0,
                }
            })
            .collect();
        list.sort_by_key(|f| std::cmp::Reverse(f.last_ms));
        list
    }

    /// The wrong tokens since the previous call, one line per source that had any.
    pub fn take_summary(&self) -> Vec<Summary> {
        let mut table = self.lock();
        let mut lines: Vec<Summary> = table
            .iter_mut()
            .filter(|(_, e)| e.unreported > 0)
            .map(|(source, entry)| {
                let line = Summary {
                    source: *source,
                    count: entry.unreported,
                    throttled: entry.unreported_throttled,
                };
                entry.unreported = 0;
                entry.unreported_throttled = 0;
                line
            })
            .collect();
        lines.sort_by_key(|l| std::cmp::Reverse(l.count));
        lines
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Source, Entry>> {
        // A panic while holding this lock leaves plain counters behind: still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Forgets sources whose credit is full again and whose attempts have been reported.
fn forget_quiet(table: &mut HashMap<Source, Entry>, now: Instant) {
    table.retain(|_, entry| {
        entry.refill(now);
        entry.credit < f64::from(FAILED_TOKEN_BURST) || entry.unreported > 0
    });
}

/// Logs one line per source per `every`, while `shutdown` is not cancelled.
pub(crate) async fn report_every(
    attempts: Attempts,
    every: Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        for line in attempts.take_summary() {
            tracing::warn!("{}", summary_text(&line, every));
        }
    }
}

/// The log line of one source's wrong tokens over `every`.
pub fn summary_text(line: &Summary, every: Duration) -> String {
    let throttled = if line.throttled > 0 {
        format!(", {} refused as too many (429)", line.throttled)
    } else {
        String::new()
    };
    format!(
        "{} wrong moderator token{} from {} in the last {}{throttled}",
        line.count,
        if line.count == 1 { "" } else { "s" },
        line.source,
        humantime::format_duration(every),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn a_burst_then_one_per_refill_and_a_retry_after() {
        let attempts = Attempts::default();
        let t0 = Instant::now();
        for i in 0..FAILED_TOKEN_BURST {
            let (verdict, first) = attempts.fail(HOME, t0, 0);
            assert_eq!((verdict, first), (Verdict::Wrong, i == 0));
        }
        let (verdict, _) = attempts.fail(HOME, t0, 0);
        assert_eq!(
            verdict,
            Verdict::Throttled {
                retry_after: FAILED_TOKEN_REFILL
            }
        );
        let later = t0 + FAILED_TOKEN_REFILL;
        assert_eq!(attempts.fail(HOME, later, 0).0, Verdict::Wrong);
        assert!(matches!(
            attempts.fail(HOME, later, 0).0,
            Verdict::Throttled { .. }
        ));
        // Another address has its own credit.
        let other = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(attempts.fail(other, later, 0).0, Verdict::Wrong);
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert_eq!(Source::of(a), Source::of(b));
        assert_eq!(Source::of(a).to_string(), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(Source::of(mapped), Source::of(HOME));
    }

    #[test]
    fn the_summary_has_one_line_per_source_and_starts_again() {
        let attempts = Attempts::default();
        let t0 = Instant::now();
        for _ in 0..12 {
            attempts.fail(HOME, t0, 5);
        }
        let lines = attempts.take_summary();
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].count, lines[0].throttled), (12, 2));
        assert_eq!(
            summary_text(&lines[0], Duration::from_secs(60)),
            "12 wrong moderator tokens from 127.0.0.1 in the last 1m, 2 refused as too many (429)"
        );
        assert!(attempts.take_summary().is_empty(), "reported once");
        let listed = attempts.list(t0);
        assert_eq!((listed[0].count, listed[0].throttled_now), (12, true));
    }

    #[test]
    fn the_table_is_bounded() {
        let attempts = Attempts::default();
        let t0 = Instant::now();
        for i in 0..MAX_SOURCES as u32 {
            attempts.fail(IpAddr::V4(i.into()), t0, 0);
        }
        let stranger = IpAddr::V4(u32::MAX.into());
        assert!(matches!(
            attempts.fail(stranger, t0, 0).0,
            Verdict::Throttled { .. }
        ));
        attempts.take_summary();
        // A minute later every old entry has refilled and been reported: room again.
        let later = t0 + FAILED_TOKEN_REFILL * FAILED_TOKEN_BURST;
        assert_eq!(attempts.fail(stranger, later, 0).0, Verdict::Wrong);
        assert_eq!(attempts.list(later).len(), 1);
    }
}
