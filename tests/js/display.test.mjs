// Unit tests for web/display.js, the pages' display rules. Run: node --test tests/js/
// The rules themselves are the shared case table tests/cases/display.json, which the Rust tests
// (podium_core::display, podium follow) read too; the tests here add what a table cannot say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  formatDuration,
  formatOffset,
  formatSlack,
  formatRemaining,
  formatWallClock,
  agendaRows,
  countdownAt,
  cueFor,
  endsAtMinute,
  progressAt,
  msUntilNextChange,
  nextRedrawIn,
  phaseWords,
  phaseAt,
  remainingAt,
} from '../../web/display.js';

const NOW = 1_732_435_200_000;
const TABLE = JSON.parse(readFileSync(new URL('../cases/display.json', import.meta.url), 'utf8'));

// ---- The shared table -----------------------------------------------------------------------

test('the countdown follows the shared table (tests/cases/display.json)', () => {
  assert.ok(TABLE.countdown.length >= 60, `${TABLE.countdown.length} cases`);
  for (const c of TABLE.countdown) {
    const shown = countdownAt(c.state, c.now_ms);
    assert.equal(shown.digits, c.digits, c.name);
    assert.equal(shown.phase, c.phase, c.name);
    assert.equal(shown.words, c.words, c.name);
    if (c.next_change_in_ms == null) {
      assert.equal(shown.nextChangeInMs, Infinity, c.name);
    } else {
      assert.ok(Math.abs(shown.nextChangeInMs - c.next_change_in_ms) < 1e-9, `${c.name}: ${shown.nextChangeInMs}`);
    }
  }
});

test('phase words, offsets, lengths and slack follow the shared table', () => {
  for (const { phase, remaining_ms: remaining, words } of TABLE.words) {
    assert.equal(phaseWords(phase, remaining), words, `${phase} at ${remaining} ms`);
  }
  for (const { ms, words } of TABLE.offsets) assert.equal(formatOffset(ms), words, `offset ${ms}`);
  for (const { ms, text } of TABLE.durations) assert.equal(formatDuration(ms), text, `length ${ms}`);
  for (const { ms, words } of TABLE.slack) assert.equal(formatSlack(ms), words, `slack ${ms}`);
});

test('the progress bar and the end follow the shared table', () => {
  assert.ok(TABLE.progress.length >= 15, `${TABLE.progress.length} cases`);
  for (const c of TABLE.progress) {
    const got = progressAt(c.state, c.now_ms);
    if (c.progress === null) {
      assert.equal(got, null, c.name);
    } else {
      assert.ok(Math.abs(got.elapsed - c.progress.elapsed) < 1e-9, `${c.name}: ${got.elapsed}`);
      if (c.progress.warn_from === null) assert.equal(got.warnFrom, null, c.name);
      else assert.ok(Math.abs(got.warnFrom - c.progress.warn_from) < 1e-9, `${c.name}: ${got.warnFrom}`);
      assert.equal(got.over, c.progress.over, c.name);
    }
    assert.equal(endsAtMinute(c.state, c.now_ms), c.ends_at_ms, c.name);
  }
});

// ---- One redraw rule for every page ---------------------------------------------------------

/** The instants at which a page redrawing after `delay(state, now)` ms first shows each text. */
function flips(s, from, until, delay) {
  const seen = [];
  for (let now = from; now <= until; now += delay(s, now)) {
    const { digits, phase } = countdownAt(s, now);
    if (seen.at(-1)?.[1] !== `${digits} ${phase}`) seen.push([now, `${digits} ${phase}`]);
  }
  return seen;
}

test("the agenda's digits flip with the speaker page's: both redraw by nextRedrawIn", () => {
  // Boundaries 337 ms past the server's whole seconds, a warning between them, through zero.
  for (const speed of [1, 60]) {
    const s = state({ speed, ends_at_ms: NOW + 30_337 / speed }, { warn_ms: 22_500, duration_ms: 30_000 });
    const [from, until] = [NOW + 1_234.5 / speed, NOW + 40_000 / speed];
    const speaker = flips(s, from, until, (st, now) => nextRedrawIn(st, now));
    const agenda = flips(s, from, until, (st, now) => nextRedrawIn(st, now, 1000));
    assert.deepEqual(agenda, speaker, `speed ${speed}`);
    assert.ok(speaker.length > 35, `${speaker.length} flips`);
    // Each one within a millisecond of its boundary (timers are given whole ms, rounded up).
    for (const [at, text] of speaker.slice(1)) {
      const before = countdownAt(s, at - 1);
      assert.notEqual(`${before.digits} ${before.phase}`, text, `speed ${speed}: ${text} late at ${at}`);
    }
  }
});

test('nextRedrawIn: the next change in whole ms, or the next beat of the server clock', () => {
  const s = state({ ends_at_ms: NOW + 300_000 });
  assert.equal(nextRedrawIn(s, NOW + 250.5), 750); // 749.5 rounded up
  assert.equal(nextRedrawIn(s, NOW + 250.5, 1000), 750);
  const paused = state({ phase: 'paused', ends_at_ms: null, remaining_ms: 42_000 });
  assert.equal(nextRedrawIn(paused, NOW + 250.5), Infinity, 'nothing changes until the next state');
  assert.equal(nextRedrawIn(paused, NOW + 250.5, 1000), 750, 'the agenda keeps its clock going');
  assert.equal(nextRedrawIn(paused, NOW, 1000), 1000);
  // The change comes first when it is sooner than the beat.
  const soon = state({ ends_at_ms: NOW + 300_100 });
  assert.equal(nextRedrawIn(soon, NOW + 900, 1000), 100);
});

test('every page schedules its redraws with nextRedrawIn (speaker and overlay, agenda, control)', () => {
  for (const page of ['speaker.js', 'agenda.js', 'control.js']) {
    const source = readFileSync(new URL(`../../web/${page}`, import.meta.url), 'utf8');
    const timers = source.match(/renderTimer = setTimeout\([^;]*/g) ?? [];
    assert.ok(timers.length >= 1, `${page} schedules render`);
    for (const timer of timers) assert.match(timer, /^renderTimer = setTimeout\(render, wait\)$/, page);
    assert.match(source, /const wait = nextRedrawIn\(state, now(, \d+)?\);/, page);
  }
});

/** A state as the server sends it, running a 5:00 segment (2:00 warning) unless overridden. */
function state(overrides = {}, segment = {}) {
  return {
    type: 'state',
    phase: 'running',
    remaining_ms: 300_000,
    ends_at_ms: NOW + 300_000,
    speed: 1,
    ...overrides,
    segment: { title: 'Talk', speaker: 'A', duration_ms: 300_000, max_ms: null, warn_ms: 120_000, ...segment },
  };
}

/** Renders the way the pages do: sleeps until the next change, rounded up to whole ms. */
function renderTimes(s, from, until) {
  const shown = [];
  for (let now = from; now <= until; now += Math.ceil(msUntilNextChange(s, now))) {
    const r = remainingAt(s, now);
    shown.push([now - from, formatRemaining(r), phaseAt(s, r)]);
  }
  return shown;
}

test('a page rendering on msUntilNextChange shows every second once, in step with the server', () => {
  const s = state({ ends_at_ms: NOW + 3_000 }, { warn_ms: 2_000, duration_ms: 3_000, max_ms: 4_000 });
  assert.deepEqual(renderTimes(s, NOW + 400, NOW + 5_000), [
    [0, '0:03', 'running'],
    [600, '0:02', 'warning'],
    [1_600, '0:01', 'warning'],
    [2_600, '0:00', 'overtime'],
    [3_600, '+0:01', 'over-max'],
    [4_600, '+0:02', 'over-max'],
  ]);
});

test('msUntilNextChange scales with speed', () => {
  const s = state({ speed: 60, ends_at_ms: NOW + 5_000 });
  // One show second is 1000/60 real ms.
  assert.ok(Math.abs(msUntilNextChange(s, NOW) - 1000 / 60) < 1e-9);
  const shown = renderTimes(s, NOW, NOW + 100).map(([, text]) => text);
  assert.deepEqual(shown, ['5:00', '4:59', '4:58', '4:57', '4:56', '4:55', '4:54']);
});

test('formatWallClock shows 24-hour time in the show time zone', () => {
  const t = Date.parse('2021-06-10T14:05:09+02:00');
  assert.equal(formatWallClock(t, 'Europe/Zurich'), '14:05');
  assert.equal(formatWallClock(t, 'UTC', true), '12:05:09');
  // An unknown zone falls back to the browser's own rather than failing.
  assert.match(formatWallClock(t, 'Not/AZone'), /^\d\d:\d\d$/);
});

// ---- Issue 7: end actions, phase words, chimes, the agenda --------------------------------------

test('cueFor chimes at the warning, at zero and past the limit, once each', () => {
  const at = (phase, index = 1) => ({ phase, index });
  assert.equal(cueFor(at('running'), at('warning')), 'warning');
  assert.equal(cueFor(at('warning'), at('overtime')), 'zero');
  assert.equal(cueFor(at('warning'), at('stopped')), 'zero');
  assert.equal(cueFor(at('running'), at('overtime')), 'zero', 'a skipped warning still rings zero');
  assert.equal(cueFor(at('overtime'), at('over-max')), 'over-max');
  assert.equal(cueFor(at('warning'), at('warning')), null);
  assert.equal(cueFor(null, at('overtime')), null, 'nothing on page load');
  assert.equal(cueFor(at('overtime', 0), at('running', 1)), null, 'a new segment is silent');
  assert.equal(cueFor(at('paused'), at('overtime')), null, 'an adjustment while paused');
  assert.equal(cueFor(at('ready'), at('warning')), null);
});

test('agendaRows projects what is left from the current countdown', () => {
  const agenda = {
    title: 'Show',
    timezone: 'UTC',
    planned_start: null,
    segments: [
      { index: 0, title: 'Intro', speaker: null, kind: 'intro', duration_ms: 480_000,
        actual_start_ms: NOW - 600_000, actual_end_ms: NOW - 100_000 },
      { index: 1, title: 'Talk', speaker: 'A', kind: 'talk', duration_ms: 300_000,
        actual_start_ms: NOW - 100_000, actual_end_ms: null },
      { index: 2, title: 'Q&A', speaker: null, kind: 'qa', duration_ms: 600_000,
        actual_start_ms: null, actual_end_ms: null },
    ],
  };
  const live = state({ index: 1, show_started_at_ms: NOW - 600_000, ends_at_ms: NOW + 200_000 });
  const rows = agendaRows(agenda, live, NOW);
  assert.deepEqual(rows.map((r) => r.status), ['done', 'current', 'later']);
  assert.equal(rows[0].end_ms, NOW - 100_000);
  assert.equal(rows[0].projected, false);
  assert.equal(rows[1].end_ms, NOW + 200_000);
  assert.ok(Math.abs(rows[1].progress - 1 / 3) < 1e-9, `progress ${rows[1].progress}`);
  assert.equal(rows[2].start_ms, NOW + 200_000);
  assert.equal(rows[2].end_ms, NOW + 800_000);
  // Over time: what is left moves with the clock.
  const late = agendaRows(agenda, live, NOW + 260_000);
  assert.equal(late[1].progress, 1);
  assert.equal(late[2].start_ms, NOW + 260_000);
  // Before the start: from the planned start, or from now once it has passed.
  const ready = state({ phase: 'ready', index: 0, ends_at_ms: null, show_started_at_ms: null,
                        remaining_ms: 480_000 });
  const future = { ...agenda, planned_start: new Date(NOW + 3_600_000).toISOString() };
  assert.equal(agendaRows(future, ready, NOW)[0].start_ms, NOW + 3_600_000);
  assert.equal(agendaRows(future, ready, NOW)[0].status, 'later');
  const past = { ...agenda, planned_start: new Date(NOW - 3_600_000).toISOString() };
  assert.equal(agendaRows(past, ready, NOW)[2].start_ms, NOW + 780_000);
  // At --speed 60 a planned minute passes in a real second.
  const fast = agendaRows(agenda, { ...live, speed: 60 }, NOW);
  assert.equal(fast[2].end_ms - fast[2].start_ms, 10_000);
  // Stopped at zero: the segment ended at its deadline; the next starts no earlier than now.
  const stoppedAgenda = structuredClone(agenda);
  stoppedAgenda.segments[1].actual_end_ms = NOW - 30_000;
  const stopped = agendaRows(stoppedAgenda, state({ phase: 'stopped', index: 1, ends_at_ms: null,
    remaining_ms: 0, show_started_at_ms: NOW - 600_000 }, { on_end: 'stop' }), NOW);
  assert.equal(stopped[1].status, 'current');
  assert.equal(stopped[1].end_ms, NOW - 30_000);
  assert.equal(stopped[2].start_ms, NOW);
  // Finished: every row done with its actual times.
  const done = agendaRows(agenda, state({ phase: 'finished', index: 2, ends_at_ms: null,
                                          show_started_at_ms: NOW - 600_000 }), NOW);
  assert.deepEqual(done.map((r) => r.status), ['done', 'done', 'done']);
});

// ---- The display rules of docs/protocol.md, one test each ----------------------------------

test('rule: zero is shown once, for one second, then overtime starts at +0:01', () => {
  const s = state({ ends_at_ms: NOW + 2_000 }, { warn_ms: 1_000, duration_ms: 2_000 });
  const texts = renderTimes(s, NOW + 10, NOW + 5_000).map(([, text]) => text);
  assert.deepEqual(texts, ['0:02', '0:01', '0:00', '+0:01', '+0:02', '+0:03']);
  assert.equal(texts.filter((t) => t === '0:00').length, 1);
  // 0:00 lasts exactly one second of show time, at any speed.
  const fast = state({ speed: 60, ends_at_ms: NOW + 1_000 });
  assert.equal(formatRemaining(remainingAt(fast, NOW + 1_000)), '0:00');
  assert.equal(msUntilNextChange(fast, NOW + 1_000), 1000 / 60);
  assert.equal(formatRemaining(remainingAt(fast, NOW + 1_000 + 1000 / 60)), '+0:01');
});

test('rule: a countdown rendered at every boundary never shows a second twice or skips one', () => {
  // Start at an awkward instant (not on a boundary) and run past a warning threshold that falls
  // between seconds and through zero into overtime.
  const s = state({ ends_at_ms: NOW + 30_000 }, { warn_ms: 22_500, duration_ms: 30_000 });
  const seconds = renderTimes(s, NOW + 333, NOW + 40_000)
    .map(([, text]) => text)
    .filter((text, i, all) => i === 0 || text !== all[i - 1]) // a phase-only change keeps the text
    .map((text) => (text.startsWith('+') ? -1 : 1) * Number(text.replace('+', '').split(':')[1]));
  for (let i = 1; i < seconds.length; i += 1) assert.equal(seconds[i], seconds[i - 1] - 1, `${seconds}`);
  assert.equal(seconds[0], 30);
  assert.equal(seconds.at(-1), -10);
});
