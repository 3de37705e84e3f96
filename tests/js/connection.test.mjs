// Unit tests for the pure parts of web/connection.js (URL, sample choice). Run: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bestSample, socketUrl } from '../../web/connection.js';

test('socketUrl follows the page: host, port, ws or wss', () => {
  assert.equal(socketUrl({ protocol: 'http:', host: '127.0.0.1:8080' }), 'ws://127.0.0.1:8080/ws');
  assert.equal(socketUrl({ protocol: 'https:', host: 'podium.example' }), 'wss://podium.example/ws');
});

test('socketUrl passes the screen name and kind on, encoded', () => {
  const loc = { protocol: 'http:', host: 'h:1' };
  assert.equal(socketUrl(loc, { name: 'Neha', kind: 'page' }), 'ws://h:1/ws?name=Neha&kind=page');
  assert.equal(socketUrl(loc, { name: 'Anna & Bo' }), 'ws://h:1/ws?name=Anna+%26+Bo');
  assert.equal(socketUrl(loc, { name: '' }), 'ws://h:1/ws');
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
