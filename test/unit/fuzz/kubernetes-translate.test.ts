import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { test } from 'uvu';
import { replacedAt, valuePaths } from './value-paths.js';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { translateKubernetes } from '../../../protocol/manifests/foreign/kubernetes/index.js';
import { sourcePathOf } from '../../../protocol/manifests/foreign/translation.js';
import { workloadSchema } from '../../../protocol/manifests/workload.js';

const GUESTBOOK = parseAllDocuments(readFileSync(new URL('../../manifests/guestbook.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as unknown);

// Null prototypes, boxed values, sparse arrays: a key named `valueOf` once reached a rule table through its prototype.
const anything = fc.anything({
  withNullPrototype: true,
  withBoxedValues: true,
  withSparseArray: true,
  withObjectString: true,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  maxDepth: 6,
});

const translate = (values: unknown[]) => translateKubernetes(values.map((value, i) => ({ value, path: [i] })));

test('translating Kubernetes objects never throws, whatever they hold', () => {
  fc.assert(
    fc.property(fc.array(anything, { maxLength: 4 }), (values) => {
      translate(values);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          apiVersion: fc.constantFrom('v1', 'apps/v1', 'batch/v1', 'autoscaling/v2', 'autoscaling/v1'),
          kind: fc.constantFrom(
            'Deployment',
            'StatefulSet',
            'DaemonSet',
            'Service',
            'Job',
            'CronJob',
            'Pod',
            'Secret',
            'ConfigMap',
            'HorizontalPodAutoscaler',
            'List',
            'constructor',
          ),
          metadata: anything,
          spec: anything,
          data: anything,
          items: fc.array(anything),
        }),
      ),
      (values) => {
        translate(values);
      },
    ),
    { numRuns: 2_000 },
  );
});

/** Mostly a value of the shape Kubernetes expects, sometimes anything at all. */
const orAnything = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ arbitrary, weight: 12 }, { arbitrary: anything, weight: 1 });
/** Mostly one of the values that mean something, sometimes one that does not. */
const pick = (good: readonly unknown[], odd: readonly unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: fc.constantFrom(...good), weight: 6 }, { arbitrary: fc.constantFrom(...odd), weight: 1 });
/** Mostly the shape Kubernetes expects, with its `usual` fields; sometimes any of the fields of any of the shapes. */
const shaped = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, usual: (keyof T)[], mixed: Record<string, fc.Arbitrary<unknown>> = {}) =>
  orAnything(fc.oneof({ arbitrary: fc.record(model, { requiredKeys: usual }), weight: 8 }, { arbitrary: fc.record({ ...model, ...mixed }, { requiredKeys: [] }), weight: 1 }));
const integerOrAnything = (min: number, max: number) => orAnything(fc.integer({ min, max }));
const metricTarget = shaped(
  { type: pick(['Utilization'], ['AverageValue', 'Value', 'constructor']), averageUtilization: integerOrAnything(-5, 20_000) },
  ['type', 'averageUtilization'],
  {
    averageValue: fc.constantFrom('500m', '1Gi'),
  },
);
const resourceOf = (inContainer: boolean) =>
  shaped({ name: pick(['cpu', 'memory'], ['nvidia.com/gpu', 'valueOf']), target: metricTarget }, ['name', 'target'], {
    ...(inContainer ? {} : { container: fc.constant('php-redis') }),
  }).chain((r) =>
    inContainer && r !== null && typeof r === 'object' && !Array.isArray(r) ? pick(['php-redis'], ['sidecar', 7]).map((container) => ({ ...r, container })) : fc.constant(r),
  );
const metric = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('Resource'), resource: resourceOf(false) }), weight: 6 },
  { arbitrary: fc.record({ type: fc.constant('ContainerResource'), containerResource: resourceOf(true) }), weight: 3 },
  {
    arbitrary: fc.record(
      { type: pick(['Pods', 'Object', 'External'], ['constructor', 3]), resource: resourceOf(false), containerResource: resourceOf(true), pods: anything },
      { requiredKeys: [] },
    ),
    weight: 1,
  },
);
const scalingRules = shaped(
  {
    stabilizationWindowSeconds: integerOrAnything(-5, 5_000),
    selectPolicy: pick(['Max', 'Min'], ['Disabled', 'toString']),
    policies: fc.array(fc.record({ type: fc.constantFrom('Pods', 'Percent'), value: fc.integer(), periodSeconds: fc.integer() }), { maxLength: 2 }),
    tolerance: fc.constantFrom(0.1, '0.05', '100m'),
  },
  [],
);
const scaleTargetRef = shaped(
  {
    apiVersion: pick(['apps/v1'], ['v1', 'argoproj.io/v1alpha1']),
    kind: pick(['Deployment'], ['StatefulSet', 'DaemonSet', 'ReplicaSet', 'hasOwnProperty']),
    name: pick(['frontend'], ['redis-leader', 'node-agent', 'missing', '__proto__']),
  },
  ['kind', 'name'],
);
const v2Fields = { metrics: orAnything(fc.array(metric, { maxLength: 9 })), behavior: shaped({ scaleUp: scalingRules, scaleDown: scalingRules }, []) };
const v1Fields = { targetCPUUtilizationPercentage: integerOrAnything(0, 200) };
const autoscalerOf = (apiVersion: string, fields: Record<string, fc.Arbitrary<unknown>>, other: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record({
    apiVersion: fc.constant(apiVersion),
    kind: fc.constant('HorizontalPodAutoscaler'),
    metadata: fc.record({ name: fc.constantFrom('frontend', 'other'), namespace: pick(['default'], ['shop']) }, { requiredKeys: ['name'] }),
    spec: shaped({ scaleTargetRef, minReplicas: integerOrAnything(-1, 12), maxReplicas: integerOrAnything(-1, 12), ...fields }, ['scaleTargetRef', 'maxReplicas'], other),
  });
const autoscaler = fc.oneof({ arbitrary: autoscalerOf('autoscaling/v2', v2Fields, v1Fields), weight: 3 }, autoscalerOf('autoscaling/v1', v1Fields, v2Fields));

test("an HPA of any shape beside the guestbook's workloads translates, every problem at a path into the file, Shoal's schema's at the HPA", () => {
  const workloads = GUESTBOOK.filter((d) => (d as { kind: string }).kind !== 'HorizontalPodAutoscaler');
  fc.assert(
    fc.property(fc.array(autoscaler, { minLength: 1, maxLength: 2 }), (autoscalers) => {
      const { objects, diagnostics } = translate([...workloads, ...autoscalers]);
      for (const d of diagnostics) {
        assert.type(d.path[0], 'number', `a diagnostic names its document: ${JSON.stringify(d)}`);
        // The translation catches what a translator throws: that is a bug, not a diagnostic.
        assert.not.match(d.message, /^cannot translate/, JSON.stringify(d));
      }
      for (const object of objects) {
        if ((object.manifest.spec as Record<string, unknown> | undefined)?.autoscale === undefined) continue;
        const parsed = workloadSchema.safeParse(object.manifest);
        for (const issue of parsed.success ? [] : parsed.error.issues.filter((i) => i.path[1] === 'autoscale'))
          assert.ok((sourcePathOf(object, issue.path)[0] as number) >= workloads.length, `${issue.path.join('.')} is reported at its HPA`);
      }
    }),
    { numRuns: 2_000 },
  );
});

test("field and kind names that an object's prototype holds are unknown, not rules (found by the fuzzer)", () => {
  const { diagnostics } = translate([
    { apiVersion: 'v1', kind: 'Service', metadata: { valueOf: 'x', name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, constructor: 1 }] } },
    { apiVersion: 'v1', kind: 'constructor', metadata: { name: 'x' } },
  ]);
  assert.equal(
    diagnostics.map((d) => d.path.join('.')),
    ['0.metadata.valueOf', '0.spec.ports.0.constructor', '1.kind'],
  );
});

test('a guestbook with any one value replaced translates without throwing, and every problem has a path into the file', () => {
  const paths = GUESTBOOK.flatMap((doc, i) => valuePaths(doc).map((p) => [i, ...p]));
  fc.assert(
    fc.property(fc.constantFrom(...paths), anything, (path, replacement) => {
      const [doc, ...rest] = path as [number, ...(string | number)[]];
      const mutated = GUESTBOOK.map((d, i) => (i === doc ? replacedAt(d, rest, replacement) : d));
      const { diagnostics } = translate(mutated);
      for (const d of diagnostics) assert.type(d.path[0], 'number', `a diagnostic names its document: ${JSON.stringify(d)}`);
    }),
    { numRuns: 1_000 },
  );
});

test.run();
