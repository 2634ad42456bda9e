import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_FRAME_BYTES } from '../../../base/limits.js';
import { decodeUsageSummary, encodeUsageSummary, fitUsageSummary, MAX_USAGE_REPLICAS, type ReplicaUsage, type UsageSummary } from '../../../protocol/usage/usage-codec.js';

const utf8 = new TextEncoder();
const bytes = (value: unknown): Uint8Array => utf8.encode(JSON.stringify(value));

const replica = (slot: number, workload = 'Workload/default/web'): ReplicaUsage => ({ workload, slot, epoch: 2, cpuMillis: 250, memoryBytes: 128 * 2 ** 20 });
const summary: UsageSummary = { node: '12D3KooWQmNode', atMs: 1_700_000_000_000, replicas: [replica(0), replica(1)] };

const codeOf = (input: Uint8Array): string | undefined => {
  const decoded = decodeUsageSummary(input);
  return decoded.ok ? undefined : decoded.error.code;
};

test('a summary survives encoding and decoding, with its version on the wire', () => {
  const encoded = encodeUsageSummary(summary);
  assert.is((JSON.parse(new TextDecoder().decode(encoded)) as { v: number }).v, 2);
  assert.equal(decodeUsageSummary(encoded), { ok: true, value: summary });
  assert.equal(decodeUsageSummary(encodeUsageSummary({ ...summary, replicas: [] })), { ok: true, value: { ...summary, replicas: [] } });
});

test('the encoder writes only the fields a receiver reads', () => {
  const extra = { ...summary, replicas: [{ ...replica(0), id: 'container-id', specVersion: 'x' }] };
  assert.ok(decodeUsageSummary(encodeUsageSummary(extra)).ok);
});

test('another version is refused as version; no version, or a field too many, as invalid; version 1 is still read', () => {
  assert.is(codeOf(bytes({ v: 3, node: 'n', atMs: 0, replicas: [], more: true })), 'version');
  assert.equal(decodeUsageSummary(bytes({ v: 1, node: 'n', atMs: 0, replicas: [replica(0)] })), { ok: true, value: { node: 'n', atMs: 0, replicas: [replica(0)] } });
  assert.is(codeOf(bytes({ node: 'n', atMs: 0, replicas: [] })), 'invalid');
  assert.is(codeOf(bytes({ v: '1', node: 'n', atMs: 0, replicas: [] })), 'invalid');
  assert.is(codeOf(bytes({ v: 1, node: 'n', atMs: 0, replicas: [], extra: 1 })), 'invalid');
  assert.is(codeOf(bytes({ v: 1, node: 'n', atMs: 0, replicas: [{ ...replica(0), extra: 1 }] })), 'invalid');
});

test('negative, fractional, unsafe or missing numbers are refused', () => {
  const withReplica = (r: Record<string, unknown>): Uint8Array => bytes({ v: 1, node: 'n', atMs: 0, replicas: [{ ...replica(0), ...r }] });
  for (const bad of [{ cpuMillis: -1 }, { memoryBytes: 1.5 }, { slot: 2 ** 53 }, { epoch: -0.5 }, { cpuMillis: null }, { memoryBytes: '5' }]) {
    assert.is(codeOf(withReplica(bad)), 'invalid', JSON.stringify(bad));
  }
  assert.is(codeOf(utf8.encode('{"v":1,"node":"n","atMs":1e999,"replicas":[]}')), 'malformed', 'a number past a double');
  assert.is(codeOf(bytes({ v: 1, node: 'n', atMs: -5, replicas: [] })), 'invalid');
});

test('strings are bounded: a node id past 128 characters, a workload past 512, or either empty', () => {
  assert.is(codeOf(bytes({ v: 1, node: 'n'.repeat(129), atMs: 0, replicas: [] })), 'invalid');
  assert.is(codeOf(bytes({ v: 1, node: '', atMs: 0, replicas: [] })), 'invalid');
  assert.is(codeOf(bytes({ v: 1, node: 'n', atMs: 0, replicas: [replica(0, 'w'.repeat(513))] })), 'invalid');
  assert.is(codeOf(bytes({ v: 1, node: 'n', atMs: 0, replicas: [replica(0, '')] })), 'invalid');
  assert.ok(decodeUsageSummary(bytes({ v: 1, node: 'n'.repeat(128), atMs: 0, replicas: [replica(0, 'w'.repeat(512))] })).ok);
});

test('more than the most replicas a summary may hold is refused; that many is taken', () => {
  const many = (n: number): UsageSummary => ({
    ...summary,
    replicas: Array.from({ length: n }, (_, i) => ({ workload: 'W/d/w', slot: i, epoch: 0, cpuMillis: 0, memoryBytes: 0 })),
  });
  assert.ok(decodeUsageSummary(encodeUsageSummary(many(MAX_USAGE_REPLICAS))).ok);
  assert.is(codeOf(encodeUsageSummary(many(MAX_USAGE_REPLICAS + 1))), 'invalid');
});

test('bytes past a frame, nesting too deep, or text that is not JSON are refused by code', () => {
  assert.is(codeOf(new Uint8Array(MAX_FRAME_BYTES + 1).fill(0x20)), 'oversized');
  assert.is(codeOf(utf8.encode(`${'['.repeat(40)}${']'.repeat(40)}`)), 'too-deep');
  assert.is(codeOf(utf8.encode('{"v":1,')), 'malformed');
  assert.is(codeOf(new Uint8Array([0xff, 0xfe])), 'malformed');
  assert.is(codeOf(bytes(null)), 'invalid');
  assert.is(codeOf(bytes([1, 2])), 'invalid');
});

test('a summary that fits a frame only as written (short numbers that grow once encoded again) is refused as oversized', () => {
  // 1e15 is written in 4 characters and encoded again in 16: a summary taken must fit both ways.
  const entry = `{"workload":"W/d/${'w'.repeat(40)}","slot":1e15,"epoch":1e15,"cpuMillis":1e12,"memoryBytes":1e15}`;
  const text = `{"v":1,"node":"n","atMs":0,"replicas":[${Array.from({ length: MAX_USAGE_REPLICAS }, () => entry).join(',')}]}`;
  assert.ok(text.length <= MAX_FRAME_BYTES, `${text.length} bytes as written`);
  assert.is(codeOf(utf8.encode(text)), 'oversized');
});

test('fitting keeps the first replicas up to the most a summary holds, and within a frame', () => {
  const many: UsageSummary = { ...summary, replicas: Array.from({ length: MAX_USAGE_REPLICAS + 10 }, (_, i) => replica(i)) };
  const fitted = fitUsageSummary(many);
  assert.is(fitted.replicas.length, MAX_USAGE_REPLICAS);
  assert.equal(fitted.replicas[0], many.replicas[0]);
  assert.ok(decodeUsageSummary(encodeUsageSummary(fitted)).ok);

  const long: UsageSummary = { ...summary, replicas: Array.from({ length: MAX_USAGE_REPLICAS }, (_, i) => replica(i, `Workload/default/${'x'.repeat(480)}`)) };
  const cut = fitUsageSummary(long);
  assert.ok(cut.replicas.length < MAX_USAGE_REPLICAS && cut.replicas.length > 400, `kept ${cut.replicas.length}`);
  const encoded = encodeUsageSummary(cut);
  assert.ok(encoded.length <= MAX_FRAME_BYTES);
  assert.ok(decodeUsageSummary(encoded).ok);
  const oneMore = encodeUsageSummary({ ...cut, replicas: long.replicas.slice(0, cut.replicas.length + 1) });
  assert.ok(oneMore.length > MAX_FRAME_BYTES, 'as many as fit');
  assert.is(fitUsageSummary(summary), summary, 'one that fits is left as it is');
});

test.run();
