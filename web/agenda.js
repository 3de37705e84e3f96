// agenda.js — the agenda view: the whole run-of-show from GET /api/agenda, with the live state
// from the socket; done segments show their actual times, the rest are projected (display.js
// `agendaRows`) in the viewer's zone, or in ?tz=ZONE; in the viewer's language (i18n.js: ?lang=,
// the browser's, the session's `language`). Read-only: it never sends a command.
import { Connection } from './connection.js';
import {
  agendaRows,
  dateTimeFormat,
  formatOffset,
  formatRemaining,
  formatWallClock,
  nextRedrawIn,
  phaseAt,
  remainingAt,
} from './display.js';
import { pageLanguage, wordsOf } from './i18n.js';

const $ = (id) => document.getElementById(id);
const options = new URLSearchParams(location.search);
const timeZone = validZone(options.get('tz'));
// The page's own choice of language, or null: then the session's (the agenda's `language`).
const chosen = pageLanguage(options.get('lang'), navigator.languages ?? []);
let tr = wordsOf(chosen ?? 'en');
document.documentElement.lang = chosen ?? 'en';

let state = null;
let agenda = null;
let agendaKey = ''; // index|phase|start|revision the agenda was fetched for (times and edits change it)
let renderTimer = 0;

const connection = new Connection(
  {
    onState(next) {
      state = next;
      refreshAgenda();
      render();
    },
    onStatus(status) {
      const node = $('status');
      node.dataset.state = status;
      node.textContent = tr.status[status] ?? status;
      node.hidden = status === 'connected';
    },
  },
  // The moderator's list of screens tells agenda screens apart (`/agenda?name=Green room`).
  { name: new URLSearchParams(location.search).get('name') ?? '', kind: 'agenda' },
);

/** The zone asked for in the URL if the browser knows it, else the browser's own. */
function validZone(name) {
  if (!name) return undefined;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: name });
    return name;
  } catch {
    return undefined;
  }
}

async function refreshAgenda() {
  const key = `${state.index}|${state.phase}|${state.show_started_at_ms}|${state.revision}`;
  if (key === agendaKey) return;
  agendaKey = key;
  try {
    const answer = await fetch('api/agenda', { cache: 'no-store' });
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    agenda = await answer.json();
    if (chosen === null && agenda.language) {
      tr = wordsOf(agenda.language);
      document.documentElement.lang = agenda.language;
    }
    render();
  } catch (e) {
    agendaKey = ''; // try again with the next state
    console.warn('podium agenda:', e);
  }
}

function cell(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

function render() {
  clearTimeout(renderTimer);
  if (!state || !agenda) return;
  const now = connection.serverNow();
  const remaining = remainingAt(state, now);
  const phase = phaseAt(state, remaining);
  const time = (ms) => (ms == null ? '–' : formatWallClock(ms, timeZone, false, tr.locale));

  $('title').textContent = agenda.title;
  document.title = tr.agenda.page(agenda.title);
  $('now').textContent = time(now);
  $('zone').textContent =
    timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? tr.agenda.zone;

  const rows = agendaRows(agenda, state, now);
  // The show's day, in the page's language and zone ("jeudi 10 juin 2021").
  $('date').textContent = formatDate(rows[0]?.start_ms ?? now);
  const items = rows.map((row) => {
    const li = document.createElement('li');
    li.className = 'agenda-row';
    li.dataset.status = row.status;
    li.dataset.index = String(row.index);
    if (row.status === 'current') li.dataset.phase = phase;
    const when = `${time(row.start_ms)}–${time(row.end_ms)}`;
    li.append(cell('span', 'when', row.projected && row.status === 'later' ? `~${when}` : when));
    const what = document.createElement('span');
    what.className = 'what';
    what.append(cell('span', 'item-title', row.title));
    const by = [tr.agenda.kinds[row.kind] ?? '', row.speaker ?? ''].filter(Boolean).join(' · ');
    if (by) what.append(cell('span', 'item-by', by));
    li.append(what);
    if (row.status === 'current') {
      const digits = phase === 'stopped' ? '0:00' : formatRemaining(remaining);
      li.append(cell('span', 'left', digits));
      const bar = cell('span', 'bar', '');
      bar.style.setProperty('--done', String(row.progress));
      li.append(bar);
    } else if (row.status === 'done') {
      li.append(cell('span', 'left', tr.agenda.done));
    }
    return li;
  });
  $('rows').replaceChildren(...items);

  const finished = state.phase === 'finished';
  const last = rows.at(-1);
  $('end').textContent = finished
    ? tr.agenda.ended(time(last?.end_ms))
    : tr.agenda.ends(time(last?.end_ms));
  // The server's own figure, as on the moderator's page (against the file's lengths).
  $('offset').textContent =
    state.show_started_at_ms == null ? '' : `(${formatOffset(state.schedule_offset_ms, tr.offset)})`;
  // Its digits flip with every other page's; its clock and projected times need a beat too.
  const wait = nextRedrawIn(state, now, 1000);
  if (Number.isFinite(wait)) renderTimer = setTimeout(render, wait);
}

const DAY = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };

/** A day in the page's language and zone: "Thursday 10 June 2021", "jeudi 10 juin 2021". */
function formatDate(unixMs) {
  return dateTimeFormat(tr.locale, DAY, timeZone).format(unixMs);
}

connection.start();
