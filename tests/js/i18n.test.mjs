// Unit tests for web/i18n.js: every language has every word, each language's words are its own
// (French typography: the non-breaking space before a colon, the curly apostrophe), and the page's
// choice of language (?lang=, then the browser's, then the session's). Run: node --test tests/js/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { countdownAt, formatOffset, formatWallClock, phaseWords } from '../../web/display.js';
import { LANGUAGES, WORDS, chooseLanguage, languageOf, pageLanguage, wordsOf } from '../../web/i18n.js';

const TABLE = JSON.parse(readFileSync(new URL('../cases/display.json', import.meta.url), 'utf8'));
const NBSP = '\u00a0';

/** The keys of a table, nested, with the kind of each value ("string", "function", …). */
function shape(value, at = '') {
  if (value === null || typeof value !== 'object') return [`${at}: ${typeof value}`];
  return Object.keys(value)
    .sort()
    .flatMap((key) => shape(value[key], `${at}.${key}`));
}

test('every language has every word English has, of the same kind', () => {
  assert.deepEqual(LANGUAGES, ['en', 'fr', 'es']);
  for (const lang of LANGUAGES) {
    assert.deepEqual(shape(WORDS[lang]), shape(WORDS.en), lang);
  }
});

test('English is the shared case table, word for word', () => {
  for (const c of TABLE.words) {
    assert.equal(phaseWords(c.phase, c.remaining_ms, WORDS.en.phase), c.words, JSON.stringify(c));
  }
});

/** The phase words of the shared table's cases in `lang`, by case. */
function wordsIn(lang) {
  return TABLE.words.map((c) => [c.phase, c.remaining_ms, phaseWords(c.phase, c.remaining_ms, WORDS[lang].phase)]);
}

const CASES = {
  fr: {
    ready: 'Prêt',
    paused: 'En pause',
    pausedZero: 'En pause — temps écoulé',
    pausedOver: 'En pause — dépassement de 1:20',
    twoMinutes: 'Il reste 2 minutes',
    oneMinute: 'Il reste 1 minute',
    underAMinute: 'Il reste moins d’une minute',
    timesUp: 'Temps écoulé',
    overBy: 'Dépassement de 1:20',
    pastLimit: 'Limite dépassée · dépassement de 2:30',
    pausedPastLimit: 'En pause — limite dépassée · dépassement de 2:30',
    next: `Suivant${NBSP}: Normes de l’OIT — Katerine Landuyt`,
    nextAlone: `Suivant${NBSP}: Pause café`,
    endsAt: 'fin prévue à 15:40',
    finished: 'Terminé',
    behind: '2:00 de retard',
    ahead: '0:30 d’avance',
    onTime: 'à l’heure',
  },
  es: {
    ready: 'Listo',
    paused: 'En pausa',
    pausedZero: 'En pausa — tiempo agotado',
    pausedOver: 'En pausa — tiempo excedido: 1:20',
    twoMinutes: 'Quedan 2 minutos',
    oneMinute: 'Queda 1 minuto',
    underAMinute: 'Queda menos de un minuto',
    timesUp: 'Tiempo agotado',
    overBy: 'Tiempo excedido: 1:20',
    pastLimit: 'Límite superado · tiempo excedido: 2:30',
    pausedPastLimit: 'En pausa — límite superado · tiempo excedido: 2:30',
    next: 'Siguiente: Normas de la OIT — Katerine Landuyt',
    nextAlone: 'Siguiente: Pausa café',
    endsAt: 'termina a las 15:40',
    finished: 'Terminado',
    behind: '2:00 de retraso',
    ahead: '0:30 de adelanto',
    onTime: 'a tiempo',
  },
};

const TITLES = {
  fr: ['Normes de l’OIT', 'Pause café'],
  es: ['Normas de la OIT', 'Pausa café'],
};

for (const lang of ['fr', 'es']) {
  test(`the ${lang} words of every phase`, () => {
    const w = WORDS[lang];
    const c = CASES[lang];
    assert.equal(phaseWords('ready', 300_000, w.phase), c.ready);
    assert.equal(phaseWords('paused', 42_000, w.phase), c.paused);
    assert.equal(phaseWords('paused', 0, w.phase), c.pausedZero);
    assert.equal(phaseWords('paused', -80_500, w.phase), c.pausedOver);
    assert.equal(phaseWords('warning', 120_000, w.phase), c.twoMinutes);
    assert.equal(phaseWords('warning', 119_000, w.phase), c.oneMinute);
    assert.equal(phaseWords('warning', 59_000, w.phase), c.underAMinute);
    assert.equal(phaseWords('warning', 0, w.phase), c.timesUp);
    assert.equal(phaseWords('overtime', -500, w.phase), c.timesUp);
    assert.equal(phaseWords('overtime', -80_000, w.phase), c.overBy);
    assert.equal(phaseWords('stopped', 0, w.phase), c.timesUp);
    assert.equal(phaseWords('over-max', -150_000, w.phase), c.pastLimit);
    assert.equal(phaseWords('running', 100_000, w.phase), '');
    // A pause past the hard limit says so in the language too.
    const paused = {
      phase: 'paused',
      remaining_ms: -150_000,
      ends_at_ms: null,
      segment: { duration_ms: 600_000, max_ms: 660_000, warn_ms: 120_000, on_end: 'overtime' },
    };
    assert.equal(countdownAt(paused, 0, w.phase).words, c.pausedPastLimit);
    assert.equal(w.next(TITLES[lang][0], 'Katerine Landuyt'), c.next);
    assert.equal(w.next(TITLES[lang][1], null), c.nextAlone);
    const at = Date.UTC(2021, 5, 10, 15, 40);
    assert.equal(w.endsAt(formatWallClock(at, 'UTC', false, w.locale)), c.endsAt);
    assert.equal(w.finished, c.finished);
    assert.equal(formatOffset(120_000, w.offset), c.behind);
    assert.equal(formatOffset(-30_000, w.offset), c.ahead);
    assert.equal(formatOffset(400, w.offset), c.onTime);
    // Not one English word left among the shared table's cases.
    for (const [phase, remaining, words] of wordsIn(lang)) {
      assert.doesNotMatch(words, /\b(left|over|by|Paused|Ready|Time|up|limit)\b/, `${phase} ${remaining}: ${words}`);
    }
  });
}

/** Every text of a table: strings as they are, functions called with sample arguments. */
function texts(value) {
  if (typeof value === 'string') return [value];
  if (typeof value === 'function') return [value('1:00', 'Neha')];
  return Object.entries(value)
    .filter(([key]) => key !== 'locale')
    .flatMap(([, v]) => texts(v));
}

test('French typography: a non-breaking space before the colon, curly apostrophes', () => {
  const all = [...wordsIn('fr').map(([, , w]) => w), ...texts(WORDS.fr)];
  assert.ok(all.length > 40, `${all.length} texts`);
  for (const text of all) {
    assert.doesNotMatch(text, /'/, `a straight apostrophe: ${text}`);
    assert.doesNotMatch(text, / :|[^\u00a0]:\s/, `a colon without its non-breaking space: ${text}`);
  }
  assert.ok(WORDS.fr.next('A', null).includes(`${NBSP}:`));
  // Spanish writes the colon straight after the word.
  assert.ok(WORDS.es.next('A', null).startsWith('Siguiente: '));
});

test('Spanish says "a la" for one o’clock, "a las" otherwise', () => {
  assert.equal(WORDS.es.endsAt('01:05'), 'termina a la 01:05');
  assert.equal(WORDS.es.endsAt('13:05'), 'termina a las 13:05');
  assert.equal(WORDS.es.agenda.ended('01:05'), 'Terminó a la 01:05');
  assert.equal(WORDS.es.agenda.ends('17:30'), 'Fin previsto hacia las 17:30');
});

test('dates in the language', () => {
  const day = Date.UTC(2021, 5, 10, 12);
  const date = (lang) =>
    new Intl.DateTimeFormat(WORDS[lang].locale, {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    }).format(day);
  // ICU versions differ in a comma; the words are what matter.
  assert.match(date('en'), /^Thursday,? 10 June 2021$/);
  assert.match(date('fr'), /^jeudi,? 10 juin 2021$/);
  assert.match(date('es'), /^jueves,? 10 de junio de 2021$/);
  for (const lang of LANGUAGES) {
    assert.equal(formatWallClock(Date.UTC(2021, 5, 10, 9, 5), 'UTC', false, WORDS[lang].locale), '09:05');
  }
});

test('the language: ?lang=, else the browser’s, else the session’s, else English', () => {
  assert.equal(chooseLanguage('fr', ['es-ES', 'en'], 'en'), 'fr');
  assert.equal(chooseLanguage('ES', [], null), 'es');
  assert.equal(chooseLanguage(null, ['fr-CH', 'en-GB'], 'es'), 'fr');
  assert.equal(chooseLanguage(null, ['de-DE', 'es-419'], 'fr'), 'es');
  assert.equal(chooseLanguage('de', ['pt-BR'], 'es'), 'es', 'an unknown ?lang= is passed over');
  assert.equal(chooseLanguage(null, ['de-DE'], 'fr'), 'fr');
  assert.equal(chooseLanguage(null, ['de-DE'], null), 'en');
  assert.equal(chooseLanguage('', [], 'xx'), 'en');
  assert.equal(pageLanguage(null, ['de-DE']), null, 'the session decides');
  assert.equal(languageOf('en_GB'), 'en');
  assert.equal(languageOf('english'), null);
  assert.equal(wordsOf('pt'), WORDS.en);
});
