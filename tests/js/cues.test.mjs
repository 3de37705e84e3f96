// Unit tests for web/cues.js's pure part: when a message that arrives flashes or chimes (issue 14).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLASH_MS, messageCue } from '../../web/cues.js';

const NOW = 1_732_435_200_000;
const said = (at, flash = true, chime = false, message = 'Please wrap up') => ({
  message,
  message_at_ms: at,
  message_flash: flash,
  message_chime: chime,
});

test('a new message flashes or chimes as it says, once', () => {
  assert.deepEqual(messageCue(null, said(NOW), NOW), { flash: true, chime: false });
  assert.deepEqual(messageCue(null, said(NOW, false, true), NOW), { flash: false, chime: true });
  assert.equal(messageCue(null, said(NOW, false, false), NOW), null, 'neither: nothing to do');
  // The same message in the next state (a heartbeat, another command) does not flash again.
  assert.equal(messageCue(NOW, said(NOW), NOW + 500), null);
  // The same words sent again are a new message.
  assert.deepEqual(messageCue(NOW, said(NOW + 9_000), NOW + 9_000), { flash: true, chime: false });
});

test('no message, or a cleared one, asks for nothing', () => {
  assert.equal(messageCue(NOW, { message: '', message_at_ms: null }, NOW), null);
  assert.equal(messageCue(undefined, { message: '' }, NOW), null, 'a server without the field');
});

test('a page opened later does not flash an old message; one opened as it arrives does', () => {
  assert.equal(messageCue(undefined, said(NOW - FLASH_MS - 1), NOW), null);
  assert.deepEqual(messageCue(undefined, said(NOW - 1_000), NOW), { flash: true, chime: false });
});
