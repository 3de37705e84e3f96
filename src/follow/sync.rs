//! Clock sync for `podium follow`, the same estimator as the pages' `web/clocksync.js`
//! (docs/protocol.md): samples from ping/pong, the offset of the lowest-round-trip sample of the
//! current socket, a fallback from `server_time_ms` before the first pong, and a server-time
//! estimate that never runs backwards by a small correction. Both are tested against the same
//! scenarios, `tests/cases/sync.json`. Pure: times come in as arguments.

use std::collections::VecDeque;

/// Samples kept per socket.
const SAMPLES_KEPT: usize = 16;
/// A backward correction larger than this is a different clock, not noise: it is applied.
const MAX_HOLD_MS: f64 = 1_000.0;

/// One ping/pong: its round trip and the offset (server − local) it implies, in ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub rtt_ms: f64,
    pub offset_ms: f64,
}

#[derive(Debug, Default)]
pub struct ClockSync {
    samples: VecDeque<Sample>,
    /// False from a new socket until its first pong: the old samples still serve until then.
    fresh: bool,
    fallback_ms: Option<f64>,
    last_server_now: Option<f64>,
}

impl ClockSync {
    /// A new socket: its first pong will replace the samples of the old one.
    pub fn new_socket(&mut self) {
        self.fresh = false;
    }

    /// A state arrived: before any pong, its `server_time_ms` gives a rough offset.
    pub fn on_state(&mut self, server_time_ms: f64, local_now_ms: f64) {
        if self.samples.is_empty() {
            self.fallback_ms = Some(server_time_ms - local_now_ms);
        }
    }

    /// A pong arrived at `local_now_ms` for a ping sent at `client_ms`.
    pub fn on_pong(&mut self, client_ms: f64, server_ms: f64, local_now_ms: f64) {
        if !client_ms.is_finite() || !server_ms.is_finite() || client_ms > local_now_ms {
            return;
        }
        if !self.fresh {
            self.samples.clear();
            self.fresh = true;
        }
        let rtt_ms = local_now_ms - client_ms;
        self.samples.push_back(Sample {
            rtt_ms,
            offset_ms: server_ms - (client_ms + rtt_ms / 2.0),
        });
        if self.samples.len() > SAMPLES_KEPT {
            self.samples.pop_front();
        }
    }

    /// The lowest-round-trip sample, if any pong arrived.
    pub fn best(&self) -> Option<Sample> {
        self.samples
            .iter()
            .copied()
            .min_by(|a, b| a.rtt_ms.total_cmp(&b.rtt_ms))
    }

    /// Server − local clock, in ms.
    pub fn offset_ms(&self) -> f64 {
        self.best()
            .map(|s| s.offset_ms)
            .or(self.fallback_ms)
            .unwrap_or(0.0)
    }

    /// The server's clock at `local_now_ms`. Never less than a previous answer unless the estimate
    /// moved back by more than a second.
    pub fn server_now(&mut self, local_now_ms: f64) -> f64 {
        let estimate = local_now_ms + self.offset_ms();
        match self.last_server_now {
            Some(last) if estimate < last && last - estimate <= MAX_HOLD_MS => last,
            _ => {
                self.last_server_now = Some(estimate);
                estimate
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scenarios shared with `tests/js/clocksync.test.mjs` (the page's estimator).
    #[test]
    fn the_estimator_follows_the_shared_scenarios() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/cases/sync.json"))
                .expect("the shared table is JSON");
        let scenarios = table["scenarios"].as_array().expect("scenarios");
        assert!(scenarios.len() >= 8);
        // null in the table stands for a value that is not a finite number.
        let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
        for scenario in scenarios {
            let name = scenario["name"].as_str().expect("name");
            let mut sync = ClockSync::default();
            for (i, step) in scenario["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .enumerate()
            {
                let at = format!("{name}, step {}", i + 1);
                match step["do"].as_str().expect("do") {
                    "socket" => sync.new_socket(),
                    "state" => sync.on_state(num(&step["server_time_ms"]), num(&step["local_ms"])),
                    "pong" => sync.on_pong(
                        num(&step["client_ms"]),
                        num(&step["server_ms"]),
                        num(&step["local_ms"]),
                    ),
                    "estimate" => {
                        assert_eq!(sync.offset_ms(), num(&step["offset_ms"]), "{at}");
                        assert_eq!(
                            sync.best().map(|s| s.rtt_ms),
                            step["rtt_ms"].as_f64(),
                            "{at}"
                        );
                    }
                    "server_now" => assert_eq!(
                        sync.server_now(num(&step["local_ms"])),
                        num(&step["expect_ms"]),
                        "{at}"
                    ),
                    other => panic!("{at}: unknown step {other}"),
                }
            }
        }
    }
}
