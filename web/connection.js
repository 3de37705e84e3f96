// connection.js — the live link to the server: the /ws socket, reconnection with backoff, a
// liveness watchdog, and clock sync (ping/pong) giving an estimate of the server's clock.
// It hands each message to its callbacks and keeps no show logic of its own.
//
// Clock sync (docs/protocol.md): a burst of pings on every new socket, then one every few seconds;
// what the pongs say goes to clocksync.js (`ClockSync`, pure, shared rules with `podium follow`),
// which keeps the estimate of the server's clock.
import { ClockSync } from './clocksync.js';

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
// The server sends a text frame at least every second (a state, or {"type":"alive"} when nothing
// changed; pages cannot see WebSocket pings): silence this long means the server or the link is
// dead, noticed within 3 s (issue 11).
export const DEAD_AFTER_MS = 3_000;
const PING_BURST = 8;
const PING_BURST_GAP_MS = 60;
const PING_EVERY_MS = 5_000;
// With several servers (`?servers=`), a dropped link goes to the next one this soon; the backoff
// applies once every server of the list has failed in a row.
const SWITCH_MS = 100;

/** Local wall-clock time from the monotonic clock, so it never jumps with system time changes. */
const localNow = () => performance.timeOrigin + performance.now();

/**
 * The WebSocket URL of the page's own server: same host and port, ws: or wss: to match, next to the
 * page (`/r/ROOM/control` → `/r/ROOM/ws`, `/control` → `/ws`). A screen name (`?name=Neha` on the
 * page) and a kind are passed on for the moderator's presence list.
 */
export function socketUrl(loc = location, { name = '', kind = '' } = {}, server = null) {
  const query = new URLSearchParams();
  if (name) query.set('name', name);
  if (kind) query.set('kind', kind);
  const search = query.size > 0 ? `?${query}` : '';
  const dir = (loc.pathname ?? '/').replace(/[^/]*$/, '');
  const at = server ? new URL(server) : loc;
  return `${at.protocol === 'https:' ? 'wss:' : 'ws:'}//${at.host}${dir}ws${search}`;
}

/**
 * The servers the page may follow, in order: its own, then each of `?servers=` — comma-separated
 * http(s) origins serving the same rooms (relays of one event, `podium relay`), e.g.
 * `?servers=https://relay-b.example.org,https://relay-c.example.org`. When the link to one dies,
 * the page goes on with the next at once (README: Beyond one machine). Anything else is ignored.
 */
export function serverList(loc = location) {
  const list = [`${loc.protocol}//${loc.host}`];
  const given = new URLSearchParams(loc.search ?? '').get('servers') ?? '';
  for (const item of given.split(',')) {
    let url;
    try {
      url = new URL(item.trim());
    } catch {
      continue;
    }
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !list.includes(url.origin)) {
      list.push(url.origin);
    }
  }
  return list;
}

export class Connection {
  /**
   * @param {object} callbacks
   * @param {(state: object) => void} callbacks.onState every state message (on connect and on
   *   change; an idle server sends only `alive`, which just re-arms the watchdog)
   * @param {(status: 'connecting'|'connected'|'reconnecting') => void} [callbacks.onStatus]
   * @param {(reason: string) => void} [callbacks.onBye] the server is shutting down
   * @param {(msg: object) => void} [callbacks.onRoom] a room's frame (the organiser's overview)
   * @param {(error: string) => void} [callbacks.onError] an error message from the server
   * @param {(send: (text: string) => void) => void} [callbacks.onOpen] a socket opened, before
   *   its first ping: the overview shows its token here
   * @param {{name?: string, kind?: string}} [identity] how the moderator sees this screen
   */
  constructor(
    {
      onState = () => {},
      onStatus = () => {},
      onBye = () => {},
      onRoom = () => {},
      onError = () => {},
      onOpen = () => {},
    },
    identity = {},
  ) {
    this.callbacks = { onState, onStatus, onBye, onRoom, onError, onOpen };
    this.identity = identity;
    this.socket = null;
    this.backoffMs = BACKOFF_MIN_MS;
    this.timers = { watchdog: 0, ping: 0, reconnect: 0 };
    this.stopped = false;
    this.sync = new ClockSync();
    this.pingId = 0;
    this.servers = serverList(location);
    this.server = 0;
    // Servers that failed in a row since the last state: the whole list → back off.
    this.failed = 0;
  }

  /** Opens the socket; from then on the connection keeps itself alive. */
  start() {
    this.stopped = false;
    this.callbacks.onStatus('connecting');
    this.#connect();
  }

  /** Closes the socket for good: no reconnection, no timers left behind. */
  stop() {
    this.stopped = true;
    this.#drop();
    clearTimeout(this.timers.reconnect);
  }

  /**
   * The current time on the server's clock, in Unix ms. Never runs back by a small correction
   * (`ClockSync.serverNow`).
   */
  serverNow() {
    return this.sync.serverNow(localNow());
  }

  /** The current estimate: `{offset, rtt}` in ms (rtt null before the first pong). */
  estimate() {
    return this.sync.estimate();
  }

  #connect() {
    const server = this.servers.length > 1 ? this.servers[this.server] : null;
    const socket = new WebSocket(socketUrl(location, this.identity, server));
    this.socket = socket;
    this.sync.newSocket();
    this.#armWatchdog(); // also bounds a connection attempt that hangs
    socket.onopen = () => {
      this.callbacks.onStatus('connected');
      this.callbacks.onOpen((text) => socket.send(text));
      this.#ping(0);
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => this.#drop();
    // An error is always followed by close, which does the work.
  }

  #receive(data) {
    this.#armWatchdog();
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'state':
        this.backoffMs = BACKOFF_MIN_MS; // the connection works end to end
        this.failed = 0;
        this.sync.onState(msg.server_time_ms, localNow());
        this.callbacks.onState(msg);
        break;
      case 'room':
        this.backoffMs = BACKOFF_MIN_MS;
        this.sync.onState(msg.state?.server_time_ms, localNow());
        this.callbacks.onRoom(msg);
        break;
      case 'pong':
        this.sync.onPong(msg.client_ms, msg.server_ms, localNow());
        break;
      case 'bye':
        this.callbacks.onBye(String(msg.reason ?? ''));
        break;
      case 'error':
        console.warn('podium server:', msg.error);
        this.callbacks.onError(String(msg.error ?? ''));
        break;
    }
  }

  /** Sends ping number `n` of this socket: a quick burst first, then a slow beat. */
  #ping(n) {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'ping', id: ++this.pingId, client_ms: localNow() }));
    // After each ping (never before: a ping must not queue behind another frame), tell the server
    // the estimate so far, for the moderator's presence list.
    const best = this.sync.best();
    if (best && n > 0) {
      socket.send(JSON.stringify({ type: 'sync', rtt_ms: best.rtt, offset_ms: best.offset }));
    }
    const wait = n + 1 < PING_BURST ? PING_BURST_GAP_MS : PING_EVERY_MS;
    this.timers.ping = setTimeout(() => this.#ping(n + 1), wait);
  }

  #armWatchdog() {
    clearTimeout(this.timers.watchdog);
    this.timers.watchdog = setTimeout(() => this.#drop(), DEAD_AFTER_MS);
  }

  /** Forgets the current socket (closed, failed or silent) and schedules the next attempt. */
  #drop() {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    socket.onopen = socket.onmessage = socket.onclose = null;
    if (socket.readyState !== WebSocket.CLOSED) socket.close();
    clearTimeout(this.timers.watchdog);
    clearTimeout(this.timers.ping);
    if (this.stopped) return;
    this.callbacks.onStatus('reconnecting');
    // Another server of the list at once; the backoff once each has failed in a row.
    this.failed += 1;
    if (this.servers.length > 1) this.server = (this.server + 1) % this.servers.length;
    if (this.servers.length > 1 && this.failed < this.servers.length) {
      this.timers.reconnect = setTimeout(() => this.#connect(), SWITCH_MS);
      return;
    }
    this.failed = 0;
    this.timers.reconnect = setTimeout(() => this.#connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }
}
