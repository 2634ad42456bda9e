import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeUsageSummary, encodeUsageSummary, MAX_CUSTOM_METRICS, USAGE_VERSION, type UsageSummary } from '../../../protocol/usage/usage-codec.js';

const utf8 = new TextEncoder();
const bytes = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));
const base = { workload: 'Workload/default/web', slot: 0, epoch: 2, cpuMillis: 250, memoryBytes: 1024 };

const codeOf = (input: Uint8Array): string | undefined => {
  const decoded = decodeUsageSummary(input);
  return decoded.ok ? undefined : decoded.error.code;
};

test('this version is 2, and a summary is written with it', () => {
  assert.is(USAGE_VERSION, 2);
  assert.is(MAX_CUSTOM_METRICS, 8);
  const wire = JSON.parse(new TextDecoder().decode(encodeUsageSummary({ node: 'n', atMs: 1, replicas: [] }))) as { v: number };
  assert.is(wire.v, 2);
});

test('a version 1 summary, from a node not yet upgraded, is still read', () => {
  assert.equal(decodeUsageSummary(bytes({ v: 1, node: 'node-old', atMs: 5, replicas: [base] })), { ok: true, value: { node: 'node-old', atMs: 5, replicas: [base] } });
});

test('a version 2 summary carries each replica custom metrics, and survives encoding', () => {
  const summary: UsageSummary = {
    node: 'node-new',
    atMs: 7,
    replicas: [
      { ...base, custom: { queue_depth: 12.5, 'http:inflight': -3, _x: 0 } },
      { ...base, slot: 1 },
    ],
  };
  assert.equal(decodeUsageSummary(bytes({ v: 2, ...summary })), { ok: true, value: summary });
  assert.equal(decodeUsageSummary(encodeUsageSummary(summary)), { ok: true, value: summary });
  assert.equal(decodeUsageSummary(bytes({ v: 2, node: 'n', atMs: 0, replicas: [{ ...base, custom: {} }] })), {
    ok: true,
    value: { node: 'n', atMs: 0, replicas: [{ ...base, custom: {} }] },
  });
});

test('the encoder leaves custom out of a replica that has none', () => {
  const wire = new TextDecoder().decode(encodeUsageSummary({ node: 'n', atMs: 1, replicas: [base] }));
  assert.not.ok(wire.includes('custom'), wire);
});

test('eight custom metrics are taken; a ninth is refused as invalid', () => {
  const metrics = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, i]));
  assert.ok(decodeUsageSummary(bytes({ v: 2, node: 'n', atMs: 0, replicas: [{ ...base, custom: metrics(8) }] })).ok);
  assert.is(codeOf(bytes({ v: 2, node: 'n', atMs: 0, replicas: [{ ...base, custom: metrics(9) }] })), 'invalid');
});

const withCustom = (json: string) => utf8.encode(`{"v":2,"node":"n","atMs":0,"replicas":[{"workload":"W/d/w","slot":0,"epoch":0,"cpuMillis":0,"memoryBytes":0,"custom":${json}}]}`);

test('a custom metric name starting with __, or not a metric name, is refused as invalid', () => {
  assert.is(codeOf(withCustom('{"__name__":1}')), 'invalid');
  assert.is(codeOf(withCustom('{"__x":1}')), 'invalid');
  for (const name of ['', '1abc', 'a-b', 'a b', 'a'.repeat(129)]) assert.is(codeOf(withCustom(JSON.stringify({ [name]: 1 }))), 'invalid', JSON.stringify(name));
  assert.ok(decodeUsageSummary(withCustom(JSON.stringify({ ['a'.repeat(128)]: 1, 'b:c_D9': 2 }))).ok);
});

test('a custom metric named __proto__ reaches no prototype', () => {
  const decoded = decodeUsageSummary(withCustom('{"__proto__":{"polluted":1}}'));
  if (decoded.ok) assert.is(Object.getPrototypeOf(decoded.value.replicas[0]?.custom), Object.prototype);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('a custom metric named __proto__ is refused as invalid, as every name starting with __ is', () => {
  assert.is(codeOf(withCustom('{"__proto__":1}')), 'invalid');
  assert.is(codeOf(withCustom('{"queue_depth":1,"__proto__":2}')), 'invalid');
});

test('a custom value that is not a number, or past 1e15 either way, is refused as invalid', () => {
  for (const value of ['1', null, true, [1], { n: 1 }, 1e15 + 2, -1e15 - 2]) {
    assert.is(codeOf(bytes({ v: 2, node: 'n', atMs: 0, replicas: [{ ...base, custom: { queue_depth: value } }] })), 'invalid', JSON.stringify(value));
  }
  assert.ok(decodeUsageSummary(bytes({ v: 2, node: 'n', atMs: 0, replicas: [{ ...base, custom: { queue_depth: -1e15 } }] })).ok);
  assert.is(codeOf(bytes({ v: 2, node: 'n', atMs: 0, replicas: [{ ...base, custom: [1, 2] }] })), 'invalid');
});

test('a version past this one is refused as version; a version 0 too', () => {
  assert.is(codeOf(bytes({ v: 3, node: 'n', atMs: 0, replicas: [] })), 'version');
  assert.is(codeOf(bytes({ v: 0, node: 'n', atMs: 0, replicas: [] })), 'version');
});

test.run();
