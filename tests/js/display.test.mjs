// Unit tests for web/display.js, the pages' display rules. Run: node --test tests/js/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  formatDuration,
  formatOffset,
  formatRemaining,
  formatWallClock,
  agendaRows,
  cueFor,
  msUntilNextChange,
  phaseWords,
  phaseAt,
  remainingAt,
} from '../../web/display.js';

const NOW = 1_732_435_200_000;

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

test('formatRemaining shows ceil seconds while time remains', () => {
  assert.equal(formatRemaining(300_000), '5:00');
  assert.equal(formatRemaining(299_001), '5:00');
  assert.equal(formatRemaining(299_000), '4:59');
  assert.equal(formatRemaining(60_000), '1:00');
  assert.equal(formatRemaining(59_999), '1:00');
  assert.equal(formatRemaining(10_500), '0:11');
  assert.equal(formatRemaining(1), '0:01');
  assert.equal(formatRemaining(0.5), '0:01');
});

test('formatRemaining shows 0:00 for one second, then counts up', () => {
  assert.equal(formatRemaining(0), '0:00');
  assert.equal(formatRemaining(-0), '0:00');
  assert.equal(formatRemaining(-999), '0:00');
  assert.equal(formatRemaining(-999.9), '0:00');
  assert.equal(formatRemaining(-1000), '+0:01');
  assert.equal(formatRemaining(-1999), '+0:01');
  assert.equal(formatRemaining(-2000), '+0:02');
  assert.equal(formatRemaining(-65_000), '+1:05');
});

test('formatRemaining switches to h:mm:ss from one hour on', () => {
  assert.equal(formatRemaining(3_600_000), '1:00:00');
  assert.equal(formatRemaining(3_599_001), '1:00:00');
  assert.equal(formatRemaining(3_599_000), '59:59');
  assert.equal(formatRemaining(5_400_000), '1:30:00');
  assert.equal(formatRemaining(36_005_000), '10:00:05');
  assert.equal(formatRemaining(-3_600_000), '+1:00:00');
  assert.equal(formatRemaining(-3_661_999), '+1:01:01');
});

test('remainingAt derives running time from ends_at_ms and speed', () => {
  const s = state({ remaining_ms: 300_000, ends_at_ms: NOW + 300_000 });
  assert.equal(remainingAt(s, NOW), 300_000);
  assert.equal(remainingAt(s, NOW + 1_000), 299_000);
  assert.equal(remainingAt(s, NOW + 301_000), -1_000);

  // At speed 60 one real second is a minute of show time.
  const fast = state({ speed: 60, ends_at_ms: NOW + 5_000 });
  assert.equal(remainingAt(fast, NOW), 300_000);
  assert.equal(remainingAt(fast, NOW + 1_000), 240_000);
  assert.equal(formatRemaining(remainingAt(fast, NOW + 1_000)), '4:00');
  assert.equal(remainingAt(fast, NOW + 6_000), -60_000);
});

test('remainingAt uses remaining_ms when the segment is not running', () => {
  for (const phase of ['ready', 'paused', 'finished']) {
    const s = state({ phase, remaining_ms: 42_000, ends_at_ms: null });
    assert.equal(remainingAt(s, NOW + 10_000), 42_000, phase);
  }
  // A running phase without a deadline is shown as sent.
  assert.equal(remainingAt(state({ ends_at_ms: null, remaining_ms: 7_000 }), NOW), 7_000);
});

test('phaseAt flips on the frame the digits reach each threshold', () => {
  const s = state({}, { warn_ms: 120_000, max_ms: 420_000 }); // hard limit at 2:00 over
  assert.equal(phaseAt(s, 120_001), 'running'); // shows 2:01
  assert.equal(phaseAt(s, 120_000), 'warning'); // shows 2:00
  assert.equal(phaseAt(s, 1), 'warning'); // shows 0:01
  assert.equal(phaseAt(s, 0), 'overtime'); // shows 0:00
  assert.equal(phaseAt(s, -1_000), 'overtime');
  assert.equal(phaseAt(s, -119_001), 'overtime'); // shows +1:59
  assert.equal(phaseAt(s, -120_000), 'over-max'); // shows +2:00
  assert.equal(phaseAt(s, -500_000), 'over-max');
});

test('phaseAt without a hard limit never reaches over-max', () => {
  const s = state({}, { max_ms: null });
  assert.equal(phaseAt(s, -86_400_000), 'overtime');
});

test('phaseAt derives from the digits whatever phase the server last sent while running', () => {
  const s = state({ phase: 'warning' });
  assert.equal(phaseAt(s, 200_000), 'running');
  assert.equal(phaseAt(state({ phase: 'running' }), -5_000), 'overtime');
});

test('phaseAt believes a server that says over-max', () => {
  // Only the server knows the adjusted length that the limit is measured from.
  const s = state({ phase: 'over-max' }, { max_ms: 600_000 });
  assert.equal(phaseAt(s, -10_000), 'over-max');
});

test('phaseAt keeps the server phase when nothing runs', () => {
  for (const phase of ['ready', 'paused', 'finished']) {
    assert.equal(phaseAt(state({ phase, ends_at_ms: null }), -500_000), phase);
  }
});

/** Renders the way the pages do: sleeps until the next change, rounded up to whole ms. */
function renderTimes(s, from, until) {
  const shown = [];
  for (let now = from; now <= until; now += Math.ceil(msUntilNextChange(s, now))) {
    const r = remainingAt(s, now);
    shown.push([now - from, formatRemaining(r), phaseAt(s, r)]);
  }
  return shown;
}

test('msUntilNextChange lands on second boundaries', () => {
  const s = state({ ends_at_ms: NOW + 300_000 });
  assert.equal(msUntilNextChange(s, NOW), 1_000);
  assert.equal(msUntilNextChange(s, NOW + 999), 1);
  assert.equal(msUntilNextChange(s, NOW + 1_000), 1_000);
  assert.equal(msUntilNextChange(s, NOW + 1_250), 750);
  // Through zero and into overtime: "0:01" → "0:00" → "+0:01", one second each.
  assert.equal(msUntilNextChange(s, NOW + 299_500), 500);
  assert.equal(msUntilNextChange(s, NOW + 300_000), 1_000);
  assert.equal(msUntilNextChange(s, NOW + 300_400), 600);
  assert.equal(msUntilNextChange(s, NOW + 301_000), 1_000);
});

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

test('msUntilNextChange stops at a threshold that falls between seconds', () => {
  const s = state({ ends_at_ms: NOW + 30_000 }, { warn_ms: 22_500 });
  assert.equal(msUntilNextChange(s, NOW + 7_000), 500); // 23 000 left: warning at 22 500
  assert.equal(msUntilNextChange(s, NOW + 7_500), 500); // then the digits at 22 000
});

test('msUntilNextChange is Infinity when nothing runs', () => {
  for (const phase of ['ready', 'paused', 'finished']) {
    assert.equal(msUntilNextChange(state({ phase, ends_at_ms: null }), NOW), Infinity);
  }
});

test('formatOffset says how far behind or ahead, to the second', () => {
  assert.equal(formatOffset(200_000), '3:20 behind');
  assert.equal(formatOffset(-65_000), '1:05 ahead');
  assert.equal(formatOffset(0), 'on time');
  assert.equal(formatOffset(400), 'on time');
  assert.equal(formatOffset(-400), 'on time');
  assert.equal(formatOffset(3_725_000), '1:02:05 behind');
});

test('formatDuration rounds lengths to the second', () => {
  assert.equal(formatDuration(480_000), '8:00');
  assert.equal(formatDuration(490_400), '8:10');
  assert.equal(formatDuration(4_500_000), '1:15:00');
  assert.equal(formatDuration(0), '0:00');
});

test('formatWallClock shows 24-hour time in the show time zone', () => {
  const t = Date.parse('2021-06-10T14:05:09+02:00');
  assert.equal(formatWallClock(t, 'Europe/Zurich'), '14:05');
  assert.equal(formatWallClock(t, 'UTC', true), '12:05:09');
  // An unknown zone falls back to the browser's own rather than failing.
  assert.match(formatWallClock(t, 'Not/AZone'), /^\d\d:\d\d$/);
});

// ---- Issue 7: end actions, phase words, chimes, the agenda --------------------------------------

test('a segment that stops at zero shows 0:00 and "stopped" locally, never overtime', () => {
  const s = state({}, { on_end: 'stop' });
  assert.equal(remainingAt(s, NOW + 300_000), 0);
  assert.equal(remainingAt(s, NOW + 305_000), 0);
  assert.equal(phaseAt(s, 0), 'stopped');
  assert.equal(phaseAt(s, 1), 'warning');
  assert.equal(msUntilNextChange(s, NOW + 301_000), Infinity);
  const linked = state({}, { on_end: 'next' });
  assert.equal(formatRemaining(remainingAt(linked, NOW + 302_000)), '0:00');
  assert.equal(phaseAt(linked, 0), 'warning', 'held at zero until the next segment arrives');
  // The default counts up as before.
  assert.equal(phaseAt(state({}, { on_end: 'overtime' }), -1), 'overtime');
});

test('phaseWords says every attention phase in words (the table shared with podium follow)', () => {
  const table = JSON.parse(readFileSync(new URL('./phase_words.json', import.meta.url), 'utf8'));
  assert.ok(table.cases.length > 10);
  for (const { phase, remaining_ms: remaining, words } of table.cases) {
    assert.equal(phaseWords(phase, remaining), words, `${phase} at ${remaining} ms`);
  }
});

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

test('rule: a 5:00 segment shows 5:00 at its start, never 4:59 first', () => {
  const s = state({ ends_at_ms: NOW + 300_000 });
  assert.equal(formatRemaining(remainingAt(s, NOW)), '5:00');
  assert.equal(formatRemaining(remainingAt(s, NOW + 1)), '5:00');
  assert.equal(formatRemaining(remainingAt(s, NOW + 999)), '5:00');
  assert.equal(formatRemaining(remainingAt(s, NOW + 1_000)), '4:59');
  // The ready state before the start shows the full length too.
  const ready = state({ phase: 'ready', ends_at_ms: null, remaining_ms: 300_000 });
  assert.equal(formatRemaining(remainingAt(ready, NOW)), '5:00');
  // The first scheduled change is a full second after the start.
  assert.equal(msUntilNextChange(s, NOW), 1_000);
});

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

test('rule: pause shows exactly the paused value, whatever the screen clock says', () => {
  const paused = state({ phase: 'paused', ends_at_ms: null, remaining_ms: 154_321 });
  for (const now of [NOW - 86_400_000, NOW, NOW + 3_600_000]) {
    assert.equal(remainingAt(paused, now), 154_321);
    assert.equal(formatRemaining(remainingAt(paused, now)), '2:35');
    assert.equal(phaseAt(paused, remainingAt(paused, now)), 'paused');
    assert.equal(msUntilNextChange(paused, now), Infinity);
  }
  // Paused in overtime shows the overtime value, as sent.
  const late = state({ phase: 'paused', ends_at_ms: null, remaining_ms: -61_500 });
  assert.equal(formatRemaining(remainingAt(late, NOW)), '+1:01');
});

test('rule: an adjustment jumps at once to the new value', () => {
  // 2:10 shown; the moderator adds a minute: the next state's ends_at_ms is 60 s later.
  const before = state({ ends_at_ms: NOW + 130_000 });
  const after = state({ ends_at_ms: NOW + 190_000 }, { duration_ms: 360_000 });
  assert.equal(formatRemaining(remainingAt(before, NOW + 500)), '2:10');
  assert.equal(formatRemaining(remainingAt(after, NOW + 500)), '3:10');
  // The next change is still on the server's second boundary (500 ms away), not a second later.
  assert.equal(msUntilNextChange(after, NOW + 500), 500);
  // Taking time into overtime shows the overtime at once.
  const cut = state({ ends_at_ms: NOW - 5_000 });
  assert.equal(formatRemaining(remainingAt(cut, NOW + 500)), '+0:05');
  assert.equal(phaseAt(cut, remainingAt(cut, NOW + 500)), 'overtime');
});
