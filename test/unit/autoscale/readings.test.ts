import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readingsOf, type SlotPlacement } from '../../../protocol/autoscale/readings.js';

const reading = (node: string, slot: number, epoch: number, cpuMillis: number) => ({ node, slot, epoch, cpuMillis, memoryBytes: 0 });

test("a slot's reading counts only from the node it is placed on, at the epoch it was placed at, and below the count", () => {
  const placed = new Map<number, SlotPlacement>([
    [0, { node: 'a', epoch: 2 }],
    [1, { node: 'b', epoch: 1 }],
    [2, { node: 'c', epoch: 1 }],
  ]);
  const readings = readingsOf(
    [
      reading('a', 0, 1, 900), // the replica this slot moved from, reporting a moment more
      reading('a', 0, 2, 100),
      reading('x', 1, 2 ** 53, 5_000), // another node, at an epoch no decision made
      reading('b', 1, 1, 200),
      reading('c', 2, 1, 300), // slot 2 is above the count of 2
      reading('a', 7, 1, 300), // a slot nobody placed
    ],
    2,
    placed,
  );
  assert.equal(
    readings.map((r) => [r.slot, r.cpuMillis]),
    [
      [0, 100],
      [1, 200],
    ],
  );
});

test.run();
