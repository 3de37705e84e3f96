// control.js — the moderator page: the live countdown, the command buttons and keys (sent with the
// bearer token to POST /api/command), the speaker message, and the run-of-show table (/api/show).
// The server decides what a command does; this page only asks and shows the answer.
import { Connection } from './connection.js';
import {
  countdownAt,
  formatDuration,
  formatOffset,
  formatSlack,
  formatRemaining,
  formatWallClock,
  nextRedrawIn,
  phaseAt,
  remainingAt,
} from './display.js';

const $ = (id) => document.getElementById(id);
const view = {
  showTitle: $('show-title'),
  status: $('status'),
  tokenForm: $('token-form'),
  tokenInput: $('token-input'),
  now: $('now'),
  position: $('position'),
  title: $('title'),
  speaker: $('speaker'),
  remaining: $('remaining'),
  phase: $('phase'),
  offset: $('offset'),
  projectedEnd: $('projected-end'),
  slack: $('slack'),
  next: $('next'),
  toggle: $('toggle'),
  messageForm: $('message-form'),
  messageInput: $('message-input'),
  messageClear: $('message-clear'),
  messageCurrent: $('message-current'),
  messageFlash: $('message-flash'),
  presets: $('presets'),
  feedback: $('feedback'),
  showSection: $('show-section'),
  showRows: $('show-rows'),
  screensSection: $('screens-section'),
  screenRows: $('screen-rows'),
  failedAttempts: $('failed-attempts'),
  journalAlert: $('journal-alert'),
  startAlert: $('start-alert'),
};
const PRESENCE_EVERY_MS = 2_000;

const PHASE_NAMES = {
  ready: 'Ready',
  running: 'Running',
  paused: 'Paused',
  warning: 'Warning',
  overtime: 'Overtime',
  'over-max': 'Over max',
  stopped: "Stopped (time's up)",
  finished: 'Finished',
};
const TOGGLE_LABELS = { ready: 'Start', paused: 'Resume', finished: 'Start' }; // else Pause
const STATUS_TEXT = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…' };
const KEYS = {
  ' ': { cmd: 'toggle' },
  n: { cmd: 'next' },
  p: { cmd: 'previous' },
  '+': { cmd: 'adjust', seconds: 60 },
  '=': { cmd: 'adjust', seconds: 60 }, // + without shift
  '-': { cmd: 'adjust', seconds: -60 },
  f: { cmd: 'fit' },
  b: { cmd: 'blackout' },
  o: { cmd: 'focus' },
};

/** Blackout and focus are switched: the command carries the opposite of the current state. */
function withSwitch(command) {
  if (command.cmd !== 'blackout' && command.cmd !== 'focus') return command;
  return { cmd: command.cmd, on: !state?.[command.cmd] };
}

let token = '';
let state = null;
let renderTimer = 0;
let timeZone; // the show's, once /api/show has told it
let show = null; // the last /api/show answer
let showKey = ''; // index|phase the table was fetched for
let showRequest = 0; // number of the latest /api/show request; older answers are dropped
let seqFloor = -Infinity; // states older than the newest seen are late answers: dropped

const connection = new Connection(
  {
    onState: applyState,
    onStatus(status) {
      if (status === 'connected') {
        seqFloor = -Infinity; // a new socket may be a restarted server, counting seq from 0
        showKey = '';
        showTokenOnSocket();
      }
      view.status.dataset.state = status;
      view.status.textContent = STATUS_TEXT[status];
    },
  },
  { name: 'moderator', kind: 'moderator' },
);

// ---- Token ---------------------------------------------------------------------------------

function tokenFromHash() {
  return new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
}

function useToken(value) {
  token = value.trim();
  const authorized = token !== '';
  view.tokenForm.hidden = authorized;
  view.showSection.hidden = !authorized;
  view.screensSection.hidden = !authorized;
  for (const control of document.querySelectorAll('.commands button, .commands input')) {
    control.disabled = !authorized;
  }
  if (authorized) {
    view.feedback.textContent = '';
    showKey = '';
    showTokenOnSocket();
    if (state) refreshShowOnChange();
  } else {
    view.tokenInput.focus();
  }
}

/** Shows the token on the socket, so that the server lists this page as the moderator's. */
function showTokenOnSocket() {
  const socket = connection.socket;
  if (token && socket?.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ type: 'auth', token }));
  }
}

// ---- Server calls --------------------------------------------------------------------------

/** Calls the API with the token; resolves to the parsed JSON body, throws Error(message). */
async function api(path, init = {}) {
  let response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { ...init.headers, Authorization: `Bearer ${token}` },
    });
  } catch {
    throw new Error('Cannot reach the server.');
  }
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    history.replaceState(null, '', location.pathname); // drop the refused #token=…
    useToken('');
    throw new Error(`Token refused: ${body?.error ?? 'unauthorized'}. Paste the token again.`);
  }
  if (!response.ok) throw new Error(body?.error ?? `The server answered ${response.status}.`);
  return body;
}

async function send(command) {
  if (!token) return;
  try {
    const next = await api('api/command', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(command),
    });
    view.feedback.textContent = '';
    delete view.feedback.dataset.kind;
    applyState(next); // sooner than waiting for the socket to echo it
    if (command.cmd === 'fit') {
      await refreshShow(); // the re-planned lengths, and what the fit changed
      view.feedback.dataset.kind = 'info';
      view.feedback.textContent = show?.last_fit?.summary ?? '';
    }
  } catch (error) {
    delete view.feedback.dataset.kind;
    view.feedback.textContent = error.message;
  }
}

async function refreshShow() {
  const request = ++showRequest;
  try {
    const answer = await api('api/show');
    if (request !== showRequest) return;
    show = answer;
    timeZone = answer.timezone;
    document.dispatchEvent(new Event('podium:show')); // share.js: the speakers may have changed
    renderShow();
    renderPresets();
    renderStartAlert();
  } catch (error) {
    if (request === showRequest) view.feedback.textContent = error.message;
  }
}

/** Refreshes the list of connected screens (moderator only), then again every few seconds. */
async function refreshScreens() {
  if (token) {
    try {
      const presence = await api('api/presence');
      renderScreens(presence.screens);
      renderFailedAttempts(presence.failed_attempts ?? []);
      renderJournal(presence.journal);
      await refreshFile();
    } catch {
      // The next round tries again; command feedback is not the place for this.
    }
  }
  setTimeout(refreshScreens, PRESENCE_EVERY_MS);
}

function renderScreens(screens) {
  const ms = (value) => (value == null ? '–' : `${value.toFixed(1)} ms`);
  const signed = (value) => (value == null ? '–' : `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`);
  const rows = screens.map((screen) => {
    const row = document.createElement('tr');
    row.dataset.id = screen.id;
    row.append(
      cell(screen.name ?? '(unnamed)', 'what'),
      cell(screen.kind ?? '–'),
      cell(formatWallClock(screen.connected_at_ms, timeZone, true), 'time'),
      cell(ms(screen.rtt_ms), 'num rtt'),
      cell(signed(screen.offset_ms), 'num offset'),
    );
    return row;
  });
  view.screenRows.replaceChildren(...rows);
}

/** A forgotten start (the server says when: a minute past the planned start, not started). */
function renderStartAlert() {
  const overdue = Boolean(state?.start_overdue);
  view.startAlert.hidden = !overdue;
  if (!overdue) return;
  const planned = show?.planned_start ? Date.parse(show.planned_start) : NaN;
  const when = Number.isNaN(planned) ? '' : ` (planned for ${formatWallClock(planned, timeZone)})`;
  view.startAlert.textContent = `The show has not started${when}: press Start.`;
}

let journalFailing = false;

/** A banner for as long as the run's journal cannot be written (a full disk), then a short note
 * when the waiting lines are on disk again. */
function renderJournal(journal) {
  if (journal == null) return;
  const banner = view.journalAlert;
  if (!journal.ok) {
    journalFailing = true;
    banner.dataset.state = 'failing';
    banner.textContent =
      `Journal not written: ${journal.error ?? 'the disk refuses writes'}. ` +
      `${journal.pending} lines wait in memory${journal.dropped ? `, ${journal.dropped} lost` : ''}; ` +
      `a crash now would lose them. The show goes on — free space on the disk of ${journal.path}.`;
    banner.hidden = false;
  } else if (journalFailing) {
    journalFailing = false;
    banner.dataset.state = 'recovered';
    banner.textContent = 'Journal writable again: every line is on disk.';
    setTimeout(() => {
      if (!journalFailing) banner.hidden = true;
    }, 15_000);
  }
}

/** Wrong tokens per source address (the server throttles them): one line, newest source first. */
function renderFailedAttempts(failed) {
  view.failedAttempts.hidden = failed.length === 0;
  view.failedAttempts.textContent =
    failed.length === 0
      ? ''
      : `Wrong moderator tokens: ${failed
          .map(
            (f) =>
              `${f.count} from ${f.source} (last ${formatWallClock(f.last_ms, timeZone, true)}` +
              `${f.throttled_now ? ', throttled' : ''})`,
          )
          .join('; ')}`;
}

// ---- Live state ----------------------------------------------------------------------------

function applyState(next) {
  if (next.seq < seqFloor) return;
  seqFloor = next.seq;
  state = next;
  refreshShowOnChange();
  render();
}

/** Actual times change with the segment or the phase, re-planned times with the slack. */
function refreshShowOnChange() {
  const slackMinutes = state.slack_ms == null ? '' : Math.round(state.slack_ms / 60000);
  const key = `${state.index}|${state.phase}|${slackMinutes}|${state.revision}`;
  if (token && key !== showKey) {
    showKey = key;
    refreshShow();
  }
}

function render() {
  clearTimeout(renderTimer);
  const now = connection.serverNow();
  const remaining = remainingAt(state, now);
  const phase = phaseAt(state, remaining);

  view.now.dataset.phase = phase;
  view.showTitle.textContent = (state.title || 'Podium') + (state.rehearsal ? ' — rehearsal' : '');
  view.position.textContent = `Segment ${state.index + 1} of ${state.segments}`;
  view.title.textContent = state.segment?.title ?? '';
  view.speaker.textContent = state.segment?.speaker ?? '';
  view.remaining.textContent = formatRemaining(remaining);
  // A pause keeps the countdown's words: "Paused — over by 1:20" (issue 14).
  view.phase.textContent =
    phase === 'paused' ? countdownAt(state, now).words : (PHASE_NAMES[phase] ?? phase);
  view.offset.textContent = formatOffset(state.schedule_offset_ms);
  view.offset.dataset.sign = Math.sign(Math.round(state.schedule_offset_ms / 1000));
  view.projectedEnd.textContent =
    state.projected_end_ms == null ? '–' : formatWallClock(state.projected_end_ms, timeZone);
  view.slack.textContent = slackText(state.slack_ms, state.target_end_ms);
  view.slack.dataset.sign = Math.sign(Math.round((state.slack_ms ?? 0) / 1000));
  view.next.textContent = state.next ? state.next.title : '–';
  view.toggle.textContent = TOGGLE_LABELS[state.phase] ?? 'Pause';
  view.messageCurrent.textContent = state.message
    ? `On screen: “${state.message}”`
    : 'No message on screen.';
  markPreset();
  renderStartAlert();
  for (const name of ['blackout', 'focus']) {
    document.getElementById(name)?.setAttribute('aria-pressed', String(Boolean(state[name])));
  }
  markCurrentRow();

  const wait = nextRedrawIn(state, now);
  if (Number.isFinite(wait)) renderTimer = setTimeout(render, wait);
}

/** `ends 2:00 early (slot ends 17:00)`, the words of display.js; `–` without an end in the session. */
function slackText(slackMs, targetEndMs) {
  if (slackMs == null) return '–';
  const end = targetEndMs == null ? '' : ` (slot ends ${formatWallClock(targetEndMs, timeZone)})`;
  return `${formatSlack(slackMs)}${end}`;
}

// ---- Run of show ---------------------------------------------------------------------------

// ---- Preset messages ------------------------------------------------------------------------

let presetsKey = ''; // the presets the buttons were made for

/** One button per preset of the session (/api/show), numbered as its key; one tap sends it. */
function renderPresets() {
  const messages = show?.messages;
  if (!messages) return;
  const key = JSON.stringify(messages);
  if (key !== presetsKey) {
    presetsKey = key;
    view.messageFlash.checked = messages.flash;
    view.presets.replaceChildren(
      ...messages.presets.map(({ n, text }) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset.preset = String(n);
        button.setAttribute('aria-keyshortcuts', String(n));
        const kbd = document.createElement('kbd');
        kbd.textContent = String(n);
        button.append(kbd, ` ${text}`);
        return button;
      }),
    );
  }
  markPreset();
}

/** Disables the presets without a token; marks the one on the speaker's screen. */
function markPreset() {
  for (const button of view.presets.querySelectorAll('button')) {
    button.disabled = !token;
    const preset = show?.messages?.presets[Number(button.dataset.preset) - 1];
    button.setAttribute('aria-pressed', String(Boolean(state?.message) && preset?.text === state.message));
  }
}

function renderShow() {
  const plannedStart = show.planned_start ? Date.parse(show.planned_start) : NaN;
  const speed = state?.speed ?? 1; // actual times are real ms, lengths are show ms
  const rows = show.segments.map((segment) => {
    const row = document.createElement('tr');
    row.dataset.index = segment.index;
    row.tabIndex = 0; // Enter on a focused row goes there, like a click
    row.title = `Go to “${segment.title}”`;

    const offset = `+${formatDuration(segment.planned_offset_ms)}`;
    const planned = Number.isFinite(plannedStart)
      ? cell(formatWallClock(plannedStart + segment.planned_offset_ms, timeZone), 'time', offset)
      : cell(offset, 'time');
    const { actual_start_ms: start, actual_end_ms: end } = segment;
    const took = start != null && end != null ? (end - start) * speed : null;

    row.append(
      cell(String(segment.index + 1), 'num'),
      planned,
      segmentCell(segment),
      cell(formatDuration(segment.duration_ms), 'num'),
      cell(start == null ? '–' : formatWallClock(start, timeZone, true), 'time'),
      cell(end == null ? (start == null ? '–' : '…') : formatWallClock(end, timeZone, true), 'time'),
      tookCell(took, segment.duration_ms),
      replannedCell(segment),
      editCell(segment),
    );
    return row;
  });
  view.showRows.replaceChildren(...rows);
  markCurrentRow();
}

/** A table cell: `text`, then an optional smaller second line. */
function cell(text, className, subline, sublineClass = 'sub') {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  if (subline) td.append(line(subline, sublineClass));
  return td;
}

function line(text, className) {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}

function segmentCell({ title, speaker, notes }) {
  const td = document.createElement('td');
  td.append(line(title, 'what'));
  if (speaker) td.append(line(speaker, 'sub'));
  if (notes) td.append(line(notes, 'sub notes'));
  return td;
}

/** Actual length, and how far it was from the plan. */
function tookCell(took, planned) {
  if (took == null) return cell('–', 'num');
  const over = Math.round((took - planned) / 1000);
  if (over === 0) return cell(formatDuration(took), 'num');
  const delta = `${over > 0 ? '+' : '−'}${formatDuration(Math.abs(over) * 1000)}`;
  return cell(formatDuration(took), 'num', delta, over > 0 ? 'sub over' : 'sub under');
}

/** Projected start and the planned length now, marked when `fit` changed it. */
function replannedCell({ projected_start_ms: start, replanned_ms: length, duration_ms: planned }) {
  if (start == null) return cell('–', 'time');
  const changed = length !== planned;
  return cell(
    formatWallClock(start, timeZone),
    'time',
    changed ? `${formatDuration(planned)} → ${formatDuration(length)}` : formatDuration(length),
    changed ? 'sub under' : 'sub',
  );
}

function markCurrentRow() {
  for (const row of view.showRows.rows) {
    const current = state != null && Number(row.dataset.index) === state.index;
    row.classList.toggle('current', current);
    if (current) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
}

// ---- Editing the run of show (issue 14) ----------------------------------------------------
// Edits are commands ({"cmd":"edit","op":…}, {"cmd":"undo"}); the server decides what may change
// (nothing that has run; the running segment keeps its place). Lengths are written as in the
// session file ("12m", "1h 30m"); a bare number is minutes. "Save to file" and the file's own
// changes go through api/file.

const edit = {
  form: $('edit-form'),
  heading: $('edit-heading'),
  note: $('edit-note'),
  title: $('edit-title'),
  speaker: $('edit-speaker'),
  kind: $('edit-kind'),
  duration: $('edit-duration'),
  min: $('edit-min'),
  max: $('edit-max'),
  warn: $('edit-warn'),
  up: $('edit-up'),
  down: $('edit-down'),
  insert: $('edit-insert'),
  remove: $('edit-delete'),
  cancel: $('edit-cancel'),
  feedback: $('edit-feedback'),
  add: $('edit-add'),
  undo: $('edit-undo'),
  save: $('file-save'),
  fileStatus: $('file-status'),
  alert: $('file-alert'),
  alertText: $('file-alert-text'),
  alertChanges: $('file-alert-changes'),
  apply: $('file-apply'),
  dismiss: $('file-dismiss'),
};
let editing = null; // {mode: 'edit', index} or {mode: 'insert', at}
let fileView = null; // the last api/file answer

/** `20m`, `1m 30s`, `1h 30m`: a length as the session file writes it. */
function lengthText(ms) {
  if (ms == null) return '';
  const total = Math.round(ms / 1000);
  const parts = [];
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}

/** What the moderator typed as a length: a bare number is minutes. */
function typedLength(text) {
  const t = text.trim();
  return /^\d+$/.test(t) ? `${t}m` : t;
}

/** Where segment `index` stands: 'free' (not started), 'current' (started), or null (past). */
function standing(index) {
  if (!state || state.phase === 'finished' || index < state.index) return null;
  const segment = show?.segments[index];
  if (index === state.index) return state.phase === 'ready' ? 'free' : 'current';
  return segment?.actual_start_ms == null ? 'free' : null;
}

function editCell(segment) {
  const td = document.createElement('td');
  td.className = 'edit';
  if (token && standing(segment.index)) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.edit = String(segment.index);
    button.textContent = '✎';
    button.title = `Edit “${segment.title}”`;
    button.setAttribute('aria-label', `Edit ${segment.index + 1}. ${segment.title}`);
    td.append(button);
  }
  return td;
}

function openEditor(mode, index) {
  const segment = mode === 'edit' ? show?.segments[index] : null;
  if (mode === 'edit' && !segment) return;
  editing = mode === 'edit' ? { mode, index } : { mode, at: index };
  const where = mode === 'edit' ? standing(index) : 'free';
  edit.heading.textContent =
    mode === 'edit' ? `Edit ${index + 1}. ${segment.title}` : `New segment, at position ${index + 1}`;
  edit.note.textContent =
    where === 'current'
      ? 'It is running: a new duration counts from its start; it stays where it is.'
      : '';
  edit.title.value = segment?.title ?? '';
  edit.speaker.value = segment?.speaker ?? '';
  edit.kind.value = segment?.kind ?? 'talk';
  edit.duration.value = segment ? lengthText(segment.duration_ms) : '';
  edit.min.value = segment ? lengthText(segment.min_ms) : '';
  edit.max.value = segment ? lengthText(segment.max_ms) : '';
  edit.warn.value = segment ? lengthText(segment.warn_ms) : '';
  const last = (show?.segments.length ?? 1) - 1;
  const free = mode === 'edit' && where === 'free';
  edit.up.hidden = !free || standing(index - 1) !== 'free';
  edit.down.hidden = !free || index >= last;
  edit.remove.hidden = !free;
  edit.insert.hidden = mode !== 'edit';
  edit.feedback.textContent = '';
  edit.form.hidden = false;
  edit.title.focus({ preventScroll: true });
  edit.form.scrollIntoView({ block: 'nearest' });
}

function closeEditor() {
  editing = null;
  edit.form.hidden = true;
}

/** Sends an edit; true when it applied (its refusal is said in the form). */
async function sendEdit(command) {
  try {
    const next = await api('api/command', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(command),
    });
    applyState(next);
    view.feedback.textContent = '';
    return true;
  } catch (error) {
    if (edit.form.hidden) view.feedback.textContent = error.message;
    else edit.feedback.textContent = error.message;
    return false;
  }
}

/** The fields of the form that differ from `segment` (all of them for a new one). */
function formChanges(segment) {
  const changes = {};
  const text = (input) => input.value.trim();
  if (!segment || text(edit.title) !== segment.title) changes.title = text(edit.title);
  if (!segment || text(edit.speaker) !== (segment.speaker ?? '')) changes.speaker = text(edit.speaker);
  if (!segment || edit.kind.value !== segment.kind) changes.kind = edit.kind.value;
  for (const [key, input, ms] of [
    ['duration', edit.duration, segment?.duration_ms],
    ['min', edit.min, segment?.min_ms],
    ['max', edit.max, segment?.max_ms],
    ['warn', edit.warn, segment?.warn_ms],
  ]) {
    const typed = typedLength(input.value);
    if (segment && typed === lengthText(ms)) continue;
    if (typed === '') {
      if (segment && (key === 'min' || key === 'max') && ms != null) changes[key] = null;
      continue;
    }
    changes[key] = typed;
  }
  return changes;
}

async function submitEditor() {
  if (!editing) return;
  if (editing.mode === 'insert') {
    const segment = formChanges(null);
    if (!segment.speaker) delete segment.speaker;
    if (await sendEdit({ cmd: 'edit', op: 'insert', at: editing.at, segment })) closeEditor();
    return;
  }
  const changes = formChanges(show?.segments[editing.index]);
  if (Object.keys(changes).length === 0) {
    closeEditor();
    return;
  }
  if (await sendEdit({ cmd: 'edit', op: 'set', segment: editing.index, ...changes })) closeEditor();
}

async function moveEdited(by) {
  if (editing?.mode !== 'edit') return;
  const to = editing.index + by;
  if (await sendEdit({ cmd: 'edit', op: 'move', segment: editing.index, to })) {
    editing.index = to;
    await refreshShow();
    openEditor('edit', to);
  }
}

async function saveToFile() {
  try {
    const answer = await api('api/file/save', { method: 'POST' });
    fileView = answer;
    view.feedback.dataset.kind = 'info';
    view.feedback.textContent = `Saved to ${answer.path}.`;
  } catch (error) {
    delete view.feedback.dataset.kind;
    view.feedback.textContent = error.message;
  }
  renderFile();
}

/** The session file: its changes on disk (a banner to apply or dismiss), or why it cannot be used. */
async function refreshFile() {
  if (!token) return;
  try {
    fileView = await api('api/file');
  } catch {
    fileView = null; // no file of its own (a relay, an event's inline room), or not reachable now
  }
  renderFile();
}

function renderFile() {
  edit.save.hidden = fileView == null;
  edit.fileStatus.textContent = fileView
    ? `${fileView.path}${fileView.write_back ? ' — every edit is saved (--write-back)' : ''}`
    : '';
  const offer = fileView?.offer;
  const problem = fileView?.problem;
  edit.alert.hidden = !offer && !problem;
  if (offer) {
    edit.alert.dataset.state = 'offer';
    edit.alertText.textContent = `The session file changed on disk. Apply its changes to the segments not started yet (from ${offer.from + 1} on)?`;
    edit.alertChanges.replaceChildren(
      ...offer.summary.map((text) => {
        const li = document.createElement('li');
        li.textContent = text;
        return li;
      }),
    );
    edit.apply.hidden = false;
  } else if (problem) {
    edit.alert.dataset.state = 'problem';
    edit.alertText.textContent = `${problem} — the show goes on unchanged.`;
    edit.alertChanges.replaceChildren();
    edit.apply.hidden = true;
  }
}

async function answerFile(apply) {
  try {
    if (apply) {
      const next = await api('api/file/apply', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ hash: fileView?.offer?.hash }),
      });
      applyState(next);
    } else {
      await api('api/file/dismiss', { method: 'POST' });
    }
    view.feedback.textContent = '';
  } catch (error) {
    view.feedback.textContent = error.message;
  }
  refreshFile();
}

function wireEditing() {
  view.showRows.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-edit]');
    if (!button) return;
    event.stopPropagation();
    openEditor('edit', Number(button.dataset.edit));
  }, true);
  edit.form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitEditor();
  });
  edit.form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeEditor();
  });
  edit.cancel.addEventListener('click', closeEditor);
  edit.up.addEventListener('click', () => moveEdited(-1));
  edit.down.addEventListener('click', () => moveEdited(1));
  edit.insert.addEventListener('click', () => {
    if (editing?.mode === 'edit') openEditor('insert', editing.index + 1);
  });
  edit.remove.addEventListener('click', async () => {
    if (editing?.mode !== 'edit') return;
    const title = show?.segments[editing.index]?.title ?? '';
    if (!confirm(`Delete ${editing.index + 1}. “${title}” from the run of show?`)) return;
    if (await sendEdit({ cmd: 'edit', op: 'delete', segment: editing.index })) closeEditor();
  });
  edit.add.addEventListener('click', () => openEditor('insert', show?.segments.length ?? 0));
  edit.undo.addEventListener('click', () => sendEdit({ cmd: 'undo' }));
  edit.save.addEventListener('click', saveToFile);
  edit.apply.addEventListener('click', () => answerFile(true));
  edit.dismiss.addEventListener('click', () => answerFile(false));
}

// ---- Input ---------------------------------------------------------------------------------

function goToRow(row) {
  if (!row || !token) return;
  const index = Number(row.dataset.index);
  const title = show?.segments[index]?.title ?? `segment ${index + 1}`;
  if (confirm(`Go to ${index + 1}. “${title}”?`)) send({ cmd: 'goto', index });
}

function wireInput() {
  view.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = view.tokenInput.value.trim();
    history.replaceState(null, '', `#token=${encodeURIComponent(value)}`);
    view.tokenInput.value = '';
    useToken(value);
  });
  addEventListener('hashchange', () => useToken(tokenFromHash()));

  const buttons = document.querySelector('.commands .buttons');
  // A mouse click must not leave focus on a button, or the space key would press it again.
  buttons.addEventListener('mousedown', (event) => event.preventDefault());
  buttons.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-cmd]');
    if (!button) return;
    const { cmd, seconds } = button.dataset;
    if (cmd === 'reset' && !confirm('Reset the show? It goes back to the first segment, nothing started.')) {
      return;
    }
    send(withSwitch(seconds == null ? { cmd } : { cmd, seconds: Number(seconds) }));
  });

  view.messageForm.addEventListener('submit', (event) => {
    event.preventDefault();
    send({ cmd: 'message', text: view.messageInput.value.trim(), flash: view.messageFlash.checked });
  });
  view.presets.addEventListener('mousedown', (event) => event.preventDefault()); // keep keys working
  view.presets.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-preset]');
    if (button) send({ cmd: 'message', preset: Number(button.dataset.preset) });
  });
  view.messageClear.addEventListener('click', () => {
    view.messageInput.value = '';
    send({ cmd: 'message', text: '' });
  });
  view.messageInput.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') view.messageInput.blur(); // back to the shortcut keys
  });

  view.showRows.addEventListener('click', (event) => goToRow(event.target.closest('tr')));
  view.showRows.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') goToRow(event.target.closest('tr'));
  });

  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    // Typing, and keyboard use of a focused button or field, keep their usual meaning.
    if (event.target.closest?.('input, textarea, select, button, [contenteditable]')) return;
    const preset = /^[1-9]$/.test(event.key) ? Number(event.key) : 0;
    if (preset && token && preset <= (show?.messages?.presets.length ?? 0)) {
      event.preventDefault();
      send({ cmd: 'message', preset });
      return;
    }
    const command = KEYS[event.key.toLowerCase()];
    if (!command || !token) return;
    event.preventDefault();
    send(withSwitch(command));
  });
}

wireInput();
wireEditing();
useToken(tokenFromHash());
connection.start();
refreshScreens();
