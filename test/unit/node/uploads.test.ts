import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactFinisher } from '../../../node/artifacts/artifact-finisher.js';
import { ArtifactStore } from '../../../node/artifacts/artifact-store.js';
import { registerUploadRoutes, UploadFinishRefusal, type UploadRoutes } from '../../../node/api/uploads.js';
import { uploadLimits } from '../../../protocol/content/upload-ledger.js';
import { artifactTar } from '../../../cli/commands/artifact.js';

/**
 * The upload routes without the network or signatures: the caller is whoever the
 * `x-operator` header names (node/api/auth.ts sets it from the signature in a node).
 */
const root = mkdtempSync(join(tmpdir(), 'shoal-uploads-'));
const uploadsDir = join(root, 'uploads');
const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);
let nowMs = 0;
let app: FastifyInstance;
let routes: UploadRoutes;
let store: ArtifactStore;
let announced = 0;

test.before(async () => {
  store = await ArtifactStore.open(join(root, 'artifacts'));
  // Left by an earlier run of the node: deleted when the routes start.
  mkdirSync(uploadsDir, { recursive: true });
  writeFileSync(join(uploadsDir, 'f'.repeat(32)), 'stale');
  app = Fastify({ bodyLimit: 256 * 1024 });
  app.addHook('preValidation', async (request) => {
    const operator = request.headers['x-operator'];
    if (typeof operator === 'string') request.caller = { publicKey: operator, grant: { role: 'deployer', exec: false } };
  });
  routes = registerUploadRoutes(app, {
    dir: uploadsDir,
    node: 'node-self',
    finishers: { artifact: artifactFinisher(store, { announce: () => announced++ }) },
    limits: { ...uploadLimits, maxChunkBytes: 1024, maxOpenPerOperator: 2 },
    nowMs: () => nowMs,
  });
  await app.ready();
});

test.after(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
});

const post = async (url: string, body: unknown, operator = ALICE) => {
  const reply = await app.inject({ method: 'POST', url, headers: { 'x-operator': operator, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  return { status: reply.statusCode, body: reply.json() as Record<string, unknown> };
};
const begin = async (operator = ALICE): Promise<string> => {
  const reply = await post('/v1/uploads', {}, operator);
  assert.is(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.upload as string;
};
const chunk = (upload: string, offset: number, bytes: Buffer, operator = ALICE) => post(`/v1/uploads/${upload}/chunks`, { offset, data: bytes.toString('base64') }, operator);

/** Sends `bytes` in chunks of the limit, as the CLI does. */
async function send(upload: string, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += 1024) {
    const reply = await chunk(upload, offset, bytes.subarray(offset, offset + 1024));
    assert.is(reply.status, 200, JSON.stringify(reply.body));
  }
}

async function artifact(): Promise<{ bytes: Buffer; id: string }> {
  const dir = mkdtempSync(join(root, 'tree-'));
  writeFileSync(join(dir, 'run.sh'), `#!/bin/sh\necho ${'x'.repeat(3000)}\n`, { mode: 0o755 });
  const out = join(root, `artifact-${Date.now()}-${Math.random()}.tar`);
  const { id } = await artifactTar(dir, out);
  return { bytes: readFileSync(out), id };
}

test('what an earlier run of the node left in the uploads directory is deleted before the first upload begins', async () => {
  const upload = await begin();
  assert.equal(readdirSync(uploadsDir), [upload]);
});

test('an artifact arrives in chunks, is checked, kept and announced; the upload is gone after', async () => {
  const { bytes, id } = await artifact();
  const upload = await begin();
  assert.match(upload, /^[0-9a-f]{32}$/);
  await send(upload, bytes);
  const before = announced;
  const finished = await post(`/v1/uploads/${upload}/finish`, { kind: 'artifact', id });
  assert.equal(finished, { status: 200, body: { id, sizeBytes: bytes.length, kind: 'artifact', node: 'node-self' } });
  assert.ok(await store.has(id));
  assert.is(announced, before + 1);
  assert.not.ok(existsSync(join(uploadsDir, upload)));
  assert.is((await chunk(upload, bytes.length, Buffer.from('x'))).status, 404);
});

test('a chunk at the wrong offset gets 409 with where the upload stands, and the client resumes from there', async () => {
  const upload = await begin();
  assert.is((await chunk(upload, 0, Buffer.alloc(100, 1))).status, 200);
  const again = await chunk(upload, 0, Buffer.alloc(100, 1));
  assert.equal([again.status, again.body.error, again.body.sizeBytes], [409, 'wrong-offset', 100]);
  const ahead = await chunk(upload, 500, Buffer.alloc(1, 1));
  assert.equal([ahead.status, ahead.body.sizeBytes], [409, 100]);
  assert.equal(await chunk(upload, 100, Buffer.alloc(10, 2)), { status: 200, body: { sizeBytes: 110 } });
  assert.is(readFileSync(join(uploadsDir, upload)).length, 110);
});

test("another operator's chunk or finish gets 403, and does not move the upload", async () => {
  const grace = '9'.repeat(64);
  const upload = await begin(grace);
  const theirs = await chunk(upload, 0, Buffer.from('x'), BOB);
  assert.equal([theirs.status, theirs.body.error], [403, 'forbidden']);
  const finish = await post(`/v1/uploads/${upload}/finish`, { kind: 'artifact', id: `sha256:${'0'.repeat(64)}` }, BOB);
  assert.is(finish.status, 403);
  assert.is((await chunk(upload, 0, Buffer.from('x'), grace)).status, 200, 'still at 0 for its owner');
});

test('a wrong id is refused with 400 invalid, nothing is kept, and the upload is gone', async () => {
  const { bytes } = await artifact();
  const upload = await begin(BOB);
  for (let offset = 0; offset < bytes.length; offset += 1024) await chunk(upload, offset, bytes.subarray(offset, offset + 1024), BOB);
  const wrong = `sha256:${createHash('sha256').update('something else').digest('hex')}`;
  const refused = await post(`/v1/uploads/${upload}/finish`, { kind: 'artifact', id: wrong }, BOB);
  assert.equal([refused.status, refused.body.error], [400, 'invalid']);
  assert.match(String(refused.body.detail), /its sha256 is sha256:[0-9a-f]{64}, not sha256:/);
  assert.not.ok(await store.has(wrong));
  assert.not.ok(existsSync(join(uploadsDir, upload)));
  assert.is((await post(`/v1/uploads/${upload}/finish`, { kind: 'artifact', id: wrong }, BOB)).status, 404);
});

test('a malformed finish is refused and the upload stays for a corrected one; an unknown kind is named', async () => {
  const { bytes, id } = await artifact();
  const upload = await begin(BOB);
  for (let offset = 0; offset < bytes.length; offset += 1024) await chunk(upload, offset, bytes.subarray(offset, offset + 1024), BOB);
  const badId = await post(`/v1/uploads/${upload}/finish`, { kind: 'artifact', id: 'sha256:short' }, BOB);
  assert.equal([badId.status, badId.body.error], [400, 'bad-request']);
  assert.match(String(badId.body.detail), /^id: an artifact id/);
  const kind = await post(`/v1/uploads/${upload}/finish`, { kind: 'image' }, BOB);
  assert.equal([kind.status, kind.body.detail], [400, 'kind: this node takes uploads of artifact, not image']);
  assert.is((await post(`/v1/uploads/${upload}/finish`, { kind: 'artifact', id }, BOB)).status, 200);
});

test('malformed chunks are refused and counted: not base64, too large, a bad offset, an unknown field, a bad upload id', async () => {
  const upload = await begin(BOB);
  const before = routes.counters.refused['bad-request'] ?? 0;
  const bad: unknown[] = [
    { offset: 0, data: 'not base64!' },
    { offset: 0, data: 'abc' },
    { offset: -1, data: 'AAAA' },
    { offset: 0.5, data: 'AAAA' },
    { offset: 0, data: Buffer.alloc(1025).toString('base64') },
    { offset: 0, data: 'AAAA', extra: 1 },
    { offset: 0, data: '' },
  ];
  for (const body of bad) assert.is((await post(`/v1/uploads/${upload}/chunks`, body, BOB)).status, 400, JSON.stringify(body).slice(0, 80));
  assert.is(routes.counters.refused['bad-request'], before + bad.length);
  assert.is((await post('/v1/uploads/../../etc/chunks', { offset: 0, data: 'AAAA' })).status, 404);
  assert.is((await post(`/v1/uploads/${'0'.repeat(32)}/chunks`, { offset: 0, data: 'AAAA' })).status, 404);
  await post(`/v1/uploads/${upload}/finish`, { kind: 'artifact', id: `sha256:${'0'.repeat(64)}` }, BOB);
});

test('an operator has at most its share of open uploads, 429 past it', async () => {
  const carol = 'c'.repeat(64);
  await begin(carol);
  await begin(carol);
  const third = await post('/v1/uploads', {}, carol);
  assert.equal([third.status, third.body.error], [429, 'too-many-uploads']);
});

test('an upload with no chunk for ten minutes is abandoned and its file deleted', async () => {
  const dave = 'd'.repeat(64);
  nowMs = 1_000_000;
  // The earlier tests' uploads, idle since 0.
  assert.ok((await routes.expire()) > 0);
  const upload = await begin(dave);
  await chunk(upload, 0, Buffer.from('x'), dave);
  assert.ok(existsSync(join(uploadsDir, upload)));
  nowMs += 10 * 60_000 - 1;
  assert.is(await routes.expire(), 0);
  nowMs += 1;
  assert.is(await routes.expire(), 1);
  assert.not.ok(existsSync(join(uploadsDir, upload)));
  assert.is((await chunk(upload, 1, Buffer.from('x'), dave)).status, 404);
});

test('a finisher that refuses the request keeps the upload; one added later is used', async () => {
  const erin = 'e'.repeat(64);
  let calls = 0;
  routes.addFinisher('echo', async ({ sizeBytes, body }) => {
    if (++calls === 1) throw new UploadFinishRefusal(409, 'bad-request', `not yet (${String(body.kind)})`);
    return { id: 'echo-1', sizeBytes };
  });
  const upload = await begin(erin);
  await chunk(upload, 0, Buffer.from('hello'), erin);
  const first = await post(`/v1/uploads/${upload}/finish`, { kind: 'echo' }, erin);
  assert.equal([first.status, first.body.detail], [409, 'not yet (echo)']);
  assert.equal(await post(`/v1/uploads/${upload}/finish`, { kind: 'echo' }, erin), { status: 200, body: { id: 'echo-1', sizeBytes: 5, kind: 'echo', node: 'node-self' } });
});

test.run();
