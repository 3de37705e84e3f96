// connection.js — the live link to the server: the /ws socket, reconnection with backoff, a
// liveness watchdog, and clock sync (ping/pong) giving an estimate of the server's clock.
// It hands each message to its callbacks and keeps no show logic of its own.

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const DEAD_AFTER_MS = 5_000; // the server sends state at least every second
const PING_BURST = 5;
const PING_BURST_GAP_MS = 100;
const PING_EVERY_MS = 5_000;
const SAMPLES_KEPT = 8;

/** Local wall-clock time from the monotonic clock, so it never jumps with system time changes. */
const localNow = () => performance.timeOrigin + performance.now();

/** The WebSocket URL of the page's own server: same host and port, ws: or wss: to match. */
export function socketUrl(loc = location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

export class Connection {
  /**
   * @param {object} callbacks
   * @param {(state: object) => void} callbacks.onState every state message, heartbeats included
   * @param {(status: 'connecting'|'connected'|'reconnecting') => void} [callbacks.onStatus]
   * @param {(reason: string) => void} [callbacks.onBye] the server is shutting down
   */
  constructor({ onState, onStatus = () => {}, onBye = () => {} }) {
    this.callbacks = { onState, onStatus, onBye };
    this.socket = null;
    this.backoffMs = BACKOFF_MIN_MS;
    this.timers = { watchdog: 0, ping: 0 };
    this.samples = []; // {rtt, offset} of the latest pongs
    this.fallbackOffset = null; // from server_time_ms, until a pong arrives
    this.pingId = 0;
  }

  /** Opens the socket; from then on the connection keeps itself alive. */
  start() {
    this.callbacks.onStatus('connecting');
    this.#connect();
  }

  /** The current time on the server's clock, in Unix ms. */
  serverNow() {
    return localNow() + this.#offset();
  }

  #offset() {
    if (this.samples.length === 0) return this.fallbackOffset ?? 0;
    return this.samples.reduce((best, s) => (s.rtt < best.rtt ? s : best)).offset;
  }

  #connect() {
    const socket = new WebSocket(socketUrl());
    this.socket = socket;
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
    const rtt = received - sent;
    this.samples.push({ rtt, offset: server - (sent + rtt / 2) });
    if (this.samples.length > SAMPLES_KEPT) this.samples.shift();
  }

  /** Sends ping number `n` of this connection: a quick burst first, then a slow beat. */
  #ping(n) {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'ping', id: ++this.pingId, client_ms: localNow() }));
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
    this.callbacks.onStatus('reconnecting');
    setTimeout(() => this.#connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
  }
}
