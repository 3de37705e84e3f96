// cues.js — what the speaker page does besides drawing the state: the opt-in chime (synthesized
// with Web Audio, no sound files), the screen wake lock while a segment runs, and the speaker's
// own local time in a corner. Which chime a change of phase rings is decided in display.js
// (`cueFor`); this module only makes the sound. Nothing here changes the show.

import { cueFor, formatWallClock } from './display.js';
import { wordsOf } from './i18n.js';

/** Tones of each chime: [frequency Hz, start s, length s]. Short, distinct, not alarming. */
const CHIMES = {
  warning: [[660, 0, 0.35], [880, 0.25, 0.5]],
  zero: [[880, 0, 0.3], [660, 0.22, 0.3], [440, 0.44, 0.7]],
  'over-max': [[440, 0, 0.25], [440, 0.3, 0.25], [440, 0.6, 0.25], [330, 0.9, 0.6]],
  test: [[880, 0, 0.25]],
  message: [[988, 0, 0.18], [1319, 0.14, 0.4]],
};

/** How long a message that arrives flashes, in ms (the CSS animation's length). */
export const FLASH_MS = 3_000;

/**
 * What a state's message asks on arrival: `{flash, chime}` when `state` brings a message sent
 * since `lastAt` (the `message_at_ms` of the previous state, `undefined` before the first), else
 * null. The first state after loading (or a reconnect) flashes only a message sent in the last
 * few seconds: a page opened later does not flash an old one.
 */
export function messageCue(lastAt, state, serverNowMs) {
  const at = state.message_at_ms ?? null;
  if (at == null || at === lastAt || !state.message) return null;
  if (lastAt === undefined && serverNowMs - at > FLASH_MS) return null;
  const cue = { flash: Boolean(state.message_flash), chime: Boolean(state.message_chime) };
  return cue.flash || cue.chime ? cue : null;
}
const TICKING = new Set(['running', 'warning', 'overtime', 'over-max']);

export class Cues {
  /**
   * @param {object} nodes
   * @param {HTMLButtonElement} nodes.sound the "sound on/off" control
   * @param {HTMLElement} nodes.local where the local time goes
   * @param {() => number} serverNow the server's clock estimate, Unix ms
   * @param {boolean} soundAtLoad try to start with sound on (`?sound=on`: kiosks, OBS)
   */
  constructor({ sound, local }, serverNow, soundAtLoad) {
    this.button = sound;
    this.local = local;
    this.serverNow = serverNow;
    this.audio = null;
    this.enabled = false;
    this.played = 0;
    this.last = null; // {index, phase} of the last render
    this.messageAt = undefined; // message_at_ms of the last render
    this.flashTimer = 0;
    this.wakeLock = null;
    this.wantAwake = false;
    this.button.addEventListener('click', () => this.#toggleSound());
    document.addEventListener('visibilitychange', () => this.#keepAwake());
    if (soundAtLoad) this.#enable(false);
    this.#showSound();
    this.#tickLocal();
  }

  /** Called on every render with the phase being shown; `message` is the message's element. */
  update(state, phase, message) {
    const said = messageCue(this.messageAt, state, this.serverNow());
    this.messageAt = state.message_at_ms ?? null;
    if (said?.chime) this.#chime('message');
    if (said?.flash && message) {
      // Restart the animation for a message that follows another within the flash.
      delete message.dataset.flash;
      void message.offsetWidth;
      message.dataset.flash = 'on';
      clearTimeout(this.flashTimer);
      this.flashTimer = setTimeout(() => delete message.dataset.flash, FLASH_MS);
    } else if (!state.message && message) {
      delete message.dataset.flash;
    }
    const now = { index: state.index, phase };
    const cue = cueFor(this.last, now);
    this.last = now;
    if (cue) this.#chime(cue);
    this.wantAwake = TICKING.has(phase);
    this.#keepAwake();
  }

  // ---- Sound ------------------------------------------------------------------------------------

  #toggleSound() {
    if (this.enabled && this.audio?.state === 'running') {
      this.enabled = false;
      this.#showSound();
      return;
    }
    this.#enable(true);
  }

  /** Browsers let audio start only from a user gesture; a click on the button is one. */
  #enable(withTest) {
    try {
      this.audio ??= new AudioContext();
    } catch {
      this.button.textContent = wordsOf(document.documentElement.lang).sound.none;
      return;
    }
    this.enabled = true;
    this.audio
      .resume()
      .then(() => {
        if (withTest) this.#chime('test');
      })
      .catch(() => {})
      .finally(() => this.#showSound());
    this.#showSound();
  }

  #showSound() {
    const on = this.enabled && this.audio?.state === 'running';
    const blocked = this.enabled && !on;
    this.button.setAttribute('aria-pressed', String(on));
    this.button.dataset.sound = on ? 'on' : blocked ? 'blocked' : 'off';
    // In the page's language (speaker.js sets it on <html lang>).
    const words = wordsOf(document.documentElement.lang).sound;
    this.button.textContent = on ? words.on : blocked ? words.tap : words.off;
  }

  #chime(name) {
    if (!this.enabled || !this.audio || this.audio.state !== 'running') return;
    const ctx = this.audio;
    const t0 = ctx.currentTime + 0.02;
    for (const [frequency, start, length] of CHIMES[name]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = frequency;
      // A bell-like envelope: quick attack, exponential decay, no clicks.
      gain.gain.setValueAtTime(0.0001, t0 + start);
      gain.gain.exponentialRampToValueAtTime(0.3, t0 + start + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + start + length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + start);
      osc.stop(t0 + start + length + 0.05);
    }
    this.played += 1;
    this.button.dataset.chimes = String(this.played);
    this.button.dataset.lastChime = name;
  }

  // ---- Wake lock --------------------------------------------------------------------------------

  /** Holds a screen wake lock while a segment runs and the page is visible (the browser drops
   *  it whenever the page is hidden, so it is asked for again on return). */
  #keepAwake() {
    const want = this.wantAwake && document.visibilityState === 'visible';
    if (want && !this.wakeLock && navigator.wakeLock) {
      this.wakeLock = 'pending';
      navigator.wakeLock
        .request('screen')
        .then((lock) => {
          this.wakeLock = lock;
          document.body.dataset.awake = 'true';
          lock.addEventListener('release', () => {
            this.wakeLock = null;
            delete document.body.dataset.awake;
          });
          if (!this.wantAwake) this.#keepAwake();
        })
        .catch(() => {
          this.wakeLock = null; // not allowed here (e.g. plain http on a LAN): nothing to do
        });
    } else if (!want && this.wakeLock && this.wakeLock !== 'pending') {
      this.wakeLock.release().catch(() => {});
      this.wakeLock = null;
    }
  }

  // ---- Local time -------------------------------------------------------------------------------

  /** The speaker's own time in the browser's zone, redrawn at each minute. */
  #tickLocal() {
    const now = this.serverNow();
    this.local.textContent = formatWallClock(now);
    this.local.dateTime = new Date(now).toISOString();
    setTimeout(() => this.#tickLocal(), 60_000 - (now % 60_000) + 20);
  }
}
