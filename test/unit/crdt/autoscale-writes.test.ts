import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peerIdOfPublicKey } from '../../../base/peer-id.js';
import { compareStamp, operatorKey, Replica, stampOf, type Delta, type Json, type Op } from '../../../crdt/index.js';
import { AUTOSCALE_KIND, autoscaleKeyOf, type AutoscaleDecision } from '../../../protocol/node-writes.js';
import { autoscaledCount } from '../../../protocol/autoscale/replicas.js';
import { author, CLUSTER, write, type Author, withNodeWrites } from './fixtures.js';

const NOW = 1_800_000_000_000;
const operator = author(1);
const teammate = author(2);
const founder = author(5);
const founderId = peerIdOfPublicKey(founder.publicKey);
const joiner = author(6);
const joinerId = peerIdOfPublicKey(joiner.publicKey);
const WEB = 'Workload/default/web';
const AUTOSCALE = 'Autoscale/default/web';

const replica = () => new Replica({ cluster: CLUSTER, operators: [operator.publicKey], nodes: [founder.publicKey, joiner.publicKey] }, withNodeWrites);

const code = (r: Replica, delta: Delta): string => {
  const result = r.receive(delta, NOW + 10_000);
  return result.ok ? 'ok' : result.error.code;
};

const autoscale = (minReplicas: number | undefined, maxReplicas: number): Json => ({
  ...(minReplicas === undefined ? {} : { minReplicas }),
  maxReplicas,
  metrics: [{ cpu: { targetPercent: 50 } }],
  behavior: { scaleUpWindowSeconds: 0, scaleDownWindowSeconds: 300 },
});

/** The operator applies web with these bounds (none: no spec.autoscale). */
const apply = (at: number, bounds: [number | undefined, number] | undefined, mode: 'replicated' | 'global' = 'replicated'): Delta =>
  write(operator, NOW + at, [
    {
      key: WEB,
      set: {
        'spec.image': 'busybox',
        'spec.replicas': 2,
        'spec.mode': mode,
        'spec.resources': { cpu: '500m' },
        'spec.autoscale': bounds === undefined ? null : autoscale(...bounds),
      },
    },
  ]);

const decisionOf = (replicas: number, decider: string, at: number): AutoscaleDecision => ({ replicas, decider, metric: 'cpu', value: replicas * 10, target: 50, atMs: NOW + at });

/** A node's decision for web, naming itself unless told otherwise. */
const decide = (by: Author, replicas: number, at: number, decider = peerIdOfPublicKey(by.publicKey)): Delta =>
  write(by, NOW + at, [{ key: AUTOSCALE, set: { decision: { ...decisionOf(replicas, decider, at) } } }]);

const shown = (r: Replica): Json | undefined => r.document.get(AUTOSCALE)?.decision;

test('an Autoscale object belongs to its Workload; other kinds have none', () => {
  assert.is(AUTOSCALE_KIND, 'Autoscale');
  assert.is(autoscaleKeyOf(WEB), AUTOSCALE);
  assert.is(autoscaleKeyOf('Workload/prod/api-2'), 'Autoscale/prod/api-2');
  assert.is(autoscaleKeyOf('Job/default/web'), undefined);
  assert.is(autoscaleKeyOf('CronJob/default/web'), undefined);
});

test("a node's decision within minReplicas..maxReplicas counts, the bounds included", () => {
  for (const replicas of [2, 3, 5]) {
    const r = replica();
    code(r, apply(0, [2, 5]));
    const d = decide(founder, replicas, 1);
    assert.ok(r.authorizes(d), `${replicas} would count`);
    assert.is(code(r, d), 'ok');
    assert.equal(r.document.get(AUTOSCALE), { decision: decisionOf(replicas, founderId, 1) });
  }
});

test('a decision outside the bounds is stored but counts nowhere, and is refused to a client', () => {
  for (const replicas of [0, 1, 6, 10_000]) {
    const r = replica();
    code(r, apply(0, [2, 5]));
    const d = decide(founder, replicas, 1);
    assert.not.ok(r.authorizes(d), `${replicas}`);
    assert.is(code(r, d), 'ok');
    assert.is(r.document.get(AUTOSCALE), undefined, `${replicas}`);
    assert.ok(r.has(d.id));
  }
});

test('a manifest leaving minReplicas out means 1', () => {
  const r = replica();
  code(r, apply(0, [undefined, 3]));
  code(r, decide(founder, 0, 1));
  assert.is(r.document.get(AUTOSCALE), undefined);
  code(r, decide(founder, 1, 2));
  assert.equal(shown(r), decisionOf(1, founderId, 2));
});

test('for a workload without spec.autoscale, a global one, a missing one, or bounds out of order, a decision counts nowhere', () => {
  const cases: [string, Delta[]][] = [
    ['no spec.autoscale', [apply(0, undefined)]],
    ['global', [apply(0, [1, 5], 'global')]],
    ['min above max', [apply(0, [4, 3])]],
    ['no workload', []],
  ];
  for (const [name, setup] of cases) {
    const r = replica();
    for (const d of setup) assert.is(code(r, d), 'ok');
    const d = decide(founder, 3, 1);
    assert.not.ok(r.authorizes(d), name);
    assert.is(code(r, d), 'ok', name);
    assert.is(r.document.get(AUTOSCALE), undefined, name);
  }
});

test('a decision naming another decider, or not shaped as one, is refused before it is stored', () => {
  const r = replica();
  code(r, apply(0, [1, 5]));
  const bad: Op[][] = [
    [{ key: AUTOSCALE, set: { decision: { ...decisionOf(3, joinerId, 1) } } }],
    [{ key: AUTOSCALE, set: { decision: { ...decisionOf(3, founderId, 1), extra: 1 } } }],
    [{ key: AUTOSCALE, set: { decision: { ...decisionOf(3, founderId, 1), replicas: 2.5 } } }],
    [{ key: AUTOSCALE, set: { decision: { ...decisionOf(3, founderId, 1), atMs: -1 } } }],
    [{ key: AUTOSCALE, set: { decision: { ...decisionOf(3, founderId, 1), metric: 'CPU' } } }],
    [{ key: AUTOSCALE, set: { decision: null } }],
    [{ key: AUTOSCALE, set: { decision: { ...decisionOf(3, founderId, 1) }, note: 'x' } }],
    [{ key: AUTOSCALE, set: { other: { ...decisionOf(3, founderId, 1) } } }],
    [{ key: AUTOSCALE, delete: true }],
  ];
  for (const ops of bad) assert.is(code(r, write(founder, NOW + 1, ops)), 'not-allowed', JSON.stringify(ops));
  assert.is(r.size, 1);
  assert.is(r.document.get(AUTOSCALE), undefined);
});

test('the latest decision by stamp shows, whoever decided it and in whichever order they came', () => {
  const early = decide(founder, 2, 1);
  const late = decide(joiner, 4, 2);
  const inOrder = replica();
  const reversed = replica();
  const workload = apply(0, [1, 5]);
  for (const d of [workload, early, late]) code(inOrder, d);
  for (const d of [late, early, workload]) code(reversed, d);
  assert.equal(shown(inOrder), decisionOf(4, joinerId, 2));
  assert.equal(reversed.document.get(AUTOSCALE), inOrder.document.get(AUTOSCALE));
});

test('an operator narrowing the bounds stops a decision now outside them counting, and the earlier one within them shows again', () => {
  const r = replica();
  code(r, apply(0, [1, 5]));
  code(r, decide(founder, 3, 1));
  code(r, decide(founder, 5, 2));
  assert.equal(shown(r), decisionOf(5, founderId, 2));
  code(r, apply(3, [1, 4]));
  assert.equal(shown(r), decisionOf(3, founderId, 1));
  code(r, apply(4, [4, 4]));
  assert.is(r.document.get(AUTOSCALE), undefined, 'neither within 4..4');
  code(r, apply(5, [1, 10]));
  assert.equal(shown(r), decisionOf(5, founderId, 2), 'widened again: the latest counts again');
  code(r, apply(6, undefined));
  assert.is(r.document.get(AUTOSCALE), undefined, 'spec.autoscale removed');
});

test('a decision held before the operator adds spec.autoscale, or before the workload exists, counts once that arrives', () => {
  const r = replica();
  code(r, apply(0, undefined));
  code(r, decide(founder, 3, 1));
  assert.is(r.document.get(AUTOSCALE), undefined);
  code(r, apply(2, [1, 5]));
  assert.equal(shown(r), decisionOf(3, founderId, 1));

  const s = replica();
  code(s, decide(founder, 3, 1));
  assert.is(s.document.get(AUTOSCALE), undefined);
  code(s, apply(2, [1, 5]));
  assert.equal(shown(s), decisionOf(3, founderId, 1));
});

test('deleting the workload takes its decision with it', () => {
  const r = replica();
  code(r, apply(0, [1, 5]));
  code(r, decide(founder, 3, 1));
  code(r, write(operator, NOW + 2, [{ key: WEB, delete: true }]));
  assert.is(r.document.get(AUTOSCALE), undefined);
});

test('a decision survives a rebuild caused by an operator change, and is still judged by the bounds', () => {
  const r = replica();
  code(r, apply(0, [1, 5]));
  code(r, decide(founder, 3, 1));
  code(r, decide(founder, 6, 2));
  assert.is(code(r, write(operator, NOW + 3, [{ key: operatorKey(teammate.publicKey), set: { publicKey: teammate.publicKey } }])), 'ok');
  assert.equal(shown(r), decisionOf(3, founderId, 1));
});

test("the scheduler's count is the counted decision, or the operator's replicas, within the bounds", () => {
  const r = replica();
  assert.is(autoscaledCount(r.document, WEB, 2), undefined, 'no workload');
  code(r, apply(0, undefined));
  assert.is(autoscaledCount(r.document, WEB, 2), undefined, 'not autoscaled');
  code(r, apply(1, [3, 5]));
  assert.equal(autoscaledCount(r.document, WEB, 2), { replicas: 3, bounds: { min: 3, max: 5 }, decision: undefined });
  assert.equal(autoscaledCount(r.document, WEB, 9), { replicas: 5, bounds: { min: 3, max: 5 }, decision: undefined });
  code(r, decide(founder, 4, 2));
  assert.equal(autoscaledCount(r.document, WEB, 9), { replicas: 4, bounds: { min: 3, max: 5 }, decision: decisionOf(4, founderId, 2) });
});

type Step =
  | { t: 'apply'; at: number; bounds: [number | undefined, number] | undefined; global: boolean }
  | { t: 'decide'; at: number; node: 0 | 1; replicas: number }
  | { t: 'grant'; at: number };

const at = fc.nat({ max: 20 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('apply' as const),
      at,
      bounds: fc.option(fc.tuple(fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), fc.integer({ min: 1, max: 6 })), { nil: undefined, freq: 4 }),
      global: fc.nat({ max: 9 }).map((n) => n < 3),
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('decide' as const), at, node: fc.constantFrom(0 as const, 1 as const), replicas: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('grant' as const), at }) },
);

function sign(steps: readonly Step[]): Delta[] {
  for (const a of [operator, founder, joiner]) {
    a.seq = 0;
    a.last = undefined;
  }
  return steps.map((s) => {
    if (s.t === 'apply') return apply(s.at, s.bounds, s.global ? 'global' : 'replicated');
    if (s.t === 'grant') return write(operator, NOW + s.at, [{ key: operatorKey(teammate.publicKey), set: { publicKey: teammate.publicKey } }]);
    return decide(s.node === 0 ? founder : joiner, s.replicas, s.at);
  });
}

/** What the Autoscale object should show: the latest decision within the bounds of the latest apply. */
function expected(steps: readonly Step[], deltas: readonly Delta[]): Json | undefined {
  const latest = (t: Step['t']): number[] => steps.flatMap((s, i) => (s.t === t ? [i] : [])).sort((a, b) => compareStamp(stampOf(deltas[b]!), stampOf(deltas[a]!)));
  const last = latest('apply')[0];
  const workload = last === undefined ? undefined : (steps[last] as Extract<Step, { t: 'apply' }>);
  if (workload === undefined || workload.bounds === undefined || workload.global) return undefined;
  const [min = 1, max] = workload.bounds;
  const counted = latest('decide').find((i) => {
    const { replicas } = steps[i] as Extract<Step, { t: 'decide' }>;
    return min <= max && replicas >= min && replicas <= max;
  });
  return counted === undefined ? undefined : { decision: (deltas[counted]!.body.ops[0] as { set: Record<string, Json> }).set.decision! };
}

const view = (r: Replica): string => JSON.stringify([r.document.get(AUTOSCALE) ?? null, r.document.get(WEB) ?? null]);

test('any order of the same operator applies and node decisions folds the same Autoscale object on every replica, as the bounds say', () => {
  fc.assert(
    fc.property(
      fc.array(step, { minLength: 1, maxLength: 14 }).chain((steps) =>
        fc.tuple(
          fc.constant(steps),
          fc.shuffledSubarray(
            steps.map((_, i) => i),
            { minLength: steps.length, maxLength: steps.length },
          ),
          fc.shuffledSubarray(
            steps.map((_, i) => i),
            { minLength: steps.length, maxLength: steps.length },
          ),
        ),
      ),
      ([steps, first, second]) => {
        const deltas = sign(steps);
        const inOrder = replica();
        for (const d of deltas) assert.is(code(inOrder, d), 'ok');
        const views = [first, second].map((order) => {
          const r = replica();
          for (const i of order) assert.is(code(r, deltas[i]!), 'ok');
          return view(r);
        });
        const loaded = replica();
        loaded.load([...deltas].reverse());
        const want = expected(steps, deltas);
        assert.equal(inOrder.document.get(AUTOSCALE), want === undefined ? undefined : want);
        for (const v of [...views, view(loaded)]) assert.is(v, view(inOrder));
      },
    ),
    { numRuns: 60 },
  );
});

test.run();
