// share.js — the control page's "Speaker links" panel: the speaker view's address at each of the
// machine's addresses with its QR code, and a link per speaker of the run-of-show (`?name=`, the
// speaker page then points out their segment). From GET api/share (public: no token is ever put in
// these links); QR codes are SVG drawn by the server (api/share/qr.svg). Fetched again whenever
// control.js fetches the run-of-show (the event `podium:show`), so edited speakers get links.

const $ = (id) => document.getElementById(id);

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

/** A link's QR code, drawn by the server. */
function qrImage(link, label) {
  return element('img', {
    className: 'qr',
    src: link.qr,
    alt: `QR code of ${link.url}`,
    title: label,
    width: 160,
    height: 160,
  });
}

function render(share) {
  const section = $('share-section');
  const hostsList = $('share-hosts');
  const speakersList = $('share-speakers');
  const choose = $('share-host');
  const reachable = share.hosts.filter((h) => !h.local);
  $('share-local-only').hidden = reachable.length > 0;
  hostsList.replaceChildren(
    ...share.links
      .filter((l) => l.name === null)
      .map((link) => {
        const local = share.hosts.find((h) => h.host === link.host)?.local;
        return element(
          'li',
          { className: 'share-host' },
          qrImage(link, local ? 'this machine only' : 'scan to open the speaker view'),
          element('a', { href: link.url, target: '_blank', rel: 'noopener' }, link.url),
          local ? element('span', { className: 'hint' }, ' this machine only') : '',
        );
      }),
  );
  // Per-speaker links at one address (the first reachable one unless chosen).
  const offered = reachable.length > 0 ? reachable : share.hosts;
  const chosen = offered.some((h) => h.host === choose.value) ? choose.value : offered[0]?.host;
  choose.replaceChildren(...offered.map((h) => element('option', { value: h.host }, h.host)));
  choose.value = chosen ?? '';
  choose.closest('label').hidden = offered.length < 2;
  speakersList.replaceChildren(
    ...share.speakers.map((speaker) => {
      const link = share.links.find((l) => l.host === chosen && l.name === speaker.name);
      if (!link) return '';
      const segments = speaker.segments.map((n) => `#${n}`).join(', ');
      const qr = element('button', { type: 'button', className: 'qr-toggle' }, 'QR');
      const row = element(
        'li',
        { className: 'share-speaker' },
        element('span', { className: 'who' }, speaker.name),
        element('span', { className: 'hint' }, ` ${segments} `),
        element('a', { href: link.url, target: '_blank', rel: 'noopener' }, link.url),
        qr,
      );
      qr.addEventListener('click', () => {
        const shown = row.querySelector('img.qr');
        if (shown) shown.remove();
        else row.append(qrImage(link, `${speaker.name}'s link`));
        qr.setAttribute('aria-pressed', String(!shown));
      });
      return row;
    }),
  );
  $('share-speakers-block').hidden = share.speakers.length === 0;
  section.hidden = false;
}

let last = null;
let loads = 0; // number of the latest request: an older answer is dropped

async function load() {
  const request = ++loads;
  try {
    const response = await fetch('api/share', { cache: 'no-store' });
    if (!response.ok) return;
    const share = await response.json();
    if (request !== loads) return;
    last = share;
    render(last);
  } catch {
    // The panel stays hidden; the countdown does not depend on it.
  }
}

$('share-host')?.addEventListener('change', () => last && render(last));
// control.js says when it fetched the run-of-show again (an edit): a speaker may be new.
document.addEventListener('podium:show', load);
if ($('share-section')) load();
