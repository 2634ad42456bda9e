import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeAnswers, encodeAnswers, MAX_ANSWERS_BYTES } from '../../../protocol/scheduler/codec.js';

const auction = 'a'.repeat(32);
const bid = { auction, node: '12D3KooWabc', score: 0.5, tiebreak: 'b'.repeat(32) };
const decline = { auction, node: '12D3KooWabc', reason: 'insufficient-cpu' as const, detail: 'needs 500m, 100m free' };

test('a batch of bids and declines survives encoding', () => {
  assert.equal(decodeAnswers(encodeAnswers([bid, decline])), { ok: true, value: [bid, decline] });
});

test('oversized, malformed and ill-formed batches are refused with a code', () => {
  const code = (bytes: Uint8Array) => {
    const r = decodeAnswers(bytes);
    return r.ok ? 'ok' : r.error.code;
  };
  assert.is(code(new Uint8Array(MAX_ANSWERS_BYTES + 1)), 'oversized');
  assert.is(code(new TextEncoder().encode('{not json')), 'malformed');
  assert.is(code(Uint8Array.of(0xff, 0xfe)), 'malformed');
  const bad = [
    { v: 2, answers: [bid] },
    { v: 1, answers: [{ ...bid, score: 1.5 }] },
    { v: 1, answers: [{ ...bid, score: Number.NaN }] },
    { v: 1, answers: [{ ...bid, auction: 'short' }] },
    { v: 1, answers: [{ ...decline, reason: 'because' }] },
    { v: 1, answers: [{ ...bid, extra: 1 }] },
  ];
  for (const batch of bad) assert.is(code(new TextEncoder().encode(JSON.stringify(batch))), 'invalid', JSON.stringify(batch));
});

test.run();
