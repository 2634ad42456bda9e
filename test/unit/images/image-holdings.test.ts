import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Op } from '../../../crdt/index.js';
import { ImageHoldings } from '../../../node/images/image-holdings.js';
import { StateService } from '../../../node/state-service.js';
import { IMAGE_HOLDERS_KEY } from '../../../protocol/images/holders.js';
import { imageFields, imageKey } from '../../../protocol/images/image-record.js';
import { poll } from '../../../testnet/poll.js';
import { author, CLUSTER, write } from '../crdt/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-image-holdings-'));
const log = pino({ level: 'silent' });
const operator = author(1);
const ID = `sha256:${'ab'.repeat(32)}`;

test.after(() => rmSync(dir, { recursive: true, force: true }));

// The periodic comparison is 15 s apart: a holder that waited for it left `get images`
// and the auction without it that long after every push.
test('an image pushed into the document is listed under the node that holds it at once; a change that names no other image lists nothing', async () => {
  const state = await StateService.open(join(dir, 'state'), { cluster: CLUSTER, operators: [operator.publicKey] }, log);
  let listings = 0;
  const writes: Op[][] = [];
  const holdings = new ImageHoldings({
    store: {
      list: async () => {
        listings++;
        return [ID];
      },
    },
    state,
    writer: {
      write: async (ops) => {
        writes.push(ops);
        return true;
      },
    },
    node: 'node-a',
    log,
  });
  holdings.start();
  try {
    await poll('the first comparison', async () => (listings === 1 ? true : undefined), 10_000);
    assert.equal(writes, [], 'the engine holds nothing the document refers to yet');

    const pushed = await state.submit(write(operator, Date.now(), [{ key: imageKey('default', ID), set: imageFields({ references: ['app:1'], sizeBytes: 1 }) }]));
    assert.ok(pushed.ok);
    // Inside the 15 s interval: only the look a change starts can write it in time.
    await poll('the holding written', async () => (writes.length === 1 ? true : undefined), 10_000);
    assert.equal(writes[0], [{ key: IMAGE_HOLDERS_KEY, set: { 'node-a': [ID] } }]);
    assert.is(listings, 2);

    // Resolves to the image already referred to: the set is the same, the engine is not asked.
    const named = await state.submit(write(operator, Date.now() + 1, [{ key: 'Workload/default/app', set: { 'spec.image': 'app:1', 'spec.replicas': 0 } }]));
    assert.ok(named.ok);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.is(listings, 2, 'no listing for a change that leaves the set of images as it was');
  } finally {
    await holdings.stop();
    await state.close();
  }
});

test.run();
