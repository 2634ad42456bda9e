import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decidersOf } from '../../../protocol/autoscale/decider.js';

const members = ['12D3KooWAlpha', '12D3KooWBravo', '12D3KooWCharlie', '12D3KooWDelta', '12D3KooWEcho'];

test('every member, each once, whatever order they are given in', () => {
  const order = decidersOf('Workload/default/web', members);
  assert.equal([...order].sort(), [...members].sort());
  assert.equal(decidersOf('Workload/default/web', [...members].reverse()), order);
  assert.equal(decidersOf('Workload/default/web', [members[2]!, members[0]!, members[4]!, members[1]!, members[3]!]), order);
});

test('a member named twice is counted once', () => {
  const order = decidersOf('Workload/default/web', members);
  assert.equal(decidersOf('Workload/default/web', [...members, ...members, members[0]!]), order);
  assert.equal(decidersOf('Workload/default/web', ['x', 'x', 'x']), ['x']);
  assert.equal(decidersOf('Workload/default/web', []), []);
});

test('workloads spread over the members: one member does not decide for all of them', () => {
  const first = new Set(Array.from({ length: 40 }, (_, i) => decidersOf(`Workload/default/w${i}`, members)[0]));
  assert.ok(first.size >= 3, `40 workloads decided by ${first.size} members`);
});

const member = fc.stringMatching(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{4,8}$/);

test('any member set: the order does not depend on how it is given; without the first, the second is first, and only its workloads move', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(member, { minLength: 2, maxLength: 12 }),
      fc.uniqueArray(fc.stringMatching(/^Workload\/[a-z]{1,4}\/[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 12 }),
      fc.infiniteStream(fc.nat()),
      (live, workloads, picks) => {
        const shuffled = [...live]
          .map((m) => ({ m, k: picks.next().value as number }))
          .sort((a, b) => a.k - b.k)
          .map(({ m }) => m);
        const before = new Map(workloads.map((w) => [w, decidersOf(w, live)]));
        for (const w of workloads) {
          assert.equal(decidersOf(w, shuffled), before.get(w));
          assert.equal(decidersOf(w, [...shuffled, ...live]), before.get(w), 'duplicates change nothing');
        }
        const gone = before.get(workloads[0]!)![0]!;
        const rest = live.filter((m) => m !== gone);
        for (const w of workloads) {
          const was = before.get(w)!;
          const now = decidersOf(w, rest);
          assert.equal(
            now,
            was.filter((m) => m !== gone),
            'the order of those left is kept',
          );
          if (was[0] === gone) assert.is(now[0], was[1]);
          else assert.is(now[0], was[0]);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test.run();
