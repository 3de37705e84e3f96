// display.js — what the pages show, as pure functions of the server's state and a clock.
// Owns the display rules of docs/protocol.md (digits, local phase, next change, offsets).
// Invariant: no DOM, no timers, no I/O; the same inputs always give the same text.

/** Phases in which the countdown moves on its own. */
const TICKING = new Set(['running', 'warning', 'overtime', 'over-max']);

/** True when the state's countdown is moving (the digits change without a new message). */
export function isTicking(state) {
  return TICKING.has(state.phase) && state.ends_at_ms != null;
}

/** Whole seconds as "m:ss", or "h:mm:ss" from one hour on. */
function clock(totalSeconds) {
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const ss = String(totalSeconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * The countdown digits for `ms` of remaining show time: ceil seconds while time remains (a 5:00
 * segment starts at "5:00"), "0:00" for -1000 < ms <= 0, then "+0:01", "+0:02", … counting up.
 */
export function formatRemaining(ms) {
  if (ms > 0) return clock(Math.ceil(ms / 1000));
  if (ms > -1000) return '0:00';
  return '+' + clock(Math.floor(-ms / 1000));
}

/** A non-negative length of time as "m:ss" / "h:mm:ss", rounded to the second. */
export function formatDuration(ms) {
  return clock(Math.round(Math.max(0, ms) / 1000));
}

/** Remaining show time at `serverNowMs`: derived from `ends_at_ms` while ticking, else as sent. */
export function remainingAt(state, serverNowMs) {
  if (!isTicking(state)) return state.remaining_ms;
  return (state.ends_at_ms - serverNowMs) * (state.speed ?? 1);
}

/** Remaining time (ms) at which the segment passes its hard limit, or null without one. */
function overMaxAt(segment) {
  // The state does not carry adjustments, so this measures the limit from the planned length.
  return segment.max_ms == null ? null : segment.duration_ms - segment.max_ms;
}

/**
 * The phase to show for `remainingMs`. While ticking it is derived locally, with thresholds that
 * are crossed when reached (like the digits), so the colour flips on the same frame as the text:
 * warning at `warn_ms`, overtime as "0:00" appears, over-max at the hard limit. A server that
 * already says over-max is believed, since only it knows the segment's adjusted length.
 */
export function phaseAt(state, remainingMs) {
  if (!TICKING.has(state.phase)) return state.phase;
  const limit = overMaxAt(state.segment);
  if (state.phase === 'over-max' || (limit != null && remainingMs <= limit)) return 'over-max';
  if (remainingMs <= 0) return 'overtime';
  if (state.segment.warn_ms != null && remainingMs <= state.segment.warn_ms) return 'warning';
  return 'running';
}

/**
 * Real milliseconds from `serverNowMs` until the digits or the phase next change, or Infinity when
 * nothing changes before the next state message. Always > 0 while ticking; the caller should round
 * up, since timers fire early on a fractional delay.
 */
export function msUntilNextChange(state, serverNowMs) {
  if (!isTicking(state)) return Infinity;
  const r = remainingAt(state, serverNowMs);
  // The digits change whenever r reaches a multiple of 1000 (see formatRemaining).
  let next = 1000 * (Math.ceil(r / 1000) - 1);
  for (const threshold of [state.segment.warn_ms, 0, overMaxAt(state.segment)]) {
    if (threshold != null && threshold < r && threshold > next) next = threshold;
  }
  return (r - next) / (state.speed ?? 1);
}

/** The schedule offset as words: positive is behind plan, negative ahead. */
export function formatOffset(ms) {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds === 0) return 'on time';
  return `${clock(seconds)} ${ms > 0 ? 'behind' : 'ahead'}`;
}

/** Unix ms as a 24-hour wall-clock time in `timeZone` (browser's own when absent or unknown). */
export function formatWallClock(unixMs, timeZone, withSeconds = false) {
  const options = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (withSeconds) options.second = '2-digit';
  try {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(unixMs);
  } catch {
    return new Intl.DateTimeFormat('en-GB', options).format(unixMs);
  }
}
