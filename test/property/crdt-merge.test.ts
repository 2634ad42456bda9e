import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { answerQuery, ClusterDocument, compareAnswer, firstQuery, Replica, stampOf, type Delta, type Op } from '../../crdt/index.js';
import { author, CLUSTER, write, type Author } from '../unit/crdt/fixtures.js';

const NOW = 1_800_000_000_000;
const authors: Author[] = [author(1), author(2), author(3)];
const keys = ['Workload/default/a', 'Workload/default/b', 'Service/prod/c'];
const fields = ['spec.image', 'spec.replicas', 'metadata.labels'];

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      key: fc.constantFrom(...keys),
      set: fc.dictionary(fc.constantFrom(...fields), fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(null), fc.string({ maxLength: 3 })), { minKeys: 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ key: fc.constantFrom(...keys), delete: fc.constant(true as const) }) },
);

/** A random history: each write by one of three operators, at a time with frequent ties. */
const history = fc.array(
  fc.record({
    by: fc.nat({ max: authors.length - 1 }),
    at: fc.nat({ max: 20 }),
    counter: fc.nat({ max: 2 }),
    ops: fc.uniqueArray(op, { minLength: 1, maxLength: 3, selector: (o) => o.key }),
  }),
  { minLength: 1, maxLength: 12 },
);

const signHistory = (h: { by: number; at: number; counter: number; ops: Op[] }[]): Delta[] => {
  authors.forEach((a) => {
    a.seq = 0;
    a.last = undefined;
  });
  return h.map((w) => write(authors[w.by]!, NOW + w.at * 1000, w.ops, w.counter));
};

const snapshot = (doc: ClusterDocument): string => JSON.stringify(doc.keys().map((k) => [k, doc.get(k), doc.lastWrite(k)]));

const applyAll = (deltas: readonly Delta[]): string => {
  const doc = new ClusterDocument();
  for (const d of deltas) doc.apply(d);
  return snapshot(doc);
};

test('merge is commutative, associative and idempotent over random histories', () => {
  fc.assert(
    fc.property(history, fc.infiniteStream(fc.nat()), (h, picks) => {
      const deltas = signHistory(h);
      const reference = applyAll(deltas);
      const shuffled = [...deltas].sort(() => ((picks.next().value as number) % 3) - 1);
      assert.is(applyAll(shuffled), reference, 'any order');
      assert.is(applyAll([...deltas, ...shuffled]), reference, 'every delta twice');
      const cut = deltas.length >> 1;
      const left = new ClusterDocument();
      for (const d of [...deltas.slice(cut), ...deltas.slice(0, cut)]) left.apply(d);
      assert.is(snapshot(left), reference, 'grouped differently');
    }),
    { numRuns: 150 },
  );
});

/** What a document shows through the reads that keep values between changes: each object, and each kind's keys. */
const reads = (doc: ClusterDocument): string => JSON.stringify([snapshot(doc), doc.keys('Workload'), doc.keys('Service'), doc.keys('Workload/default')]);

test('reads between merges show what a document folded afresh from the same deltas shows', () => {
  fc.assert(
    fc.property(history, fc.infiniteStream(fc.nat()), (h, resets) => {
      const deltas = signHistory(h);
      const doc = new ClusterDocument();
      for (const [i, delta] of deltas.entries()) {
        doc.apply(delta);
        const fresh = new ClusterDocument();
        for (const d of deltas.slice(0, i + 1)) fresh.apply(d);
        assert.is(reads(doc), reads(fresh), `after delta ${i}`);
        // As a replica refolds an object after a revocation: forget it, then merge again what counts.
        const key = keys[(resets.next().value as number) % keys.length] as string;
        doc.reset(key);
        for (const d of deltas.slice(0, i + 1)) for (const o of d.body.ops) if (o.key === key) doc.applyOp(o, stampOf(d));
        assert.is(reads(doc), reads(fresh), `after delta ${i} and a refold of ${key}`);
      }
    }),
    { numRuns: 100 },
  );
});

/** Runs anti-entropy between two replicas until their digests agree, as node/ does over a stream. */
function repair(a: Replica, b: Replica): void {
  let query = firstQuery();
  for (let round = 0; round < 16; round++) {
    const comparison = compareAnswer(a.digest, answerQuery(b.digest, query));
    for (const id of comparison.missingHere) a.receive(b.get(id)!, NOW + 60_000);
    for (const id of comparison.missingThere) b.receive(a.get(id)!, NOW + 60_000);
    if (comparison.next === undefined) return;
    query = comparison.next;
  }
  throw new Error('anti-entropy did not finish in 16 rounds');
}

test('replicas that get the same deltas in any order, duplicated or lost and then repaired by anti-entropy, end identical', () => {
  fc.assert(
    fc.property(history, fc.array(fc.array(fc.nat(), { maxLength: 30 }), { minLength: 3, maxLength: 3 }), (h, deliveries) => {
      const deltas = signHistory(h);
      const genesis = { cluster: CLUSTER, operators: authors.map((a) => a.publicKey) };
      const replicas = deliveries.map((picks) => {
        const replica = new Replica(genesis);
        for (const pick of picks) replica.receive(deltas[pick % deltas.length]!, NOW + 60_000);
        return replica;
      });
      replicas[0]!.receive(deltas[0]!, NOW + 60_000);
      repair(replicas[0]!, replicas[1]!);
      repair(replicas[1]!, replicas[2]!);
      repair(replicas[2]!, replicas[0]!);
      const expected = applyAll(deltas.filter((d) => replicas.some((r) => r.has(d.id))));
      for (const replica of replicas) {
        assert.is(snapshot(replica.document), expected);
        assert.equal(replica.digest.summary(''), replicas[0]!.digest.summary(''));
      }
    }),
    { numRuns: 100 },
  );
});

test.run();
