import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NonceLedger } from '../../../node/nonce-ledger.js';

test("a nonce runs once within its window; one key's flood fills its own share, and others are still served", () => {
  const ledger = new NonceLedger(3, 5);
  assert.is(ledger.use('viewer', 'n1', 2_000, 0), 'ok');
  assert.is(ledger.use('viewer', 'n1', 2_000, 1_000), 'replayed');
  assert.is(ledger.use('admin', 'n1', 2_000, 0), 'ok', 'the same nonce under another key is another request');
  assert.is(ledger.use('viewer', 'n2', 2_000, 0), 'ok');
  assert.is(ledger.use('viewer', 'n3', 2_000, 0), 'ok');
  assert.is(ledger.use('viewer', 'n4', 2_000, 0), 'full', "the viewer's share is full");
  assert.is(ledger.use('admin', 'n2', 2_000, 0), 'ok', 'the admin is still served');
  assert.is(ledger.use('other', 'n1', 2_000, 0), 'full', 'all shares together are bounded too');
  assert.is(ledger.size, 5);
  // Once their requests would be too old anyway, nonces make room.
  assert.is(ledger.use('viewer', 'n4', 4_000, 2_000), 'ok');
  assert.is(ledger.use('other', 'n1', 4_000, 2_000), 'ok');
  assert.is(ledger.size, 4);
  assert.is(ledger.use('viewer', 'n4', 4_000, 3_000), 'replayed');
});

test.run();
