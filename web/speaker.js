// speaker.js — the speaker page (and the overlay): renders every state that arrives, and re-renders
// on its own only when the digits or the phase next change (display.js `nextRedrawIn`, the rule
// every page follows).
import { Connection } from './connection.js';
import { Cues } from './cues.js';
import { SpeakerContext } from './context.js';
import { PopOut } from './popout.js';
import { countdownAt, nextRedrawIn, tabTitle } from './display.js';
import { pageLanguage, wordsOf } from './i18n.js';

const $ = (id) => document.getElementById(id);
const view = {
  title: $('title'),
  speaker: $('speaker'),
  message: $('message'),
  label: $('label'),
  remaining: $('remaining'),
  next: $('next'),
  status: $('status'),
  rehearsal: $('rehearsal'),
};

// URL options (README): ?view=overlay for a video mixer's browser source, ?sound=on to start with
// the chime on where the browser allows it.
const options = new URLSearchParams(location.search);
document.body.dataset.view = options.get('view') === 'overlay' ? 'overlay' : 'speaker';

// The language (i18n.js): ?lang=en|fr|es, else the browser's, else the session's `language`
// (from GET api/agenda, asked only when neither decides), else English.
const chosen = pageLanguage(options.get('lang'), navigator.languages ?? []);
let tr = wordsOf('en');
function speak(lang) {
  tr = wordsOf(lang);
  document.documentElement.lang = lang;
  view.rehearsal.textContent = tr.rehearsal;
  $('local').title = tr.localTime;
}
speak(chosen ?? 'en');
if (chosen === null) {
  fetch('api/agenda', { cache: 'no-store' })
    .then((answer) => (answer.ok ? answer.json() : null))
    .then((agenda) => {
      if (agenda?.language) {
        speak(agenda.language);
        if (state) render();
      }
    })
    .catch(() => {}); // English, then
}

// Characters: longer messages get a smaller font (data-length "long", "longer"), so that every
// message up to the server's limit (280) fits whole, never cut off.
const LONG_MESSAGE = 50;
const LONGER_MESSAGE = 140;

let state = null;
let renderTimer = 0;
let serverStopped = false;

// `/?name=Neha` names this screen in the moderator's list of connected screens.
const connection = new Connection(
  {
    onState(next) {
      state = next;
      render();
    },
    onStatus: showStatus,
    onBye() {
      serverStopped = true;
    },
  },
  { name: options.get('name') ?? '', kind: 'page' },
);
const cues = new Cues(
  { sound: $('sound'), local: $('local') },
  () => connection.serverNow(),
  options.get('sound') === 'on',
);
// The progress bar, "ends at", this speaker's segment (`?name=`: a link from the share panel).
const context = new SpeakerContext(
  { progress: $('progress'), used: $('progress-used'), warn: $('progress-warn'), endsAt: $('ends-at') },
  options.get('name') ?? '',
);
const popOut = document.body.dataset.view === 'speaker' ? new PopOut($('popout')) : null;

/** Sets text only when it changed, so a heartbeat costs no layout. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets text and hides the element while the text is empty. */
function setOptional(node, text) {
  setText(node, text);
  node.hidden = text === '';
}

function render() {
  clearTimeout(renderTimer);
  const now = connection.serverNow();
  const { digits: countdown, phase, words } = countdownAt(state, now, tr.phase);
  const finished = phase === 'finished';
  const digits = finished ? tr.finished : countdown;

  document.body.dataset.phase = phase;
  setText(view.remaining, digits);
  view.remaining.dataset.size = finished ? 'word' : String(digits.length);
  setOptional(view.label, words);
  document.body.dataset.screen = state.blackout ? 'blackout' : state.focus ? 'focus' : 'normal';
  setOptional(view.message, state.message ?? ''); // before the cues: a new one may flash
  cues.update(state, phase, view.message);
  setText(view.title, finished ? state.title : (state.segment?.title ?? ''));
  setOptional(view.speaker, finished ? '' : (state.segment?.speaker ?? ''));
  setOptional(view.next, finished || !state.next ? '' : nextLine(state.next));
  const length = view.message.textContent.length;
  view.message.dataset.length =
    length > LONGER_MESSAGE ? 'longer' : length > LONG_MESSAGE ? 'long' : 'short';
  view.rehearsal.hidden = !state.rehearsal;
  setTabTitle(tabTitle(state, digits)); // the time in the tab strip, with the digits
  context.update(state, now);
  popOut?.update({ digits, phase, words, message: state.message ?? '', screen: document.body.dataset.screen });

  const wait = nextRedrawIn(state, now);
  if (Number.isFinite(wait)) renderTimer = setTimeout(render, wait);
}

let titleTimer = 0;

/**
 * The tab's title, for a speaker whose page is behind their slides. Setting it costs the browser
 * up to several ms (measured: 0.1–9 ms at each second), so on a visible page it is set in the task
 * after the digits' redraw, which it would otherwise delay; a hidden page (no digits to paint, and
 * its timers throttled) sets it at once.
 */
function setTabTitle(text) {
  clearTimeout(titleTimer);
  if (document.hidden) {
    if (document.title !== text) document.title = text;
    return;
  }
  titleTimer = setTimeout(() => {
    if (document.title !== text) document.title = text;
  }, 0);
}

function nextLine({ title, speaker }) {
  return tr.next(title, speaker);
}

function showStatus(status) {
  if (status === 'connected') serverStopped = false;
  let text = tr.status[status];
  if (status === 'reconnecting' && serverStopped) text = tr.status.stopped;
  view.status.dataset.state = status;
  setText(view.status, text);
  view.status.hidden = status === 'connected';
}

connection.start();
