// Unit tests for web/connection.js (URL; clock sync through the socket, whose estimator,
// web/clocksync.js, has its own tests). Run: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection, socketUrl } from '../../web/connection.js';

test('socketUrl follows the page: host, port, ws or wss', () => {
  assert.equal(socketUrl({ protocol: 'http:', host: '127.0.0.1:8080' }), 'ws://127.0.0.1:8080/ws');
  assert.equal(socketUrl({ protocol: 'https:', host: 'podium.example' }), 'wss://podium.example/ws');
  // Next to the page: a room's pages live under /r/ROOM/.
  const room = { protocol: 'http:', host: 'h:1', pathname: '/r/side-8/control' };
  assert.equal(socketUrl(room), 'ws://h:1/r/side-8/ws');
  assert.equal(socketUrl({ protocol: 'http:', host: 'h:1', pathname: '/agenda' }), 'ws://h:1/ws');
});

test('socketUrl passes the screen name and kind on, encoded', () => {
  const loc = { protocol: 'http:', host: 'h:1' };
  assert.equal(socketUrl(loc, { name: 'Neha', kind: 'page' }), 'ws://h:1/ws?name=Neha&kind=page');
  assert.equal(socketUrl(loc, { name: 'Anna & Bo' }), 'ws://h:1/ws?name=Anna+%26+Bo');
  assert.equal(socketUrl(loc, { name: '' }), 'ws://h:1/ws');
});

// ---- The Connection's clock sync, against a fake WebSocket ----------------------------------

/** A stand-in for the browser's WebSocket: records what the page sends; the test answers. */
class FakeSocket {
  static OPEN = 1;
  static CLOSED = 3;
  static all = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    FakeSocket.all.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = FakeSocket.CLOSED;
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  /** Answers every ping sent so far as a server whose clock is `offset` ms ahead, after `rtt`. */
  pongAll(offset, rtt = 0) {
    for (const ping of this.sent.filter((m) => m.type === 'ping' && !m.answered)) {
      ping.answered = true;
      // The pong "arrives" now; pretend the ping left `rtt` ms ago by moving client_ms back.
      const sentAt = performance.timeOrigin + performance.now() - rtt;
      const server = sentAt + rtt / 2 + offset;
      this.onmessage?.({ data: JSON.stringify({ type: 'pong', id: ping.id, client_ms: sentAt, server_ms: server }) });
    }
  }
  drop() {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.();
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const localNow = () => performance.timeOrigin + performance.now();

test('the estimate follows the lowest round trip, is re-made on a new socket and never runs back', async (t) => {
  globalThis.WebSocket = FakeSocket;
  globalThis.location = { protocol: 'http:', host: 'podium.test:8080' };
  t.after(() => {
    delete globalThis.WebSocket;
    delete globalThis.location;
  });
  const statuses = [];
  const connection = new Connection({ onState() {}, onStatus: (s) => statuses.push(s) }, { name: 'Neha', kind: 'page' });
  connection.start();
  const first = FakeSocket.all.at(-1);
  assert.equal(first.url, 'ws://podium.test:8080/ws?name=Neha&kind=page');
  first.open();
  assert.equal(first.sent[0].type, 'ping', 'a ping at once on connect');

  // A slow sample (offset skewed by 40) and a fast one: the fast one wins.
  first.pongAll(540, 80);
  await sleep(70); // the burst's next ping
  first.pongAll(500, 2);
  assert.ok(Math.abs(connection.estimate().offset - 500) < 1, JSON.stringify(connection.estimate()));
  assert.ok(Math.abs(connection.serverNow() - (localNow() + 500)) < 5);
  // The next ping carries the estimate, after the ping itself.
  await sleep(70);
  const reports = first.sent.filter((m) => m.type === 'sync');
  assert.ok(reports.length >= 1, JSON.stringify(first.sent));
  assert.ok(first.sent.indexOf(reports[0]) > 0 && first.sent[first.sent.indexOf(reports[0]) - 1].type === 'ping');

  // The socket drops; a new one comes after the backoff and its first pong replaces the old
  // samples, even though its round trip is worse (another path).
  const before = connection.serverNow();
  first.drop();
  assert.equal(statuses.at(-1), 'reconnecting');
  await sleep(600);
  const second = FakeSocket.all.at(-1);
  assert.notEqual(second, first);
  second.open();
  second.pongAll(450, 150); // 50 ms back: held, never shown running backwards
  assert.ok(Math.abs(connection.estimate().offset - 450) < 1, JSON.stringify(connection.estimate()));
  const held = connection.serverNow();
  assert.ok(held >= before, `${held} < ${before}`);
  await sleep(80);
  const later = connection.serverNow();
  assert.ok(later >= held, 'still monotonic');
  assert.ok(Math.abs(later - (localNow() + 450)) < 5, 'caught up with the new estimate');
  connection.stop();
  assert.equal(second.readyState, FakeSocket.CLOSED);
  await sleep(10);
});
