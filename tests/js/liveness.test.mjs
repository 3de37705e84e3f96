// Issue 11: the page's watchdog (web/connection.js). An idle server sends only {"type":"alive"}
// once a second; any frame keeps the connection, and 3 s without one is a dead link (a stopped
// server, a blackholed network): the page says "reconnecting" and opens a new socket.
// Run: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection, DEAD_AFTER_MS } from '../../web/connection.js';

/** A stand-in for the browser's WebSocket that never answers by itself. */
class SilentSocket {
  static OPEN = 1;
  static CLOSED = 3;
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    SilentSocket.all.push(this);
  }
  send() {}
  close() {
    this.readyState = SilentSocket.CLOSED;
  }
  open() {
    this.readyState = SilentSocket.OPEN;
    this.onopen?.();
  }
  say(msg) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('alive frames keep the link; 3 s of silence is a dead link, noticed and reconnected', async (t) => {
  globalThis.WebSocket = SilentSocket;
  globalThis.location = { protocol: 'http:', host: 'podium.test:8080' };
  const statuses = [];
  const states = [];
  const connection = new Connection({ onState: (s) => states.push(s), onStatus: (s) => statuses.push(s) });
  t.after(() => {
    connection.stop();
    delete globalThis.WebSocket;
    delete globalThis.location;
  });
  assert.ok(DEAD_AFTER_MS <= 3_000, `the rule is 3 s, the watchdog waits ${DEAD_AFTER_MS} ms`);
  connection.start();
  const socket = SilentSocket.all.at(-1);
  socket.open();
  socket.say({ type: 'state', seq: 1, server_time_ms: Date.now() });
  assert.equal(states.length, 1);

  // Longer than the watchdog, with an alive frame every second: still connected, no new state.
  for (let i = 0; i < 4; i++) {
    await sleep(1_000);
    socket.say({ type: 'alive' });
  }
  assert.equal(statuses.at(-1), 'connected', statuses.join());
  assert.equal(SilentSocket.all.length, 1, 'no new socket');
  assert.equal(states.length, 1, 'alive is not a state');

  // Silence: not before the watchdog, and soon after it (generous slack for a loaded machine).
  const silent = performance.now();
  while (statuses.at(-1) !== 'reconnecting') {
    // The rule is 3 s; 1.5 s more for a loaded machine.
    assert.ok(performance.now() - silent < 4_500, `not noticed within 4.5 s: ${statuses.join()}`);
    await sleep(20);
  }
  const noticed = performance.now() - silent;
  assert.ok(noticed >= DEAD_AFTER_MS - 50, `noticed after ${noticed} ms, before the watchdog`);
  assert.equal(socket.readyState, SilentSocket.CLOSED, 'the dead socket is closed');
  // …and a new socket is opened after the backoff.
  await sleep(700);
  assert.equal(SilentSocket.all.length, 2, 'a new socket');
});
