//! Clock sync for `podium follow`, the same estimator as the speaker page (docs/protocol.md):
//! samples from ping/pong, the offset of the lowest-round-trip sample of the current socket, a
//! fallback from `server_time_ms` before the first pong, and a server-time estimate that never
//! runs backwards by a small correction. Pure: times come in as arguments.

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

    #[test]
    fn the_lowest_round_trip_wins() {
        let mut sync = ClockSync::default();
        sync.new_socket();
        // Local clock 40 ms behind the server; one-way delays 75 / 75, then 75 / 135.
        sync.on_pong(1_000.0, 1_115.0, 1_150.0);
        sync.on_pong(2_000.0, 2_115.0, 2_210.0);
        assert_eq!(
            sync.best(),
            Some(Sample {
                rtt_ms: 150.0,
                offset_ms: 40.0
            })
        );
        assert_eq!(sync.offset_ms(), 40.0);
        assert_eq!(sync.server_now(3_000.0), 3_040.0);
    }

    #[test]
    fn the_fallback_serves_until_the_first_pong() {
        let mut sync = ClockSync::default();
        assert_eq!(sync.offset_ms(), 0.0);
        sync.on_state(10_100.0, 10_000.0);
        assert_eq!(sync.offset_ms(), 100.0);
        sync.new_socket();
        sync.on_pong(10_000.0, 10_030.0, 10_020.0);
        assert_eq!(sync.offset_ms(), 20.0);
        // Once samples exist, states no longer move the estimate.
        sync.on_state(99_999.0, 10_000.0);
        assert_eq!(sync.offset_ms(), 20.0);
    }

    #[test]
    fn a_new_socket_reestimates_on_its_first_pong() {
        let mut sync = ClockSync::default();
        sync.new_socket();
        sync.on_pong(0.0, 5.0, 10.0); // rtt 10, offset 0
        sync.new_socket();
        assert_eq!(sync.offset_ms(), 0.0, "old samples serve until a new pong");
        sync.on_pong(100.0, 300.0, 400.0); // rtt 300 on the new path, offset 50
        assert_eq!(
            sync.offset_ms(),
            50.0,
            "the slow new path replaces the fast old one"
        );
    }

    #[test]
    fn server_time_holds_still_rather_than_running_back() {
        let mut sync = ClockSync::default();
        sync.on_state(1_100.0, 1_000.0);
        assert_eq!(sync.server_now(1_000.0), 1_100.0);
        sync.new_socket();
        sync.on_pong(1_000.0, 1_030.0, 1_010.0); // offset 25: 75 ms back
        assert_eq!(sync.server_now(1_001.0), 1_100.0, "held");
        assert_eq!(sync.server_now(1_080.0), 1_105.0, "caught up");
        // A jump of more than a second is followed.
        sync.new_socket();
        sync.on_pong(2_000.0, 0.0, 2_000.0);
        assert_eq!(sync.server_now(2_000.0), 0.0);
        // Garbage is ignored.
        sync.on_pong(f64::NAN, 1.0, 1.0);
        sync.on_pong(5_000.0, 1.0, 1.0);
        assert_eq!(sync.best().map(|s| s.rtt_ms), Some(0.0));
    }
}
