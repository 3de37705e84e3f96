// Unit tests for web/clocksync.js, the pages' clock-sync estimator. Run: node --test tests/js/
// The scenarios are the shared table tests/cases/sync.json, which src/follow/sync.rs runs too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ClockSync, bestSample } from '../../web/clocksync.js';

const TABLE = JSON.parse(readFileSync(new URL('../cases/sync.json', import.meta.url), 'utf8'));

/** null in the table stands for a value that is not a finite number. */
const num = (value) => (value == null ? NaN : value);

test('the estimator follows the shared scenarios (tests/cases/sync.json)', () => {
  assert.ok(TABLE.scenarios.length >= 8);
  for (const { name, steps } of TABLE.scenarios) {
    const sync = new ClockSync();
    steps.forEach((step, i) => {
      const where = `${name}, step ${i + 1}`;
      switch (step.do) {
        case 'socket':
          sync.newSocket();
          break;
        case 'state':
          sync.onState(step.server_time_ms, step.local_ms);
          break;
        case 'pong':
          sync.onPong(num(step.client_ms), num(step.server_ms), step.local_ms);
          break;
        case 'estimate':
          assert.deepEqual(sync.estimate(), { offset: step.offset_ms, rtt: step.rtt_ms }, where);
          break;
        case 'server_now':
          assert.equal(sync.serverNow(step.local_ms), step.expect_ms, where);
          break;
        default:
          assert.fail(`${where}: unknown step ${step.do}`);
      }
    });
  }
});

test('bestSample keeps the offset of the lowest round trip', () => {
  assert.equal(bestSample([]), null);
  const samples = [
    { rtt: 180, offset: 40 }, // delayed on the way back: its offset is off by ~half the excess
    { rtt: 152, offset: 3 },
    { rtt: 210, offset: -25 },
  ];
  assert.deepEqual(bestSample(samples), { rtt: 152, offset: 3 });
});
