import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { metricValue } from '../../../protocol/usage/prometheus-text.js';
import { RUNS } from './mutate.js';

const NAMES = ['queue_depth', 'queue_depth_bucket', 'queue', 'http:requests', '_x'];
const name = fc.oneof(fc.constantFrom(...NAMES), fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/));

/** metricValue's whole contract on one input: no throw, and a finite number or nothing. */
function check(text: string, metric: string): number | undefined {
  const value = metricValue(text, metric);
  assert.ok(value === undefined || (typeof value === 'number' && Number.isFinite(value)), `${String(value)} for ${metric}`);
  return value;
}

// Pieces of the format as often as noise, so random text reaches the label and value parsers.
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NAMES, '{', '}', '"', '\\', '\\"', '=', ',', ' ', '\t', '\n', '\r\n', '#', '# HELP ', '# TYPE ') },
  { weight: 2, arbitrary: fc.constantFrom('0', '1', '-2.5', '.5', '1e3', '+7', 'NaN', '+Inf', '-Inf', '1e308', '-1e308', '1e999', '0x1f', '1_000') },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
const randomText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 2048 }),
  fc.array(piece, { maxLength: 200 }).map((parts) => parts.join('')),
);

test('metricValue: random text never throws, and gives a finite number or undefined', () => {
  fc.assert(
    fc.property(randomText, name, (text, metric) => {
      check(text, metric);
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  );
});

/** A sample's value as an exporter writes it, with the number it means. */
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((n) => ({ n, text: String(n) })) },
  { weight: 2, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => ({ n, text: n.toExponential() })) },
  { weight: 1, arbitrary: fc.constantFrom(1e308, -1e308, 1.7976931348623157e308).map((n) => ({ n, text: String(n) })) },
);
const labelValue = fc.string({ maxLength: 12 }).map((s) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n'));
const labels = fc.option(
  fc.array(fc.tuple(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), labelValue), { maxLength: 3 }).map((pairs) => `{${pairs.map(([k, v]) => `${k}="${v}"`).join(',')}}`),
  { nil: '' },
);

interface Line {
  text: string;
  /** The metric it samples, if it is a sample line. */
  metric?: string;
  n?: number;
}

const line: fc.Arbitrary<Line> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ metric: name, labels, value, timestamp: fc.option(fc.nat(), { nil: undefined }) })
      .map(({ metric, labels, value, timestamp }) => ({ text: `${metric}${labels} ${value.text}${timestamp === undefined ? '' : ` ${timestamp}`}`, metric, n: value.n })),
  },
  { weight: 1, arbitrary: fc.record({ metric: name, kind: fc.constantFrom('HELP', 'TYPE') }).map(({ metric, kind }) => ({ text: `# ${kind} ${metric} gauge` })) },
  { weight: 1, arbitrary: fc.constantFrom({ text: '' }, { text: '# a comment' }) },
);

/** A valid page, and the metric to read: usually one it holds. */
const page = fc
  .array(line, { minLength: 1, maxLength: 12 })
  .chain((lines) =>
    fc.record({ lines: fc.constant(lines), metric: fc.oneof(fc.constantFrom(...lines.flatMap((l) => (l.metric === undefined ? [] : [l.metric])), 'queue_depth'), name) }),
  );

type Edit = { kind: 'insert'; at: number; text: string } | { kind: 'delete'; at: number; length: number } | { kind: 'replace'; at: number; char: string };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: piece }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }),
);

function applyEdit(text: string, e: Edit): string {
  const at = e.at % (text.length + 1);
  if (e.kind === 'insert') return text.slice(0, at) + e.text + text.slice(at);
  if (e.kind === 'delete') return text.slice(0, at) + text.slice(at + e.length);
  return text.slice(0, at) + e.char + text.slice(at + 1);
}

test('metricValue: a valid page gives the sum of its samples of the metric; broken, it never throws and gives a finite number or undefined', () => {
  fc.assert(
    fc.property(page, fc.array(edit, { maxLength: 4 }), ({ lines, metric }, edits) => {
      const text = lines.map((l) => l.text).join('\n');
      if (edits.length === 0) {
        const samples = lines.filter((l) => l.metric === metric).map((l) => l.n as number);
        const sum = samples.reduce((a, n) => a + n, 0);
        const got = check(text, metric);
        assert.is(got, samples.length === 0 || !Number.isFinite(sum) ? undefined : sum);
        return;
      }
      check(edits.reduce(applyEdit, text), metric);
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  );
});

test.run();
