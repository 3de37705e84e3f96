// overview.js — the organiser's overview (/overview/): a card per room from the `room` frames of
// /overview/ws (docs/protocol.md), each drawn with the speaker pages' rules (display.js) on the
// clock-sync estimate of connection.js, so its digits flip with theirs. The organiser token comes
// in #token=… (or the form); the socket shows it first, and commands go to
// POST /r/ROOM/api/command with it. Alerts: a room past its hard limit, a room not started a
// minute after its planned start.
import { Connection } from './connection.js';
import {
  countdownAt,
  formatOffset,
  formatSlack,
  formatWallClock,
  nextRedrawIn,
} from './display.js';

/** A room not started this long after its planned start is flagged. */
export const LATE_START_MS = 60_000;

const $ = (id) => document.getElementById(id);
const view = {
  rooms: $('rooms'),
  template: $('room-card'),
  status: $('status'),
  summary: $('summary'),
  feedback: $('feedback'),
  clock: $('clock'),
  tokenForm: $('token-form'),
  tokenInput: $('token-input'),
  dialog: $('message-dialog'),
  messageRoom: $('message-room'),
  messageInput: $('message-input'),
};

const STATUS_TEXT = {
  connecting: 'connecting…',
  connected: 'live',
  reconnecting: 'reconnecting…',
  refused: 'token refused',
};

/** room id → {frame, card, parts, shown} in the event's order. */
const rooms = new Map();
let token = '';
let redrawTimer = 0;
let messageFor = null;

const connection = new Connection({
  onRoom: receive,
  onOpen: (send) => send(JSON.stringify({ type: 'auth', token })),
  onError: (error) => {
    if (/organiser token/.test(error)) refuse(error);
  },
  onStatus: (status) => setStatus(status),
  onBye: () => setStatus('reconnecting'),
});

function setStatus(status) {
  view.status.dataset.state = status;
  view.status.textContent = STATUS_TEXT[status] ?? status;
}

// ---- Token ---------------------------------------------------------------------------------

function tokenFromHash() {
  return new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
}

function useToken(value) {
  token = value.trim();
  view.tokenForm.hidden = token !== '';
  connection.stop();
  if (token) {
    view.feedback.textContent = '';
    connection.start();
  } else {
    view.tokenInput.focus();
  }
}

/** The server refused the token: ask for it again (and stop retrying with it). */
function refuse(error) {
  history.replaceState(null, '', location.pathname);
  token = '';
  connection.stop();
  setStatus('refused');
  view.feedback.textContent = `${error}. Paste the organiser token again.`;
  view.tokenForm.hidden = false;
  view.tokenInput.focus();
}

// ---- Rooms ---------------------------------------------------------------------------------

function receive(frame) {
  if (typeof frame.room !== 'string' || frame.state?.type !== 'state') return;
  let room = rooms.get(frame.room);
  if (!room) {
    room = makeCard(frame);
    rooms.set(frame.room, room);
    view.rooms.append(room.card);
    view.rooms.style.setProperty('--count', String(rooms.size));
    layout();
  }
  room.frame = frame;
  redraw();
}

function makeCard(frame) {
  const card = view.template.content.firstElementChild.cloneNode(true);
  card.dataset.room = frame.room;
  const part = (name) => card.querySelector(`.${name}`);
  const parts = {
    name: part('name'),
    screens: part('screens'),
    alert: part('alert'),
    now: part('now'),
    digits: part('digits'),
    words: part('words'),
    next: part('next'),
    message: part('message'),
    offset: part('offset'),
    slack: part('slack'),
    ends: part('ends'),
    toggle: part('toggle'),
  };
  parts.name.textContent = frame.name;
  for (const button of card.querySelectorAll('button[data-cmd]')) {
    button.addEventListener('click', () => act(frame.room, button.dataset.cmd));
  }
  return { card, parts, frame, shown: {} };
}

/** Sets text (or an attribute) only when it changed: a redraw touches little of the page. */
function put(room, key, element, text) {
  if (room.shown[key] === text) return;
  room.shown[key] = text;
  element.textContent = text;
}

function drawRoom(room, now) {
  const { frame, parts, card } = room;
  const state = frame.state;
  const c = countdownAt(state, now);
  const finished = state.phase === 'finished';
  if (card.dataset.phase !== c.phase) card.dataset.phase = c.phase;
  const digits = finished ? 'Done' : c.digits;
  put(room, 'digits', parts.digits, digits);
  parts.digits.classList.toggle('long', digits.length > 6); // h:mm:ss
  put(room, 'words', parts.words, finished ? 'Finished' : c.words || '\u00a0');
  const who = state.segment.speaker ? ` — ${state.segment.speaker}` : '';
  put(room, 'now', parts.now, `${state.index + 1}/${state.segments} ${state.segment.title}${who}`);
  const next = state.next ? `Next: ${state.next.title}${state.next.speaker ? ` — ${state.next.speaker}` : ''}` : 'Last segment';
  put(room, 'next', parts.next, next);
  put(room, 'message', parts.message, state.message ? `Message: ${state.message}` : '');
  parts.message.hidden = !state.message;
  put(room, 'screens', parts.screens, `${frame.screens} ${frame.screens === 1 ? 'screen' : 'screens'}`);
  put(room, 'offset', parts.offset, state.show_started_at_ms == null ? 'not started' : formatOffset(state.schedule_offset_ms));
  put(room, 'slack', parts.slack, state.slack_ms == null ? '' : formatSlack(state.slack_ms));
  parts.slack.classList.toggle('late', state.slack_ms != null && state.slack_ms <= -1000);
  put(room, 'ends', parts.ends, endsText(state) || '\u00a0');
  const ticking = ['running', 'warning', 'overtime', 'over-max'].includes(state.phase);
  put(room, 'toggle', parts.toggle, ticking ? 'Pause' : 'Start');
  parts.toggle.disabled = finished;
  const alert = alertFor(frame, c.phase, now);
  put(room, 'alert', parts.alert, alert ?? '');
  parts.alert.hidden = alert == null;
  card.classList.toggle('alerting', alert != null);
  return alert != null;
}

/** "projected end 14:32 · slot ends 14:30", or what of it is known. */
function endsText(state) {
  const parts = [];
  if (state.projected_end_ms != null) parts.push(`projected end ${formatWallClock(state.projected_end_ms)}`);
  if (state.target_end_ms != null) parts.push(`slot ends ${formatWallClock(state.target_end_ms)}`);
  return parts.join(' · ');
}

/** The alert a room raises at `now`, or null. */
export function alertFor(frame, phase, now) {
  if (phase === 'over-max') return 'Past the hard limit';
  const planned = frame.planned_start_ms;
  // A rehearsal runs on another day than planned: its start is not late.
  const waiting = frame.state.show_started_at_ms == null && !frame.state.rehearsal;
  if (waiting && planned != null && now >= planned + LATE_START_MS) {
    const late = Math.floor((now - planned) / 60_000);
    return `Not started · planned ${formatWallClock(planned)}, ${late} min ago`;
  }
  return null;
}

function redraw() {
  clearTimeout(redrawTimer);
  if (rooms.size === 0) return;
  const now = connection.serverNow();
  let wait = Infinity;
  let alerts = 0;
  for (const room of rooms.values()) {
    if (drawRoom(room, now)) alerts += 1;
    // A room waiting for its start checks each second whether it is late.
    const waiting = room.frame.state.show_started_at_ms == null && room.frame.planned_start_ms != null;
    wait = Math.min(wait, nextRedrawIn(room.frame.state, now, waiting ? 1000 : Infinity));
  }
  wait = Math.min(wait, nextRedrawIn({ phase: 'ready' }, now, 1000)); // the header's clock
  view.clock.textContent = formatWallClock(now);
  view.summary.textContent =
    `${rooms.size} ${rooms.size === 1 ? 'room' : 'rooms'}` +
    (alerts > 0 ? ` · ${alerts} ${alerts === 1 ? 'alert' : 'alerts'}` : '');
  view.summary.dataset.alerts = String(alerts);
  redrawTimer = setTimeout(redraw, Math.max(1, wait));
}

/** Columns and rows that give `count` cards the largest size on this screen. */
function layout() {
  const n = Math.max(1, rooms.size);
  const width = view.rooms.clientWidth || innerWidth;
  const height = view.rooms.clientHeight || innerHeight;
  let best = { cols: 1, size: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    // A card reads best around 4:3; its size is what fits of that shape.
    const w = width / cols;
    const h = height / rows;
    const size = Math.min(w, h * 1.4);
    if (size > best.size) best = { cols, size };
  }
  view.rooms.style.setProperty('--cols', String(best.cols));
  view.rooms.style.setProperty('--rows', String(Math.ceil(n / best.cols)));
}

// ---- Commands ------------------------------------------------------------------------------

const COMMANDS = {
  toggle: { cmd: 'toggle' },
  next: { cmd: 'next' },
  plus: { cmd: 'adjust', seconds: 60 },
  minus: { cmd: 'adjust', seconds: -60 },
};

function act(roomId, name) {
  if (name === 'message') {
    messageFor = roomId;
    view.messageRoom.textContent = rooms.get(roomId)?.frame.name ?? roomId;
    view.messageInput.value = rooms.get(roomId)?.frame.state.message ?? '';
    view.dialog.showModal();
    return;
  }
  const command = COMMANDS[name];
  if (command) send(roomId, command);
}

async function send(roomId, command) {
  if (!token) return;
  const name = rooms.get(roomId)?.frame.name ?? roomId;
  let response;
  try {
    response = await fetch(`/r/${encodeURIComponent(roomId)}/api/command`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(command),
    });
  } catch {
    view.feedback.textContent = `${name}: cannot reach the server.`;
    return;
  }
  if (response.ok) {
    view.feedback.textContent = '';
    return;
  }
  const body = await response.json().catch(() => null);
  view.feedback.textContent = `${name}: ${body?.error ?? `the server answered ${response.status}`}`;
}

view.dialog.addEventListener('close', () => {
  const roomId = messageFor;
  messageFor = null;
  if (roomId == null) return;
  if (view.dialog.returnValue === 'send') {
    send(roomId, { cmd: 'message', text: view.messageInput.value.trim() });
  } else if (view.dialog.returnValue === 'clear') {
    send(roomId, { cmd: 'message', text: '' });
  }
});

view.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = view.tokenInput.value.trim();
  history.replaceState(null, '', `#token=${encodeURIComponent(value)}`);
  view.tokenInput.value = '';
  useToken(value);
});
addEventListener('hashchange', () => useToken(tokenFromHash()));
addEventListener('resize', layout);

useToken(tokenFromHash());
