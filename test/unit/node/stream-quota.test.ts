import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamQuota } from '../../../node/stream-quota.js';

test("one key's streams stop at its share, others' at the node's bound; a release frees one, once", () => {
  const quota = new StreamQuota(2, 3);
  const first = quota.acquire('viewer');
  assert.ok(first.ok && quota.acquire('viewer').ok);
  assert.equal(quota.acquire('viewer'), { ok: false, error: 'key' }, "the viewer's share is taken");
  assert.ok(quota.acquire('admin').ok, 'another key still opens one');
  assert.equal(quota.acquire('deployer'), { ok: false, error: 'node' }, "the node's bound is reached");
  if (first.ok) {
    first.value();
    first.value();
  }
  assert.ok(quota.acquire('deployer').ok, 'one freed');
  assert.equal(quota.acquire('viewer'), { ok: false, error: 'node' }, 'a second release of the same stream frees nothing: the node is full again');
  assert.is(quota.refused, 3);
});

test.run();
