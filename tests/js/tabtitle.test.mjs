// Unit tests for the speaker page's tab title (web/display.js `tabTitle`), issue 14: a speaker
// sharing their slides full screen sees the remaining time in the tab strip. Run: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countdownAt, tabTitle } from '../../web/display.js';

const NOW = 1_732_435_200_000;
const running = {
  title: 'Test show',
  phase: 'running',
  index: 1,
  remaining_ms: 300_000,
  ends_at_ms: NOW + 299_500,
  speed: 1,
  segment: { title: 'Keynote', speaker: 'Neha Misra', duration_ms: 600_000, warn_ms: 60_000 },
};

test('the tab shows the digits the page draws, then the segment', () => {
  const { digits } = countdownAt(running, NOW);
  assert.equal(digits, '5:00');
  assert.equal(tabTitle(running, digits), '5:00 · Keynote — Podium');
  const later = countdownAt(running, NOW + 1_000);
  assert.equal(tabTitle(running, later.digits), '4:59 · Keynote — Podium');
  const over = countdownAt(running, NOW + 320_000);
  assert.equal(tabTitle(running, over.digits), '+0:20 · Keynote — Podium');
});

test('before the start, paused and finished', () => {
  const ready = { ...running, phase: 'ready', ends_at_ms: null, remaining_ms: 120_000 };
  assert.equal(tabTitle(ready, countdownAt(ready, NOW).digits), '2:00 · Keynote — Podium');
  const paused = { ...running, phase: 'paused', ends_at_ms: null, remaining_ms: 61_000 };
  assert.equal(tabTitle(paused, countdownAt(paused, NOW).digits), '1:01 · Keynote — Podium');
  const finished = { ...running, phase: 'finished', segment: null };
  assert.equal(tabTitle(finished, 'Finished'), 'Finished · Test show — Podium');
});

test('a blanked or message-only screen keeps its digits out of the tab', () => {
  assert.equal(tabTitle({ ...running, blackout: true }, '4:59'), 'Keynote — Podium');
  assert.equal(tabTitle({ ...running, focus: true }, '4:59'), 'Keynote — Podium');
});

test('without titles', () => {
  const bare = { ...running, title: '', segment: { ...running.segment, title: '' } };
  assert.equal(tabTitle(bare, '4:59'), '4:59 · Podium');
  assert.equal(tabTitle({ ...bare, blackout: true }, '4:59'), 'Podium');
});
