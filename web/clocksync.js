// clocksync.js — the estimate of the server's clock (docs/protocol.md, "Clock sync"), apart from
// the socket: samples from ping/pong, the offset of the lowest-round-trip sample of the current
// socket, a fallback from a state's `server_time_ms` before the first pong, and a server time
// that never runs backwards by a small correction, so a countdown never shows a second twice.
// The twin of src/follow/sync.rs (`podium follow`); both are tested against tests/cases/sync.json.
// Invariant: pure — every time comes in as an argument (local ms); no timers, no socket.

/** Samples kept per socket. */
export const SAMPLES_KEPT = 16;
/** A backward correction larger than this is a different clock, not noise: it is applied. */
export const MAX_HOLD_MS = 1_000;

/** The best of `samples` (`{rtt, offset}` in ms): the lowest round trip, or null without any. */
export function bestSample(samples) {
  if (samples.length === 0) return null;
  return samples.reduce((best, s) => (s.rtt < best.rtt ? s : best));
}

export class ClockSync {
  constructor() {
    this.samples = []; // {rtt, offset} of the current socket's latest pongs
    this.fresh = false; // false from a new socket until its first pong: old samples serve till then
    this.fallbackOffset = null; // from server_time_ms, until a pong arrives
    this.lastServerNow = -Infinity;
  }

  /** A new socket: its first pong will replace the samples of the old one (another path). */
  newSocket() {
    this.fresh = false;
  }

  /** A state arrived at `localNowMs`: before any pong, its `server_time_ms` gives a rough offset. */
  onState(serverTimeMs, localNowMs) {
    if (this.samples.length === 0) this.fallbackOffset = serverTimeMs - localNowMs;
  }

  /** A pong arrived at `localNowMs` for a ping sent at `clientMs`: one sample, if it is sane. */
  onPong(clientMs, serverMs, localNowMs) {
    if (!Number.isFinite(clientMs) || !Number.isFinite(serverMs) || clientMs > localNowMs) return;
    if (!this.fresh) {
      this.samples = []; // the first pong of a new socket: re-estimate on this path
      this.fresh = true;
    }
    const rtt = localNowMs - clientMs;
    this.samples.push({ rtt, offset: serverMs - (clientMs + rtt / 2) });
    if (this.samples.length > SAMPLES_KEPT) this.samples.shift();
  }

  /** The lowest-round-trip sample `{rtt, offset}`, or null before the first pong. */
  best() {
    return bestSample(this.samples);
  }

  /** The current estimate: `{offset, rtt}` in ms (server − local; rtt null before any pong). */
  estimate() {
    return this.best() ?? { offset: this.fallbackOffset ?? 0, rtt: null };
  }

  /**
   * The server's clock at `localNowMs`, in Unix ms. Never less than a previous answer unless the
   * estimate moved back by more than MAX_HOLD_MS (then it follows the new clock).
   */
  serverNow(localNowMs) {
    const estimate = localNowMs + this.estimate().offset;
    if (estimate < this.lastServerNow && this.lastServerNow - estimate <= MAX_HOLD_MS) {
      return this.lastServerNow;
    }
    this.lastServerNow = estimate;
    return estimate;
  }
}
