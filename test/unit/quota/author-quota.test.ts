import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AuthorQuota } from '../../../protocol/quota/author-quota.js';

const config = { burstDeltas: 3, deltasPerSecond: 1, burstBytes: 1_000, bytesPerSecond: 100, maxAuthors: 2 };

test('a key writes its burst, is refused past it with the time to wait, and writes again once refilled', () => {
  const quota = new AuthorQuota(config);
  for (let i = 0; i < 3; i++) assert.ok(quota.take('a', 10, 0).ok);
  assert.equal(quota.take('a', 10, 0), { ok: false, retryAfterMs: 1000 });
  assert.ok(quota.take('b', 10, 0).ok, 'another key is not held back');
  assert.ok(quota.take('a', 10, 1000).ok);
});

test('bytes are a bucket of their own: a few huge deltas are cut as a flood of small ones is', () => {
  const quota = new AuthorQuota(config);
  assert.ok(quota.take('a', 900, 0).ok);
  assert.equal(quota.take('a', 900, 0), { ok: false, retryAfterMs: 8000 });
  assert.ok(quota.take('a', 900, 8000).ok);
});

test('past the author bound the idlest author is forgotten, which only refills its buckets', () => {
  const quota = new AuthorQuota(config);
  for (let i = 0; i < 3; i++) quota.take('busy', 10, 0);
  quota.take('idle', 10, 0);
  quota.take('third', 10, 0);
  assert.not.ok(quota.take('busy', 10, 0).ok, 'the drained author was kept');
});

test.run();
