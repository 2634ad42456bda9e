import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { pack } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArtifactCollector } from '../../../node/artifacts/artifact-collector.js';
import { artifactFinisher } from '../../../node/artifacts/artifact-finisher.js';
import { ArtifactStore, ArtifactStoreFullError, storedBytes } from '../../../node/artifacts/artifact-store.js';
import { UploadFinishRefusal } from '../../../node/api/uploads.js';
import { EventLog } from '../../../node/event-log.js';
import type { Caller } from '../../../node/api/auth.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-artifact-collector-'));
const log = pino({ level: 'silent' });
const MIN = 60_000;
let n = 0;

test.after(() => rmSync(root, { recursive: true, force: true }));

/** A tar holding one file of `bytes` bytes, written to a file of its own; with its id and size. */
async function tar(bytes: number): Promise<{ path: string; id: string; sizeBytes: number }> {
  const archive = pack();
  archive.entry({ name: 'blob', mode: 0o644 }, Buffer.alloc(bytes, n));
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(Buffer.from(chunk as Uint8Array));
  const all = Buffer.concat(chunks);
  const path = join(root, `archive-${n++}.tar`);
  writeFileSync(path, all);
  return { path, id: `sha256:${createHash('sha256').update(all).digest('hex')}`, sizeBytes: all.length };
}

/** A store whose quota holds `artifacts` tars of `tarBytes` each; its collector, the names the document holds, and its events. */
async function quotaStore(quotaBytes: number) {
  const named = new Set<string>();
  const events = new EventLog();
  let announced = 0;
  let collector: ArtifactCollector | undefined;
  const store = await ArtifactStore.open(join(root, `store-${n++}`), (bytes) => (collector as ArtifactCollector).makeRoom(bytes));
  collector = new ArtifactCollector({
    store,
    retention: { quotaBytes, graceMs: 60 * MIN, minAgeMs: 2 * MIN },
    named: () => named,
    onRemoved: () => announced++,
    events,
    node: 'node-a',
    log,
  });
  return { store, collector, named, events, announced: () => announced };
}

/** Says the artifact was last used `minutes` ago: the store reads last use from its tar's time. */
const unusedFor = (store: ArtifactStore, id: string, minutes: number): void => {
  const at = new Date(Date.now() - minutes * MIN);
  utimesSync(join(store.dir, `${id.slice(7)}.tar`), at, at);
};

test('a sweep removes what no workload names once unused past the grace, and keeps what one names; counted, said, withdrawn', async () => {
  const { store, collector, named, events, announced } = await quotaStore(10 * 2 ** 20);
  const [stale, namedStale, recent] = [await tar(1000), await tar(1000), await tar(1000)];
  for (const a of [stale, namedStale, recent]) await store.accept(a.id, a.path);
  unusedFor(store, stale.id, 61);
  unusedFor(store, namedStale.id, 600);
  unusedFor(store, recent.id, 30);
  named.add(namedStale.id);
  const removed = await collector.sweep();
  assert.equal(
    removed.map((a) => a.id),
    [stale.id],
  );
  assert.equal((await store.list()).sort(), [namedStale.id, recent.id].sort());
  assert.not.ok(
    readdirSync(store.dir).some((name) => name.startsWith(stale.id.slice(7))),
    'its tar and files are gone',
  );
  assert.equal(collector.counters, { removed: 1, removedBytes: storedBytes(stale.sizeBytes), refused: 0 });
  assert.equal(
    events.list(stale.id).map((e) => e.kind),
    ['artifact-removed'],
  );
  assert.is(announced(), 1, 'the node is told, to withdraw its announcement');
});

test('an artifact that does not fit makes the least recently used unnamed ones go, never a named one', async () => {
  const [a, b, c] = [await tar(4000), await tar(4000), await tar(4000)];
  // Room for two: each takes its tar and its files.
  const { store, collector, named } = await quotaStore(2 * storedBytes(a.sizeBytes));
  await store.accept(a.id, a.path);
  await store.accept(b.id, b.path);
  unusedFor(store, a.id, 10);
  unusedFor(store, b.id, 20);
  named.add(b.id);
  await store.accept(c.id, c.path);
  assert.equal((await store.list()).sort(), [b.id, c.id].sort());
  assert.is(collector.counters.removed, 1);
});

test('an artifact with no room, once all that may go has gone, is refused naming the limit, and nothing of it is kept', async () => {
  const [a, b] = [await tar(4000), await tar(4000)];
  const { store, collector, named } = await quotaStore(storedBytes(a.sizeBytes));
  await store.accept(a.id, a.path);
  named.add(a.id);
  const before = readdirSync(store.dir).sort();
  const refused = await store.accept(b.id, b.path).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(refused, ArtifactStoreFullError);
  assert.match((refused as Error).message, `over its limit of`);
  assert.match((refused as Error).message, `--artifact-store-bytes ${storedBytes(a.sizeBytes)}`);
  assert.equal(readdirSync(store.dir).sort(), before);
  assert.is(collector.counters.refused, 1);
  // One just pushed is not collected to make room either: the apply that names it is minutes away.
  named.clear();
  unusedFor(store, a.id, 1);
  assert.instance(await store.accept(b.id, b.path).catch((e: unknown) => e), ArtifactStoreFullError);
});

test('an upload the store has no room for is refused with 507, naming the limit', async () => {
  const [a, b] = [await tar(4000), await tar(4000)];
  const { store, named } = await quotaStore(storedBytes(a.sizeBytes));
  await store.accept(a.id, a.path);
  named.add(a.id);
  const finish = artifactFinisher(store, { announce: () => undefined });
  const refusal = await finish({ path: b.path, sizeBytes: b.sizeBytes, caller: {} as Caller, body: { kind: 'artifact', id: b.id } }).catch((e: unknown) => e);
  assert.instance(refusal, UploadFinishRefusal);
  assert.equal([(refusal as UploadFinishRefusal).status, (refusal as UploadFinishRefusal).code], [507, 'artifact-store-full']);
  assert.match((refusal as Error).message, /--artifact-store-bytes/);
});

test('two artifacts stored at once both count against the quota: the second is refused while the first holds its room', async () => {
  const [a, b] = [await tar(4000), await tar(4000)];
  const { store } = await quotaStore(storedBytes(a.sizeBytes));
  const results = await Promise.allSettled([store.accept(a.id, a.path), store.accept(b.id, b.path)]);
  // Which of the two reserves its room first is the file system's race to decide; one must lose.
  assert.equal(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const kept = results[0].status === 'fulfilled' ? a.id : b.id;
  assert.instance(results.find((r) => r.status === 'rejected')?.reason, ArtifactStoreFullError);
  assert.equal(await store.list(), [kept]);
});

test.run();
