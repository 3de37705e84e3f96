// popout.js — "Pop out": a small countdown in the phase colour that stays above a speaker's
// full-screen slides. Where the browser has Document Picture-in-Picture (Chromium, Edge) it is an
// always-on-top window; elsewhere a small popup window, which the button says is not kept on top.
// The main page draws into it on every render (the same digits, phase and words from display.js),
// so it needs no socket of its own and never disagrees with the page.
// Invariant: only the digits, the phase colour, the phase in words and the message; nothing else.

import { wordsOf } from './i18n.js';

const PIP = 'documentPictureInPicture' in window;

export class PopOut {
  /** @param {HTMLButtonElement} button the page's "Pop out" button */
  constructor(button) {
    this.button = button;
    this.win = null;
    this.nodes = null;
    this.last = null;
    // In the page's language (speaker.js sets it on <html lang> before this runs).
    const words = wordsOf(document.documentElement.lang).popOut;
    button.textContent = PIP ? words.pip : words.popup;
    button.title = PIP ? words.pipTitle : words.popupTitle;
    button.dataset.kind = PIP ? 'pip' : 'popup';
    button.hidden = false;
    button.addEventListener('click', () => this.toggle());
  }

  get open() {
    return this.win !== null && !this.win.closed;
  }

  async toggle() {
    if (this.open) {
      this.win.close();
      this.closed();
      return;
    }
    let win = null;
    try {
      win = PIP
        ? await window.documentPictureInPicture.requestWindow({ width: 320, height: 180 })
        : window.open('', 'podium-popout', 'popup,width=320,height=200');
    } catch (e) {
      // Refused (no user gesture, or not allowed here): try the plain window instead.
      win = window.open('', 'podium-popout', 'popup,width=320,height=200');
    }
    if (!win) {
      this.button.dataset.state = 'blocked';
      this.button.title = wordsOf(document.documentElement.lang).popOut.blocked;
      return;
    }
    this.mount(win);
  }

  mount(win) {
    const doc = win.document;
    doc.title = 'Podium';
    for (const sheet of ['style.css', 'popout.css']) {
      const link = doc.createElement('link');
      link.rel = 'stylesheet';
      link.href = new URL(`/assets/${sheet}`, location.href).href;
      doc.head.append(link);
    }
    doc.body.className = 'popout';
    doc.body.replaceChildren();
    const digits = doc.createElement('p');
    digits.className = 'pop-digits';
    const words = doc.createElement('p');
    words.className = 'pop-words';
    const message = doc.createElement('p');
    message.className = 'pop-message';
    doc.body.append(digits, words, message);
    this.win = win;
    this.nodes = { body: doc.body, digits, words, message };
    win.addEventListener('pagehide', () => this.closed());
    this.button.setAttribute('aria-pressed', 'true');
    if (this.last) this.update(this.last);
  }

  closed() {
    this.win = null;
    this.nodes = null;
    this.button.setAttribute('aria-pressed', 'false');
  }

  /** Draws what the page shows: `{digits, phase, words, message, screen}`. */
  update(shown) {
    this.last = shown;
    if (!this.open || !this.nodes) return;
    const { body, digits, words, message } = this.nodes;
    body.dataset.phase = shown.phase;
    body.dataset.screen = shown.screen;
    body.dataset.size = String(shown.digits.length);
    if (digits.textContent !== shown.digits) digits.textContent = shown.digits;
    if (words.textContent !== shown.words) words.textContent = shown.words;
    if (message.textContent !== shown.message) message.textContent = shown.message;
    words.hidden = shown.words === '';
    message.hidden = shown.message === '';
    this.win.document.title = shown.screen === 'blackout' ? 'Podium' : `${shown.digits} · Podium`;
  }
}
