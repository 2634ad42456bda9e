import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UploadLedger, uploadLimits, type UploadLimits } from '../../../protocol/content/upload-ledger.js';

const limits: UploadLimits = {
  ...uploadLimits,
  maxOpenPerOperator: 2,
  maxOpen: 3,
  maxUploadBytes: 1000,
  maxTotalBytes: 1500,
  maxOperatorBytes: 1200,
  maxChunkBytes: 400,
  idleMs: 60_000,
  maxAgeMs: 600_000,
};
const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

const code = (result: { ok: boolean; error?: { code: string } }): string => (result.ok ? 'ok' : (result.error?.code ?? '?'));

/** A chunk allowed and written, as the node does it. */
function put(ledger: UploadLedger, id: string, operator: string, offset: number, length: number, nowMs = 0): string {
  const allowed = ledger.chunk(id, operator, offset, length, nowMs);
  if (allowed.ok) ledger.written(id, length, nowMs);
  return code(allowed);
}

test('chunks follow one another: each starts where the upload stands, and the size grows by each', () => {
  const ledger = new UploadLedger(limits);
  assert.is(code(ledger.begin('u1', ALICE, 0)), 'ok');
  assert.is(put(ledger, 'u1', ALICE, 0, 400), 'ok');
  assert.is(put(ledger, 'u1', ALICE, 400, 100), 'ok');
  assert.is(ledger.get('u1')?.sizeBytes, 500);
});

test('a chunk at the wrong offset is refused with where the upload stands, so the client resumes there', () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('u1', ALICE, 0);
  put(ledger, 'u1', ALICE, 0, 300);
  for (const offset of [0, 299, 301, 1_000]) {
    const refused = ledger.chunk('u1', ALICE, offset, 10, 0);
    assert.equal(refused.ok ? undefined : [refused.error.code, 'sizeBytes' in refused.error ? refused.error.sizeBytes : undefined], ['wrong-offset', 300], `offset ${offset}`);
  }
  assert.is(ledger.get('u1')?.sizeBytes, 300, 'nothing moved');
});

test("another operator's chunk or finish is refused as not theirs; an unknown upload is not found", () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('u1', ALICE, 0);
  assert.is(code(ledger.chunk('u1', BOB, 0, 10, 0)), 'not-yours');
  assert.is(code(ledger.finish('u1', BOB)), 'not-yours');
  assert.is(code(ledger.chunk('nope', ALICE, 0, 10, 0)), 'not-found');
  assert.is(code(ledger.finish('nope', ALICE)), 'not-found');
});

test('open uploads are bounded per operator and in all', () => {
  const ledger = new UploadLedger(limits);
  assert.is(code(ledger.begin('a1', ALICE, 0)), 'ok');
  assert.is(code(ledger.begin('a2', ALICE, 0)), 'ok');
  assert.is(code(ledger.begin('a3', ALICE, 0)), 'too-many', 'two per operator');
  assert.is(code(ledger.begin('b1', BOB, 0)), 'ok');
  assert.is(code(ledger.begin('c1', 'c'.repeat(64), 0)), 'too-many', 'three in all');
  ledger.end('a1');
  assert.is(code(ledger.begin('a3', ALICE, 0)), 'ok', 'an ended upload frees its place');
});

test('a chunk is 1 to maxChunkBytes bytes; an upload grows to maxUploadBytes; all uploads together to maxTotalBytes', () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('u1', ALICE, 0);
  assert.is(code(ledger.chunk('u1', ALICE, 0, 0, 0)), 'bad-chunk');
  assert.is(code(ledger.chunk('u1', ALICE, 0, 401, 0)), 'bad-chunk');
  assert.is(code(ledger.chunk('u1', ALICE, 0, 1.5, 0)), 'bad-chunk');
  put(ledger, 'u1', ALICE, 0, 400);
  put(ledger, 'u1', ALICE, 400, 400);
  assert.is(code(ledger.chunk('u1', ALICE, 800, 201, 0)), 'too-large');
  assert.is(put(ledger, 'u1', ALICE, 800, 200), 'ok', 'exactly the bound');
  ledger.begin('u2', BOB, 0);
  put(ledger, 'u2', BOB, 0, 400);
  assert.is(code(ledger.chunk('u2', BOB, 400, 101, 0)), 'too-many', '1,000 + 501 is past the node total');
});

test('while a chunk is written nothing else touches the upload; a failed write leaves it as it was', () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('u1', ALICE, 0);
  assert.ok(ledger.chunk('u1', ALICE, 0, 100, 0).ok);
  assert.is(code(ledger.chunk('u1', ALICE, 0, 100, 0)), 'busy', 'the same chunk sent twice at once');
  assert.is(code(ledger.finish('u1', ALICE)), 'busy');
  ledger.unwritten('u1', 0);
  assert.is(ledger.get('u1')?.sizeBytes, 0);
  assert.is(put(ledger, 'u1', ALICE, 0, 100), 'ok');
});

test('a finish takes no chunk meanwhile; reopened (a failure worth a retry) it takes them again', () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('u1', ALICE, 0);
  put(ledger, 'u1', ALICE, 0, 100);
  assert.equal(ledger.finish('u1', ALICE), { ok: true, value: { id: 'u1', operator: ALICE, sizeBytes: 100, state: 'finishing', lastActiveMs: 0, startedAtMs: 0 } });
  assert.is(code(ledger.chunk('u1', ALICE, 100, 10, 0)), 'busy');
  assert.is(code(ledger.finish('u1', ALICE)), 'busy');
  ledger.reopen('u1');
  assert.is(put(ledger, 'u1', ALICE, 100, 10), 'ok');
  ledger.end('u1');
  assert.is(ledger.get('u1'), undefined);
});

test('an upload idle for idleMs is abandoned, one that had a chunk lately is not, nor one being written or finished', () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('idle', ALICE, 0);
  ledger.begin('active', ALICE, 0);
  ledger.begin('writing', BOB, 0);
  put(ledger, 'active', ALICE, 0, 10, 30_000);
  assert.ok(ledger.chunk('writing', BOB, 0, 10, 0).ok);
  assert.equal(ledger.expire(59_999), []);
  assert.equal(
    ledger.expire(60_000).map((u) => u.id),
    ['idle'],
  );
  assert.equal(
    ledger.expire(90_000).map((u) => u.id),
    ['active'],
  );
  assert.equal(ledger.expire(10_000_000), [], 'a write under way is not idle, however long it takes');
  assert.is(ledger.open, 1);
});

test("one operator's uploads hold at most its share of the node's room, whoever else uploads", () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('a1', ALICE, 0);
  ledger.begin('a2', ALICE, 0);
  put(ledger, 'a1', ALICE, 0, 400);
  put(ledger, 'a1', ALICE, 400, 400);
  put(ledger, 'a2', ALICE, 0, 400);
  assert.is(code(ledger.chunk('a2', ALICE, 400, 1, 0)), 'too-many', '1,200 bytes is her share');
  ledger.begin('b1', BOB, 0);
  assert.is(put(ledger, 'b1', BOB, 0, 300), 'ok', 'bob still uploads');
});

test('a refused finish does not keep an upload from idling out, nor do chunks trickling in keep it past maxAgeMs', () => {
  const ledger = new UploadLedger(limits);
  ledger.begin('refused', ALICE, 0);
  put(ledger, 'refused', ALICE, 0, 10, 0);
  for (const at of [30_000, 50_000]) {
    assert.ok(ledger.finish('refused', ALICE).ok);
    ledger.reopen('refused');
    assert.equal(ledger.expire(at), []);
  }
  assert.equal(
    ledger.expire(60_000).map((u) => u.id),
    ['refused'],
    'idle since its last chunk',
  );
  ledger.begin('trickle', BOB, 0);
  for (let at = 50_000, offset = 0; at < 600_000; at += 50_000, offset++) {
    put(ledger, 'trickle', BOB, offset, 1, at);
    assert.equal(ledger.expire(at), []);
  }
  assert.equal(
    ledger.expire(600_000).map((u) => u.id),
    ['trickle'],
  );
});

test('the defaults: 4 uploads an operator, 16 in all, 2 GiB each, chunks whose base64 fits an API body with room for the JSON', () => {
  assert.equal(
    [uploadLimits.maxOpenPerOperator, uploadLimits.maxOpen, uploadLimits.maxUploadBytes, uploadLimits.maxOperatorBytes, uploadLimits.idleMs, uploadLimits.maxAgeMs],
    [4, 16, 2 * 2 ** 30, 2 * 2 ** 30, 600_000, 86_400_000],
  );
  const body = JSON.stringify({ offset: Number.MAX_SAFE_INTEGER, data: 'A'.repeat(Math.ceil(uploadLimits.maxChunkBytes / 3) * 4) });
  assert.ok(body.length <= 256 * 1024, `${body.length} bytes`);
  assert.ok(uploadLimits.maxChunkBytes <= 192 * 1024);
});

test.run();
