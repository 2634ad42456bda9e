import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamQuota } from '../../../node/api/stream-quota.js';

test("one operator's streams stop at its share, others' at the node's bound; a release frees one, once", () => {
  const quota = new StreamQuota(2, 3);
  const first = quota.acquire('viewer');
  assert.ok(first !== undefined && quota.acquire('viewer') !== undefined);
  assert.is(quota.acquire('viewer'), undefined, "the viewer's share is taken");
  assert.ok(quota.acquire('admin') !== undefined, 'another operator still opens one');
  assert.is(quota.acquire('deployer'), undefined, "the node's bound is reached");
  first?.();
  first?.();
  assert.ok(quota.acquire('deployer') !== undefined, 'one freed');
  assert.is(quota.acquire('viewer'), undefined, 'a second release of the same stream frees nothing');
  assert.is(quota.refused, 3);
});

test.run();
