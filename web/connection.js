// connection.js — the live link to the server: the /ws socket, reconnection with backoff, a
// liveness watchdog, and clock sync (ping/pong) giving an estimate of the server's clock.
// It hands each message to its callbacks and keeps no show logic of its own.
//
// Clock sync (docs/protocol.md): a burst of pings on every new socket, then one every few seconds;
// the offset of the lowest-round-trip sample of this socket wins (a fast round trip bounds the
// error of its offset by half of it). A new socket may take another path, so its samples replace
// the old ones as soon as the first pong arrives. The estimate never runs backwards by a small
// correction, so a countdown never shows a second twice.

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const DEAD_AFTER_MS = 5_000; // the server sends state at least every second
const PING_BURST = 8;
const PING_BURST_GAP_MS = 60;
const PING_EVERY_MS = 5_000;
const SAMPLES_KEPT = 16;
/** A backward correction larger than this is a different clock, not noise: it is applied. */
const MAX_HOLD_MS = 1_000;

/** Local wall-clock time from the monotonic clock, so it never jumps with system time changes. */
const localNow = () => performance.timeOrigin + performance.now();

/**
 * The WebSocket URL of the page's own server: same host and port, ws: or wss: to match. A screen
 * name (`?name=Neha` on the page) and a kind are passed on for the moderator's presence list.
 */
export function socketUrl(loc = location, { name = '', kind = '' } = {}) {
  const query = new URLSearchParams();
  if (name) query.set('name', name);
  if (kind) query.set('kind', kind);
  const search = query.size > 0 ? `?${query}` : '';
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws${search}`;
}

/**
 * The clock offset (server − local, ms) and round trip of the best of `samples`: the offset of
 * the lowest-RTT sample, or null without samples.
 */
export function bestSample(samples) {
  if (samples.length === 0) return null;
  return samples.reduce((best, s) => (s.rtt < best.rtt ? s : best));
}

export class Connection {
  /**
   * @param {object} callbacks
   * @param {(state: object) => void} callbacks.onState every state message, heartbeats included
   * @param {(status: 'connecting'|'connected'|'reconnecting') => void} [callbacks.onStatus]
   * @param {(reason: string) => void} [callbacks.onBye] the server is shutting down
   * @param {{name?: string, kind?: string}} [identity] how the moderator sees this screen
   */
  constructor({ onState, onStatus = () => {}, onBye = () => {} }, identity = {}) {
    this.callbacks = { onState, onStatus, onBye };
    this.identity = identity;
    this.socket = null;
    this.backoffMs = BACKOFF_MIN_MS;
    this.timers = { watchdog: 0, ping: 0, reconnect: 0 };
    this.stopped = false;
    this.samples = []; // {rtt, offset} of this socket's latest pongs
    this.samplesFresh = false; // false until the current socket's first pong
    this.fallbackOffset = null; // from server_time_ms, until a pong arrives
    this.pingId = 0;
    this.lastServerNow = -Infinity;
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
   * The current time on the server's clock, in Unix ms. Never less than a previous answer unless
   * the estimate moved back by more than MAX_HOLD_MS (then it follows the new clock).
   */
  serverNow() {
    const estimate = localNow() + this.#offset();
    if (estimate < this.lastServerNow && this.lastServerNow - estimate <= MAX_HOLD_MS) {
      return this.lastServerNow;
    }
    this.lastServerNow = estimate;
    return estimate;
  }

  /** The current estimate: `{offset, rtt}` in ms (rtt null before the first pong). */
  estimate() {
    const best = bestSample(this.samples);
    return best ?? { offset: this.fallbackOffset ?? 0, rtt: null };
  }

  #offset() {
    return this.estimate().offset;
  }

  #connect() {
    const socket = new WebSocket(socketUrl(location, this.identity));
    this.socket = socket;
    this.samplesFresh = false;
    this.#armWatchdog(); // also bounds a connection attempt that hangs
    socket.onopen = () => {
      this.callbacks.onStatus('connected');
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
        if (this.samples.length === 0) this.fallbackOffset = msg.server_time_ms - localNow();
        this.callbacks.onState(msg);
        break;
      case 'pong':
        this.#sample(msg);
        break;
      case 'bye':
        this.callbacks.onBye(String(msg.reason ?? ''));
        break;
      case 'error':
        console.warn('podium server:', msg.error);
        break;
    }
  }

  /** Records one clock sample: offset = server_ms - (client_ms + rtt / 2). */
  #sample({ client_ms: sent, server_ms: server }) {
    const received = localNow();
    if (!Number.isFinite(sent) || !Number.isFinite(server) || sent > received) return;
    if (!this.samplesFresh) {
      this.samples = []; // the first pong of a new socket: re-estimate on this path
      this.samplesFresh = true;
    }
    const rtt = received - sent;
    this.samples.push({ rtt, offset: server - (sent + rtt / 2) });
    if (this.samples.length > SAMPLES_KEPT) this.samples.shift();
  }

  /** Sends ping number `n` of this socket: a quick burst first, then a slow beat. */
  #ping(n) {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'ping', id: ++this.pingId, client_ms: localNow() }));
    // After each ping (never before: a ping must not queue behind another frame), tell the server
    // the estimate so far, for the moderator's presence list.
    const best = bestSample(this.samples);
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
    this.timers.reconnect = setTimeout(() => this.#connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }
}
