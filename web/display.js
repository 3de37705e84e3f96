// display.js — what the pages show, as pure functions of the server's state and a clock.
// Owns the display rules of docs/protocol.md (digits, local phase, next change, offsets), the
// twin of podium_core::display in Rust: both are tested against tests/cases/display.json.
// Invariant: no DOM, no timers, no I/O; the same inputs always give the same text. The words are
// i18n.js's (English unless a page passes another language's).
import { WORDS } from './i18n.js';

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

/** True when the segment ends at zero (`on_end` "stop" or "next") instead of counting up. */
function endsAtZero(state) {
  const onEnd = state.segment?.on_end;
  return onEnd === 'stop' || onEnd === 'next';
}

/**
 * Remaining show time at `serverNowMs`: derived from `ends_at_ms` while ticking, else as sent.
 * A segment that ends at zero never goes below it (the server's next state says what follows).
 */
export function remainingAt(state, serverNowMs) {
  if (!isTicking(state)) return state.remaining_ms;
  const r = (state.ends_at_ms - serverNowMs) * (state.speed ?? 1);
  return endsAtZero(state) ? Math.max(0, r) : r;
}

/** Remaining time (ms) at which the segment passes its hard limit, or null without one. */
function overMaxAt(segment) {
  // `duration_ms` and `max_ms` both carry the moderator's adjustments: their difference does not.
  return segment.max_ms == null ? null : segment.duration_ms - segment.max_ms;
}

/**
 * The phase to show for `remainingMs`. While ticking it is derived locally, with thresholds that
 * are crossed when reached (like the digits), so the colour flips on the same frame as the text:
 * warning at `warn_ms`, overtime as "0:00" appears, over-max at the hard limit. A server that
 * already says over-max is believed, since only it knows the segment's adjusted length.
 */
export function phaseAt(state, remainingMs) {
  if (!isTicking(state)) return state.phase;
  if (endsAtZero(state) && remainingMs <= 0) {
    return state.segment.on_end === 'stop' ? 'stopped' : 'warning';
  }
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
  if (endsAtZero(state) && r <= 0) return Infinity; // the server's stop or hand-over comes next
  // The digits change whenever r reaches a multiple of 1000 (see formatRemaining).
  let next = 1000 * (Math.ceil(r / 1000) - 1);
  for (const threshold of [state.segment.warn_ms, 0, overMaxAt(state.segment)]) {
    if (threshold != null && threshold < r && threshold > next) next = threshold;
  }
  return (r - next) / (state.speed ?? 1);
}

/**
 * Everything a page shows of the countdown at `serverNowMs`: `{remaining, digits, phase, words,
 * nextChangeInMs}` (the case table's fields; a page may show "Finished" in place of the digits).
 */
export function countdownAt(state, serverNowMs, table = WORDS.en.phase) {
  const remaining = remainingAt(state, serverNowMs);
  const phase = phaseAt(state, remaining);
  let words = phaseWords(phase, remaining, table);
  // A pause past the hard limit keeps saying so, as it did while running (issue 14).
  const limit = state.segment ? overMaxAt(state.segment) : null;
  if (phase === 'paused' && limit != null && remaining <= limit && remaining <= -1000) {
    words = table.pausedPastLimit(formatRemaining(remaining).replace(/^\+/, ''));
  }
  return {
    remaining,
    digits: formatRemaining(remaining),
    phase,
    words,
    nextChangeInMs: msUntilNextChange(state, serverNowMs),
  };
}

/**
 * The speaker page's progress bar at `serverNowMs`: `{elapsed, warnFrom, over}`, or null when the
 * show is finished (or the length is not positive). `elapsed` is the share of the segment's
 * current length used (adjustments included), clamped to 0..1: it holds while paused and stays
 * full in overtime; `warnFrom` is where the warning zone starts (null without one); `over`: no
 * time left. Cases: tests/cases/display.json ("progress"), shared with Rust.
 */
export function progressAt(state, serverNowMs) {
  const length = state.segment?.duration_ms;
  if (state.phase === 'finished' || !(length > 0)) return null;
  const share = (used) => Math.min(1, Math.max(0, used / length));
  const remaining = remainingAt(state, serverNowMs);
  const warn = state.segment.warn_ms;
  return {
    elapsed: share(length - remaining),
    warnFrom: warn == null ? null : share(length - warn),
    over: remaining <= 0,
  };
}

/**
 * When the running segment reaches zero, in the server's Unix ms rounded to the nearest minute
 * (halves up), for "ends at 15:40"; null unless the countdown moves with time left (a paused or
 * waiting segment has no fixed end; past zero the digits say how far over).
 */
export function endsAtMinute(state, serverNowMs) {
  if (!isTicking(state) || !(remainingAt(state, serverNowMs) > 0)) return null;
  return Math.round(state.ends_at_ms / 60000) * 60000;
}

/**
 * How long a page waits before it redraws on its own, in whole real ms (rounded up: a timer fires
 * early on a fraction): until the digits or the phase next change. Every page schedules its
 * redraws with this, so their digits flip together. A page that also shows the time of day
 * (`beatMs` 1000: the agenda's clock and projected times) redraws at the next whole beat of the
 * server's clock too, if that comes first; else Infinity: nothing to do until the next state.
 */
export function nextRedrawIn(state, serverNowMs, beatMs = Infinity) {
  const beat = Number.isFinite(beatMs) ? beatMs - (((serverNowMs % beatMs) + beatMs) % beatMs) : Infinity;
  return Math.ceil(Math.min(msUntilNextChange(state, serverNowMs), beat));
}

/**
 * The schedule offset as words: positive is behind plan, negative ahead; to the nearest second,
 * halves up either way ("0:02 behind" for 1.5 s), "on time" under half a second.
 */
export function formatOffset(ms, words = WORDS.en.offset) {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds === 0) return words.onTime;
  return ms > 0 ? words.behind(clock(seconds)) : words.ahead(clock(seconds));
}

/** The slack against the slot's end in words: `ends 2:00 early`, `ends 0:02 late`, `ends on time`. */
export function formatSlack(ms) {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds === 0) return 'ends on time';
  return `ends ${clock(seconds)} ${ms > 0 ? 'early' : 'late'}`;
}

/**
 * Wall-clock formatters by locale, zone and seconds: building an `Intl.DateTimeFormat` costs about
 * a millisecond, too much for the speaker page's once-a-second redraw (it delays the digits).
 * Bounded: a page asks for a handful.
 */
const dateTimeFormats = new Map();
const DATE_TIME_FORMATS_MAX = 64;

/**
 * An `Intl.DateTimeFormat` of `options` in `locale` and `timeZone` (the browser's own zone when
 * absent or unknown), kept: building one costs about a millisecond, too much for a page's
 * once-a-second redraw (it delays the digits). Bounded: a page asks for a handful.
 */
export function dateTimeFormat(locale, options, timeZone) {
  const key = `${locale}|${timeZone ?? ''}|${JSON.stringify(options)}`;
  let format = dateTimeFormats.get(key);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat(locale, options); // an unknown zone: the browser's own
    }
    if (dateTimeFormats.size >= DATE_TIME_FORMATS_MAX) dateTimeFormats.clear();
    dateTimeFormats.set(key, format);
  }
  return format;
}

const HOURS_MINUTES = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
const HOURS_MINUTES_SECONDS = { ...HOURS_MINUTES, second: '2-digit' };

/** Unix ms as a 24-hour wall-clock time in `timeZone` (browser's own when absent or unknown). */
export function formatWallClock(unixMs, timeZone, withSeconds = false, locale = 'en-GB') {
  const options = withSeconds ? HOURS_MINUTES_SECONDS : HOURS_MINUTES;
  return dateTimeFormat(locale, options, timeZone).format(unixMs);
}

/**
 * The phase in words, for a speaker who cannot tell the colours apart (or a greyscale monitor):
 * "2 minutes left", "Time's up", "Over by 1:20", "Paused — over by 1:20", "Paused — time's up" (a
 * pause at 0:00; past the limit `countdownAt` adds it, as it knows the limit). Running needs none (the
 * calm default: only the digits); the moving phases derive theirs from `remainingMs`, like the
 * digits. Cases: tests/cases/display.json ("words"), shared with Rust.
 */
export function phaseWords(phase, remainingMs, words = WORDS.en.phase) {
  const over = () => formatRemaining(remainingMs).replace(/^\+/, '');
  switch (phase) {
    case 'ready':
      return words.ready;
    case 'paused':
      // A pause in overtime still says how far over the segment is.
      if (remainingMs <= -1000) return words.pausedOver(over());
      return remainingMs <= 0 ? words.pausedZero : words.paused;
    case 'warning': {
      const seconds = Math.ceil(remainingMs / 1000);
      if (seconds >= 60) return words.minutesLeft(Math.floor(seconds / 60));
      return seconds > 0 ? words.underAMinute : words.timesUp;
    }
    case 'overtime':
      return remainingMs > -1000 ? words.timesUp : words.overBy(over());
    case 'over-max':
      return words.pastLimit(over());
    case 'stopped':
      return words.timesUp;
    default:
      return ''; // running; finished says it in place of the digits
  }
}

/**
 * The chime for a change of phase seen live, or null: one at the warning, one when time is up
 * (counting on, or stopping there) and one past the hard limit. A new segment, or any other
 * change, rings nothing.
 */
export function cueFor(before, after) {
  if (before == null || before.index !== after.index || before.phase === after.phase) return null;
  const wasTicking = TICKING.has(before.phase);
  if (after.phase === 'warning' && before.phase === 'running') return 'warning';
  if ((after.phase === 'overtime' || after.phase === 'stopped') && wasTicking) return 'zero';
  if (after.phase === 'over-max' && wasTicking) return 'over-max';
  return null;
}

/**
 * The agenda's rows at `serverNowMs`, from `GET /api/agenda` and the latest state. Each row:
 * `{index, title, speaker, kind, status, start_ms, end_ms, projected}` where status is "done",
 * "current" or "later" and times are Unix ms. Done rows keep their actual times; the current one
 * ends when its countdown says (now, once it is over time); later ones follow at their planned
 * lengths. Before the start, times run from the planned start, or from now if that has passed.
 * `progress` (0..1) is how much of the current segment's time is used (so far / so far + left).
 */
export function agendaRows(agenda, state, serverNowMs) {
  const finished = state.phase === 'finished';
  const started = state.show_started_at_ms != null;
  const remaining = remainingAt(state, serverNowMs);
  const plannedStart = agenda.planned_start ? Date.parse(agenda.planned_start) : NaN;
  let cursor = started ? serverNowMs : Math.max(serverNowMs, plannedStart || serverNowMs);
  return agenda.segments.map((seg) => {
    const done = finished || (started && seg.index < state.index);
    const current = !finished && seg.index === state.index;
    const row = {
      index: seg.index,
      title: seg.title,
      speaker: seg.speaker ?? null,
      kind: seg.kind,
      status: done ? 'done' : current && started ? 'current' : 'later',
      projected: true,
      progress: 0,
    };
    if (done) {
      row.start_ms = seg.actual_start_ms;
      row.end_ms = seg.actual_end_ms;
      row.projected = false;
      row.progress = 1;
    } else if (current && started) {
      const length = state.segment?.duration_ms ?? seg.duration_ms;
      row.start_ms = seg.actual_start_ms ?? serverNowMs - (length - remaining) / (state.speed ?? 1);
      // A segment that stopped at zero has ended; what follows cannot start before now.
      row.end_ms = seg.actual_end_ms ?? serverNowMs + Math.max(0, remaining) / (state.speed ?? 1);
      // Time used over time used plus time left: adjustments and pauses included.
      const used = (serverNowMs - row.start_ms) * (state.speed ?? 1);
      const total = used + Math.max(0, remaining);
      row.progress = total > 0 ? Math.min(1, Math.max(0, used / total)) : 1;
      cursor = Math.max(row.end_ms, serverNowMs);
    } else {
      row.start_ms = cursor;
      row.end_ms = cursor + seg.duration_ms / (state.speed ?? 1);
      cursor = row.end_ms;
    }
    return row;
  });
}

/**
 * The speaker page's tab title: the digits first, so a speaker sharing their slides sees the time
 * in the tab strip ("4:59 · Keynote — Podium"). `digits` is what the page shows (the countdown, or
 * "Finished"); the title is the segment's (the show's once finished). A blanked screen or one that
 * shows only the message keeps its digits out of the tab too.
 */
export function tabTitle(state, digits) {
  const title = state.phase === 'finished' ? state.title : state.segment?.title || state.title;
  const name = title ? `${title} — Podium` : 'Podium';
  return state.blackout || state.focus || !digits ? name : `${digits} · ${name}`;
}
