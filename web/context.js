// context.js — the speaker page's context around the digits: a thin progress bar of the segment
// (its warning zone marked), "ends at 15:40" in the viewer's local time (each turned off by the
// session's [speaker_page]), and, for a link made for one speaker (`?name=`), which segment is
// theirs. The figures come from display.js (`progressAt`, `endsAtMinute`: the shared rules);
// this module only paints them. Invariant: it never changes the digits nor their size.
import { endsAtMinute, formatWallClock, progressAt } from './display.js';
import { wordsOf } from './i18n.js';

/** Speaker names compare without case and surrounding blanks ("neha " is "Neha"). */
function sameName(a, b) {
  return a != null && b != null && a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();
}

/** "now" when `name` speaks in the current segment, "next" in the next one, else "". */
export function whose(state, name) {
  if (!name || state.phase === 'finished') return '';
  if (sameName(state.segment?.speaker, name)) return 'now';
  if (sameName(state.next?.speaker, name)) return 'next';
  return '';
}

export class SpeakerContext {
  /**
   * @param {object} nodes `{progress, used, warn, endsAt}`: the bar, its used part and its
   *   warning zone, and the "ends at" line
   * @param {string} name the speaker this page was opened for (`?name=`), or ''
   */
  constructor(nodes, name) {
    this.nodes = nodes;
    this.name = name.trim();
  }

  update(state, serverNowMs) {
    const { progress, used, warn, endsAt } = this.nodes;
    const options = state.speaker_page ?? { progress: true, ends_at: true };
    const bar = options.progress ? progressAt(state, serverNowMs) : null;
    progress.hidden = bar === null;
    if (bar) {
      // Transforms, not widths: no layout on each second's redraw.
      used.style.transform = `scaleX(${bar.elapsed})`;
      warn.hidden = bar.warnFrom === null || bar.warnFrom >= 1;
      if (bar.warnFrom !== null) {
        warn.style.left = `${bar.warnFrom * 100}%`;
        warn.style.width = `${(1 - bar.warnFrom) * 100}%`;
      }
      progress.dataset.over = String(bar.over);
    }
    const end = options.ends_at ? endsAtMinute(state, serverNowMs) : null;
    // In the page's language (speaker.js sets it on <html lang>).
    const tr = wordsOf(document.documentElement.lang);
    const text = end === null ? '' : tr.endsAt(formatWallClock(end, undefined, false, tr.locale));
    if (endsAt.textContent !== text) endsAt.textContent = text;
    endsAt.hidden = text === '';
    document.body.dataset.mine = whose(state, this.name);
  }
}
