// i18n.js — every word the speaker, overlay and agenda views show, in English, French and
// Spanish (the working languages of the ILO and UN events podium serves), in one table; and which
// language a page speaks: `?lang=`, else the browser's (navigator.languages), else the session's
// `language`, else English. The phase words' rules (which words, when) are display.js's
// `phaseWords`, given a language's `phase` table here; English is the shared case table's.
// Invariant: pure data and functions, no DOM; every language has every key of English.

/** The languages the pages speak, by their BCP 47 primary subtag. */
export const LANGUAGES = ['en', 'fr', 'es'];

/** French typography puts a non-breaking space before a colon. */
const NBSP = '\u00a0';

export const WORDS = {
  en: {
    /** Dates and times (Intl): 24-hour, day before month. */
    locale: 'en-GB',
    phase: {
      ready: 'Ready',
      paused: 'Paused',
      pausedOver: (over) => `Paused — over by ${over}`,
      pausedZero: "Paused — time's up",
      pausedPastLimit: (over) => `Paused — past the limit · over by ${over}`,
      minutesLeft: (n) => (n === 1 ? '1 minute left' : `${n} minutes left`),
      underAMinute: 'Less than a minute left',
      timesUp: "Time's up",
      overBy: (over) => `Over by ${over}`,
      pastLimit: (over) => `Past the limit · over by ${over}`,
    },
    finished: 'Finished',
    next: (title, speaker) => (speaker ? `Next: ${title} — ${speaker}` : `Next: ${title}`),
    endsAt: (time) => `ends at ${time}`,
    rehearsal: 'Rehearsal',
    localTime: 'your local time',
    sound: { on: 'Sound on', off: 'Sound off', tap: 'Tap for sound', none: 'No sound in this browser' },
    popOut: {
      pip: 'Pop out',
      popup: 'Pop out (window, not kept on top)',
      pipTitle: 'A small countdown that stays on top of your slides',
      popupTitle: 'This browser cannot keep a window on top: the countdown opens in a small window',
      blocked: 'The browser blocked the window: allow pop-ups for this page',
    },
    status: {
      connecting: 'connecting…',
      connected: 'connected',
      reconnecting: 'reconnecting…',
      stopped: 'server stopped — reconnecting…',
    },
    offset: {
      onTime: 'on time',
      behind: (t) => `${t} behind`,
      ahead: (t) => `${t} ahead`,
    },
    agenda: {
      title: 'Agenda',
      page: (title) => `${title} — agenda`,
      zone: 'local time',
      done: 'done',
      ended: (t) => `Ended ${t}`,
      ends: (t) => `Ends ~${t}`,
      kinds: { intro: 'Intro', talk: 'Talk', qa: 'Q&A', break: 'Break', closing: 'Closing', other: '' },
    },
  },
  fr: {
    locale: 'fr-FR',
    phase: {
      ready: 'Prêt',
      paused: 'En pause',
      pausedOver: (over) => `En pause — dépassement de ${over}`,
      pausedZero: 'En pause — temps écoulé',
      pausedPastLimit: (over) => `En pause — limite dépassée · dépassement de ${over}`,
      minutesLeft: (n) => (n === 1 ? 'Il reste 1 minute' : `Il reste ${n} minutes`),
      underAMinute: 'Il reste moins d’une minute',
      timesUp: 'Temps écoulé',
      overBy: (over) => `Dépassement de ${over}`,
      pastLimit: (over) => `Limite dépassée · dépassement de ${over}`,
    },
    finished: 'Terminé',
    next: (title, speaker) =>
      speaker ? `Suivant${NBSP}: ${title} — ${speaker}` : `Suivant${NBSP}: ${title}`,
    endsAt: (time) => `fin prévue à ${time}`,
    rehearsal: 'Répétition',
    localTime: 'votre heure locale',
    sound: {
      on: 'Son activé',
      off: 'Son coupé',
      tap: 'Touchez pour le son',
      none: 'Pas de son dans ce navigateur',
    },
    popOut: {
      pip: 'Détacher',
      popup: 'Détacher (fenêtre, pas au premier plan)',
      pipTitle: 'Un petit compte à rebours qui reste au-dessus de vos diapositives',
      popupTitle: `Ce navigateur ne peut pas garder une fenêtre au premier plan${NBSP}: le compte à rebours s’ouvre dans une petite fenêtre`,
      blocked: `Le navigateur a bloqué la fenêtre${NBSP}: autorisez les fenêtres surgissantes pour cette page`,
    },
    status: {
      connecting: 'connexion…',
      connected: 'connecté',
      reconnecting: 'reconnexion…',
      stopped: 'serveur arrêté — reconnexion…',
    },
    offset: {
      onTime: 'à l’heure',
      behind: (t) => `${t} de retard`,
      ahead: (t) => `${t} d’avance`,
    },
    agenda: {
      title: 'Programme',
      page: (title) => `${title} — programme`,
      zone: 'heure locale',
      done: 'terminé',
      ended: (t) => `Terminé à ${t}`,
      ends: (t) => `Fin prévue vers ${t}`,
      kinds: {
        intro: 'Ouverture',
        talk: 'Intervention',
        qa: 'Questions-réponses',
        break: 'Pause',
        closing: 'Clôture',
        other: '',
      },
    },
  },
  es: {
    locale: 'es-ES',
    phase: {
      ready: 'Listo',
      paused: 'En pausa',
      pausedOver: (over) => `En pausa — tiempo excedido: ${over}`,
      pausedZero: 'En pausa — tiempo agotado',
      pausedPastLimit: (over) => `En pausa — límite superado · tiempo excedido: ${over}`,
      minutesLeft: (n) => (n === 1 ? 'Queda 1 minuto' : `Quedan ${n} minutos`),
      underAMinute: 'Queda menos de un minuto',
      timesUp: 'Tiempo agotado',
      overBy: (over) => `Tiempo excedido: ${over}`,
      pastLimit: (over) => `Límite superado · tiempo excedido: ${over}`,
    },
    finished: 'Terminado',
    next: (title, speaker) => (speaker ? `Siguiente: ${title} — ${speaker}` : `Siguiente: ${title}`),
    // "a la una", "a las dos": la 01:40, las 13:40.
    endsAt: (time) => `termina ${time.startsWith('01:') ? 'a la' : 'a las'} ${time}`,
    rehearsal: 'Ensayo',
    localTime: 'su hora local',
    sound: {
      on: 'Sonido activado',
      off: 'Sonido desactivado',
      tap: 'Toque para el sonido',
      none: 'Sin sonido en este navegador',
    },
    popOut: {
      pip: 'Ventana flotante',
      popup: 'Ventana flotante (no siempre visible)',
      pipTitle: 'Una pequeña cuenta atrás que queda sobre sus diapositivas',
      popupTitle: 'Este navegador no puede mantener una ventana siempre visible: la cuenta atrás se abre en una ventana pequeña',
      blocked: 'El navegador bloqueó la ventana: permita las ventanas emergentes para esta página',
    },
    status: {
      connecting: 'conectando…',
      connected: 'conectado',
      reconnecting: 'reconectando…',
      stopped: 'servidor detenido — reconectando…',
    },
    offset: {
      onTime: 'a tiempo',
      behind: (t) => `${t} de retraso`,
      ahead: (t) => `${t} de adelanto`,
    },
    agenda: {
      title: 'Programa',
      page: (title) => `${title} — programa`,
      zone: 'hora local',
      done: 'terminado',
      ended: (t) => `Terminó ${t.startsWith('01:') ? 'a la' : 'a las'} ${t}`,
      ends: (t) => `Fin previsto hacia ${t.startsWith('01:') ? 'la' : 'las'} ${t}`,
      kinds: {
        intro: 'Apertura',
        talk: 'Intervención',
        qa: 'Preguntas y respuestas',
        break: 'Pausa',
        closing: 'Clausura',
        other: '',
      },
    },
  },
};

/** The language of a tag ("fr-CH", "ES", "en_GB"), or null when the pages do not speak it. */
export function languageOf(tag) {
  const primary = String(tag ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(primary) ? primary : null;
}

/**
 * The language the page itself decides: `?lang=` if the pages speak it, else the first of the
 * browser's languages they speak; null when neither does (then the session's `language` says).
 */
export function pageLanguage(query, browserLanguages = []) {
  return languageOf(query) ?? [...browserLanguages].map(languageOf).find(Boolean) ?? null;
}

/** The language to speak: the page's choice, else the session's `language`, else English. */
export function chooseLanguage(query, browserLanguages = [], sessionLanguage = null) {
  return pageLanguage(query, browserLanguages) ?? languageOf(sessionLanguage) ?? 'en';
}

/** The words of `lang` (English for a language the pages do not speak). */
export function wordsOf(lang) {
  return WORDS[languageOf(lang) ?? 'en'];
}
