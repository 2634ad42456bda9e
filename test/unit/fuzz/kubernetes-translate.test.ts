import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { test } from 'uvu';
import { replacedAt, valuePaths } from './value-paths.js';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { translateKubernetes } from '../../../protocol/manifests/foreign/kubernetes/index.js';

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
          apiVersion: fc.constantFrom('v1', 'apps/v1', 'batch/v1'),
          kind: fc.constantFrom('Deployment', 'StatefulSet', 'DaemonSet', 'Service', 'Job', 'CronJob', 'Pod', 'Secret', 'ConfigMap', 'List', 'constructor'),
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
