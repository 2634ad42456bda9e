import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fastMessageId } from '../../../node/gossip-message-id.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const message = { from: bytes('author'), seqno: bytes('00000001'), data: bytes('{"usage":[]}'), signature: bytes('sig'), key: bytes('key'), topic: '/shoal/c/usage/1' };

test('copies of one message share a fast id; a copy that differs in any field, or in where a field ends, does not', () => {
  const id = fastMessageId(message);
  assert.is(fastMessageId({ ...message, data: bytes('{"usage":[]}') }), id, 'an equal copy');
  for (const field of ['from', 'seqno', 'data', 'signature', 'key'] as const) {
    assert.is.not(fastMessageId({ ...message, [field]: bytes(`${new TextDecoder().decode(message[field])}x`) }), id, `${field} changed`);
    assert.is.not(fastMessageId({ ...message, [field]: undefined }), id, `${field} left out`);
  }
  assert.is.not(fastMessageId({ ...message, topic: '/shoal/c/deltas/1' }), id, 'another topic');
  assert.is.not(fastMessageId({ ...message, from: bytes('autho'), seqno: bytes('r00000001') }), id, 'a byte moved from one field to the next');
  assert.is.not(fastMessageId({ ...message, key: new Uint8Array() }), fastMessageId({ ...message, key: undefined }), 'an empty field is not an absent one');
});

test.run();
