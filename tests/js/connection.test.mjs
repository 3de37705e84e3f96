// Unit tests for web/connection.js (URL; clock sync through the socket, whose estimator,
// web/clocksync.js, has its own tests). Run: node --test tests/js/
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Connection, serverList, socketUrl } from '../../web/connection.js';

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

// ---- Several servers (`?servers=`, relays of one event) ------------------------------------------

test('serverList: the page\'s own server first, then the valid origins of ?servers=', () => {
  const loc = {
    protocol: 'https:',
    host: 'relay-a.example:8443',
    search: '?name=Neha&servers=https://relay-b.example,javascript:alert(1),,http://relay-c.example:8081/x,https://relay-a.example:8443',
  };
  assert.deepEqual(serverList(loc), ['https://relay-a.example:8443', 'https://relay-b.example', 'http://relay-c.example:8081']);
  assert.deepEqual(serverList({ protocol: 'http:', host: 'h:1' }), ['http://h:1']);
  assert.equal(socketUrl({ protocol: 'https:', host: 'a', pathname: '/r/x/' }, {}, 'http://relay-c.example:8081'), 'ws://relay-c.example:8081/r/x/ws');
});

test('a dropped link goes to the next server at once, round the list, then backs off', async (t) => {
  globalThis.WebSocket = FakeSocket;
  globalThis.location = { protocol: 'http:', host: 'a:1', pathname: '/', search: '?servers=http://b:2,http://c:3' };
  t.after(() => {
    delete globalThis.WebSocket;
    delete globalThis.location;
  });
  const connection = new Connection({ onState() {} });
  connection.start();
  const hosts = () => FakeSocket.all.slice(-1)[0].url;
  assert.equal(hosts(), 'ws://a:1/ws');
  const first = FakeSocket.all.at(-1);
  first.open();
  first.onmessage({ data: JSON.stringify({ type: 'state', server_time_ms: localNow() }) });
  first.drop(); // the relay was killed
  await sleep(150);
  assert.equal(hosts(), 'ws://b:2/ws', 'the next server within the switch delay');
  FakeSocket.all.at(-1).drop(); // that one is down too
  await sleep(150);
  assert.equal(hosts(), 'ws://c:3/ws');
  const third = FakeSocket.all.at(-1);
  third.drop(); // every server failed in a row: back off before the next round
  await sleep(150);
  assert.equal(FakeSocket.all.at(-1), third, 'no new attempt before the backoff');
  await sleep(500);
  assert.equal(hosts(), 'ws://a:1/ws', 'round the list again');
  connection.stop();
  await sleep(10);
});
