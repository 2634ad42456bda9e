import type Dockerode from 'dockerode';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Bandwidth } from '../node/content/bandwidth.js';
import { inspectArchive, loadableArchive } from '../node/images/image-archive.js';
import type { ImagesJson } from '../protocol/api/images.js';
import type { PlacementJson } from '../protocol/api/placements.js';
import { noiseImage } from '../testnet/images/noise-image.js';
import { startSideEngines, type SideEngines } from '../testnet/images/side-engines.js';
import { followProgress } from '../testnet/docker/docker-progress.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../testnet/local/cluster.js';
import type { ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { percentile, round } from './stats.js';
import { get, holds, machine, saveLoad, shoal } from './image-bench-kit.js';

/**
 * `npm run bench:images [-- --filler-mib 32 --runs 3 --bandwidth 20MB,2MB --only throughput]`, the figures of
 * issue 18, each beside a plain `docker save | docker load` between the same side-by-side
 * engines (testnet/images/side-engines.ts: one dockerd per node) in the same run:
 * 1. throughput: one image (busybox plus FILLER MiB of random bytes, a fresh one each
 *    run) pushed from node-1, a workload constrained to node-2 applied: from `shoal apply`
 *    to node-2's engine holding it (and to running), and the transfer itself (node-2's
 *    `content-fetched` event); first request (node-1 must `docker save` it to its spool)
 *    and, after removing it from node-2's engine, again (spooled); beside save|load
 *    engine-1 to engine-2, and each step of Shoal's path timed alone (save to a file,
 *    the archive check, `docker load` of the checked archive, `docker load` of the file).
 * 2. fanOut: a `mode: global` workload on 5 nodes when node-1 alone holds the image,
 *    apply to all 5 running, beside save|load from engine-1 to the 4 others in turn;
 *    uncapped, then in a fresh cluster for each `--bandwidth` with `--image-bandwidth` on
 *    every node (the sequential baseline then sent through the same token bucket: one
 *    uplink). A cap above what a transfer gets on this host uncapped models nothing, so
 *    the default has a second, lower one.
 * 3. the bytes each node served in the fan-out (GET /v1/images `servedBytes`), against
 *    4 × the archive that a single source would serve.
 * `--only throughput` or `--only fan-out` runs one part: the first alone is a few minutes
 * less of a machine others share.
 */
const { values: flags } = parseArgs({
  options: {
    'filler-mib': { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    // Caps, one fresh cluster each: the uplink modelled has to be slower than what a transfer gets on this host without one.
    bandwidth: { type: 'string', default: '20MB,2MB' },
    only: { type: 'string' },
  },
});
const PARTS = ['throughput', 'fan-out'];
if (flags.only !== undefined && !PARTS.includes(flags.only)) throw new Error(`--only ${flags.only}: expected one of ${PARTS.join(', ')}`);
const runs = (part: string): boolean => flags.only === undefined || flags.only === part;
const FILLER_BYTES = Number(flags['filler-mib']) * 2 ** 20;
const RUNS = Number(flags.runs);
const BANDWIDTHS = flags.bandwidth.split(',').filter((b) => b !== '');
const NODES = 5;
/** How often a watched moment (engine holds, bytes received, running) is looked for. */
const WATCH_MS = 50;
const STEP_TIMEOUT_MS = 900_000;
const MB = 1e6;

const root = mkdtempSync(join(tmpdir(), 'shoal-bench-images-'));
let engines: SideEngines | undefined;
let cluster: LocalCluster | undefined;

const progress = (what: string, value: unknown): void => console.error(`${new Date().toISOString().slice(11, 19)} ${what} ${JSON.stringify(value)}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hexOf = (id: string): string => id.slice('sha256:'.length);
const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : round(ms / 1000, 2));
const mbps = (bytes: number, ms: number | undefined): number | null => (ms === undefined || ms <= 0 ? null : round(bytes / MB / (ms / 1000), 1));
const summary = (values: readonly number[]) => ({
  p50: seconds(percentile(values, 50) ?? undefined),
  max: values.length === 0 ? null : seconds(Math.max(...values)),
  runs: values.map(seconds),
});
const median = (values: readonly number[]): number | undefined => percentile(values, 50) ?? undefined;

/** Removes the image from `engine` once no container of it is left (the node's agent removes them after a delete). */
async function dropImage(engine: Dockerode, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await engine.listContainers({ all: true })).length > 0) {
    if (Date.now() > deadline) throw new Error('containers still there 60 s after the workload was deleted');
    await sleep(200);
  }
  if (await holds(engine, id)) await engine.getImage(id).remove({ force: true });
}

/** Each step of Shoal's path alone, on this machine: save to a file (the spool), the check, load of the checked archive, load of the file as it is. */
async function stepsAlone(from: Dockerode, to: Dockerode, id: string): Promise<Record<string, number>> {
  const file = join(root, `${hexOf(id)}.tar`);
  let at = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const ms = now - at;
    at = now;
    return ms;
  };
  await pipeline(await from.getImage(id).get(), createWriteStream(file));
  const saveToFileMs = lap();
  const verdict = await inspectArchive(file, id);
  const checkMs = lap();
  await followProgress(to, await to.loadImage(loadableArchive(file, verdict), { quiet: true }), 'docker load of the checked archive');
  const loadCheckedMs = lap();
  await dropImage(to, id);
  lap();
  await followProgress(to, await to.loadImage(createReadStream(file), { quiet: true }), 'docker load of the file');
  const loadFileMs = lap();
  await dropImage(to, id);
  rmSync(file, { force: true });
  return { saveToFileMs, checkMs, loadCheckedMs, loadFileMs };
}

type Probe = () => Promise<boolean>;

/** Looks at every probe each WATCH_MS until `done` holds: when each first held, in ms since `startMs`. */
async function watch(what: string, startMs: number, probes: Record<string, Probe>, done: Probe): Promise<Record<string, number>> {
  const marks: Record<string, number> = {};
  const held = async (probe: Probe): Promise<boolean> => probe().catch(() => false);
  for (;;) {
    for (const [name, probe] of Object.entries(probes)) if (marks[name] === undefined && (await held(probe))) marks[name] = Date.now() - startMs;
    if (await held(done)) return { ...marks, done: Date.now() - startMs };
    if (Date.now() - startMs > STEP_TIMEOUT_MS) throw new Error(`${what}: not within ${STEP_TIMEOUT_MS / 1000} s (so far ${JSON.stringify(marks)})`);
    await sleep(WATCH_MS);
  }
}

const workload = (name: string, image: string, site: string | undefined): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: ${name}}
spec:
  image: ${image}
${site === undefined ? '  mode: global\n' : '  replicas: 1\n'}  command: [sh, -c, "while true; do sleep 1; done"]
  resources: {cpu: 20m, memory: 8Mi}
${site === undefined ? '' : `  placement:\n    constraints: [{key: site, operator: "==", value: ${site}}]\n`}`;

async function apply(node: ShoalNodeProcess, name: string, manifest: string): Promise<void> {
  const file = join(root, `${name}.yaml`);
  writeFileSync(file, manifest);
  await shoal(node, ['apply', '-f', file]);
}

/**
 * A node's log records (JSON lines, info level) from `fromChar` of its output on. Events
 * are read here rather than from GET /v1/events: a replica waiting on a transfer that
 * gave up writes a `start-failed` event every pass, and the node keeps its last 1,000.
 */
interface LogRecord {
  time: number;
  msg: string;
  object?: string;
  workload?: string;
  err?: { message?: string };
}

function logRecords(node: ShoalNodeProcess, fromChar: number): LogRecord[] {
  return node
    .output()
    .slice(fromChar)
    .split('\n')
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        const record = JSON.parse(line) as Partial<LogRecord>;
        return typeof record.time === 'number' && typeof record.msg === 'string' ? [record as LogRecord] : [];
      } catch {
        // A line cut short at the end of the output so far.
        return [];
      }
    });
}

/** The node's events of `kind` about `object` in `records`, oldest first: the agent and the content service log each as `KIND: MESSAGE`. */
const eventsIn = (records: readonly LogRecord[], kind: string, object: string): { atMs: number; message: string }[] =>
  records.flatMap((r) => (r.object === object && r.msg.startsWith(`${kind}: `) ? [{ atMs: r.time, message: r.msg.slice(kind.length + 2) }] : []));

/** The provider and seconds a `content-fetched` message states: `image ID: SIZE from PEER in 1.2 s[, resumed at SIZE]`. */
function fetchedMessage(message: string): { provider: string | undefined; seconds: number | undefined } {
  const match = / from (\S+) in ([\d.]+) s/.exec(message);
  return { provider: match?.[1], seconds: match?.[2] === undefined ? undefined : Number(match[2]) };
}

/** What a receiver went through besides the bytes: transfers broken off and resumed, and transfers given up. */
interface Troubles {
  breaks: number;
  /** Each distinct reason a transfer broke off (digits as N), with how often. */
  breakReasons: Record<string, number>;
  fetchFailures: number;
}

function troubles(records: readonly LogRecord[], id: string): Troubles {
  const reasons: Record<string, number> = {};
  let breaks = 0;
  for (const r of records) {
    if (r.msg !== 'content transfer broke off; resuming') continue;
    breaks++;
    const reason = (r.err?.message ?? 'unknown').replace(/\d+/g, 'N');
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return { breaks, breakReasons: reasons, fetchFailures: eventsIn(records, 'content-fetch-failed', id).length };
}

interface ShoalTransfer extends Troubles {
  /** All in ms from the start of `shoal apply`. */
  applyReturnedMs: number;
  placedMs: number | undefined;
  /** node-2's first `content-fetching` event: its agent found the image missing and the transfer began. */
  fetchingMs: number | undefined;
  /** node-1's archive written to its spool (its `docker save`); undefined where it was there before. */
  spooledMs: number | undefined;
  /** node-1 began that save (its partial file appeared): node-2 had found it as a provider and asked. */
  saveStartedMs: number | undefined;
  firstByteMs: number | undefined;
  allBytesMs: number | undefined;
  /** node-2's `content-fetched` event: the archive checked and loaded. */
  fetchedMs: number | undefined;
  engineHoldsMs: number;
  runningMs: number;
  /** The transfer itself: node-2's first `content-fetching` to its `content-fetched`. */
  transferMs: number | undefined;
  /** The seconds the `content-fetched` message states: its last attempt only, where an earlier one gave up. */
  lastAttemptMs: number | undefined;
}

/** Applies a workload of `image` constrained to node-2 and times each step on its way, as seen from outside and in node-2's events. */
async function shoalTransfer(n1: ShoalNodeProcess, n2: ShoalNodeProcess, e2: Dockerode, name: string, image: string, id: string): Promise<ShoalTransfer> {
  const key = `Workload/default/${name}`;
  const spool = join(n1.dataDir, 'content', 'served', `${hexOf(id)}.tar`);
  const transfer = async () => (await get<ImagesJson>(n2, '/v1/images')).transfers.find((t) => t.id === id);
  const spooledBefore = existsSync(spool);
  const logFroms = new Map((cluster?.nodes ?? []).map((n) => [n, n.output().length]));
  const logFrom = logFroms.get(n2) ?? 0;
  const startMs = Date.now();
  await apply(n1, name, workload(name, image, 'node-2'));
  const applyReturnedMs = Date.now() - startMs;
  const marks = await watch(
    `${name} running on node-2`,
    startMs,
    {
      saveStarted: async () => existsSync(spool) || readdirSync(dirname(spool)).some((f) => f.startsWith(`${hexOf(id)}.tar.`)),
      spooled: async () => existsSync(spool),
      firstByte: async () => ((await transfer())?.receivedBytes ?? 0) > 0,
      allBytes: async () => {
        const t = await transfer();
        return t !== undefined && t.sizeBytes !== undefined && t.receivedBytes === t.sizeBytes;
      },
      engineHolds: () => holds(e2, id),
    },
    async () => (await get<PlacementJson[]>(n2, '/v1/placements')).some((p) => p.name === name && p.node === n2.peerId && p.state === 'running'),
  );
  const records = logRecords(n2, logFrom);
  const placed = (cluster?.nodes ?? []).flatMap((n) => logRecords(n, logFroms.get(n) ?? 0).flatMap((r) => (r.workload === key && r.msg.includes(' placed on ') ? [r.time] : [])));
  const fetching = eventsIn(records, 'content-fetching', id)[0];
  const fetched = eventsIn(records, 'content-fetched', id)[0];
  const since = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms - startMs);
  const lastAttemptS = fetched === undefined ? undefined : fetchedMessage(fetched.message).seconds;
  return {
    applyReturnedMs,
    placedMs: since(placed.length === 0 ? undefined : Math.min(...placed)),
    fetchingMs: since(fetching?.atMs),
    spooledMs: spooledBefore ? undefined : marks.spooled,
    saveStartedMs: spooledBefore ? undefined : marks.saveStarted,
    firstByteMs: marks.firstByte,
    allBytesMs: marks.allBytes,
    fetchedMs: since(fetched?.atMs),
    engineHoldsMs: marks.engineHolds ?? (marks.done as number),
    runningMs: marks.done as number,
    transferMs: fetching === undefined || fetched === undefined ? undefined : fetched.atMs - fetching.atMs,
    lastAttemptMs: lastAttemptS === undefined ? undefined : lastAttemptS * 1000,
    ...troubles(records, id),
  };
}

/** node-1 and node-2 of the cluster by their data directories (the cluster lists nodes in the order they came up). */
function named(name: string): ShoalNodeProcess {
  return cluster?.nodes.find((n) => n.dataDir.endsWith(name)) as ShoalNodeProcess;
}

const dockers = (): Dockerode[] => engines?.engines.map((e) => e.docker) ?? [];

async function startCluster(dir: string, bandwidth: string | undefined): Promise<LocalCluster> {
  const hosts = engines?.engines.map((e) => e.dockerHost) ?? [];
  const started = await startLocalCluster({
    dir: join(root, dir),
    nodes: NODES,
    args: ['--runtime', 'docker', ...(bandwidth === undefined ? [] : ['--image-bandwidth', bandwidth])],
    nodeArgs: (name) => ['--label', `site=${name}`],
    // Info level: each transfer that broke off and resumed is logged, and counted here.
    nodeEnv: (name) => ({ DOCKER_HOST: hosts[Number(name.split('-')[1]) - 1], SHOAL_LOG_LEVEL: 'info' }),
  });
  for (const node of started.nodes) await waitForMembers(node.api, started.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === NODES, 60_000);
  return started;
}

/** One run of figure 1: a fresh image, Shoal on first request, save|load, the steps alone, Shoal again with node-1's archive spooled. */
async function throughputRun(i: number) {
  const [e1, e2] = dockers() as [Dockerode, Dockerode];
  const [n1, n2] = [named('node-1'), named('node-2')];
  const reference = `bench/one${i}:1`;
  const id = await noiseImage(e1, reference, reference, FILLER_BYTES);
  await shoal(n1, ['image', 'push', reference]);
  const first = await shoalTransfer(n1, n2, e2, `one${i}a`, reference, id);
  const archiveBytes = statSync(join(n1.dataDir, 'content', 'served', `${hexOf(id)}.tar`)).size;
  await shoal(n1, ['delete', 'workload', `one${i}a`]);
  await dropImage(e2, id);
  const docker = await saveLoad(e1, e2, reference);
  await dropImage(e2, id);
  const steps = await stepsAlone(e1, e2, id);
  const spooled = await shoalTransfer(n1, n2, e2, `one${i}b`, reference, id);
  await shoal(n1, ['delete', 'workload', `one${i}b`]);
  await dropImage(e2, id);
  const run = { archiveBytes, first, spooled, docker, steps };
  progress(`throughput run ${i}`, run);
  return run;
}

type ThroughputRun = Awaited<ReturnType<typeof throughputRun>>;

/** The p50 of each step of a Shoal transfer, as durations between its moments. */
function shoalPhases(runs: readonly ShoalTransfer[]) {
  const p50 = (pick: (t: ShoalTransfer) => number | undefined) => seconds(median(runs.flatMap((t) => (pick(t) === undefined ? [] : [pick(t) as number]))));
  const gap = (a: keyof ShoalTransfer, b: keyof ShoalTransfer) => (t: ShoalTransfer) =>
    t[a] === undefined || t[b] === undefined ? undefined : (t[b] as number) - (t[a] as number);
  return {
    applyReturned: p50((t) => t.applyReturnedMs),
    applyToPlaced: p50((t) => t.placedMs),
    placedToFetching: p50(gap('placedMs', 'fetchingMs')),
    fetchingToSaveStarted: p50(gap('fetchingMs', 'saveStartedMs')),
    saveStartedToSpooled: p50(gap('saveStartedMs', 'spooledMs')),
    fetchingToFirstByte: p50(gap('fetchingMs', 'firstByteMs')),
    firstByteToAllBytes: p50(gap('firstByteMs', 'allBytesMs')),
    allBytesToFetched: p50(gap('allBytesMs', 'fetchedMs')),
    fetchedToRunning: p50(gap('fetchedMs', 'runningMs')),
  };
}

function throughputFigures(runs: readonly ThroughputRun[]) {
  const bytes = median(runs.map((r) => r.archiveBytes)) as number;
  const shoalSide = (pick: (r: ThroughputRun) => ShoalTransfer) => {
    const transfers = runs.map(pick);
    const holdMs = transfers.map((t) => t.engineHoldsMs);
    const transferMs = transfers.flatMap((t) => (t.transferMs === undefined ? [] : [t.transferMs]));
    return {
      applyToEngineHoldsS: summary(holdMs),
      applyToRunningS: summary(transfers.map((t) => t.runningMs)),
      transferS: summary(transferMs),
      transferMBps: mbps(bytes, median(transferMs)),
      wireMBps: mbps(bytes, median(transfers.flatMap((t) => (t.firstByteMs === undefined || t.allBytesMs === undefined ? [] : [t.allBytesMs - t.firstByteMs])))),
      phasesP50S: shoalPhases(transfers),
      breaks: transfers.map((t) => t.breaks),
      fetchFailures: transfers.map((t) => t.fetchFailures),
      breakReasons: transfers.reduce<Record<string, number>>((all, t) => {
        for (const [reason, n] of Object.entries(t.breakReasons)) all[reason] = (all[reason] ?? 0) + n;
        return all;
      }, {}),
    };
  };
  const dockerMs = runs.map((r) => r.docker.ms);
  const first = shoalSide((r) => r.first);
  const spooled = shoalSide((r) => r.spooled);
  const ratio = (s: ReturnType<typeof summary>) => (s.p50 === null ? null : round(s.p50 / (seconds(median(dockerMs)) as number), 2));
  return {
    archiveBytes: bytes,
    dockerSaveLoad: { seconds: summary(dockerMs), MBps: mbps(bytes, median(dockerMs)) },
    shoalFirstRequest: first,
    shoalSpooled: spooled,
    ratioToDocker: {
      firstRequest: { applyToEngineHolds: ratio(first.applyToEngineHoldsS), transfer: ratio(first.transferS) },
      spooled: { applyToEngineHolds: ratio(spooled.applyToEngineHoldsS), transfer: ratio(spooled.transferS) },
    },
    stepsAloneP50S: Object.fromEntries(Object.keys(runs[0]?.steps ?? {}).map((k) => [k, seconds(median(runs.map((r) => r.steps[k] as number)))])),
    runs,
  };
}

/** Figure 2 and 3 in the running cluster: a global workload of an image node-1 alone holds, then the sequential save|load baseline. */
async function fanOut(label: string, bandwidth: string | undefined) {
  const uplink = bandwidth === undefined ? undefined : new Bandwidth(parseRate(bandwidth));
  const [e1, ...others] = dockers() as [Dockerode, ...Dockerode[]];
  const n1 = named('node-1');
  const nodes = Array.from({ length: NODES }, (_, i) => named(`node-${i + 1}`));
  const nameOf = (peer: string | undefined): string =>
    nodes
      .find((n) => n.peerId === peer)
      ?.dataDir.split('/')
      .pop() ?? String(peer);
  const reference = `bench/fan-${label}:1`;
  const name = `fan-${label}`;
  const id = await noiseImage(e1, reference, reference, FILLER_BYTES);
  await shoal(n1, ['image', 'push', reference]);
  const logFrom = new Map(nodes.map((n) => [n, n.output().length]));
  const startMs = Date.now();
  await apply(n1, name, workload(name, reference, undefined));
  const probes = Object.fromEntries(others.map((engine, i) => [`node-${i + 2}`, () => holds(engine, id)]));
  const running = async (): Promise<boolean> =>
    new Set((await get<PlacementJson[]>(n1, '/v1/placements')).filter((p) => p.name === name && p.state === 'running').map((p) => p.node)).size === NODES;
  const marks = await watch(`${name} running on ${NODES} nodes`, startMs, probes, running);
  const archiveBytes = statSync(join(n1.dataDir, 'content', 'served', `${hexOf(id)}.tar`)).size;
  const fetches = await Promise.all(
    nodes.slice(1).map(async (node) => {
      const records = logRecords(node, logFrom.get(node) ?? 0);
      const fetched = eventsIn(records, 'content-fetched', id)[0];
      const fetching = eventsIn(records, 'content-fetching', id)[0];
      const { provider, seconds: s } = fetchedMessage(fetched?.message ?? '');
      return {
        node: nameOf(node.peerId),
        from: nameOf(provider),
        fetchingAtS: seconds(fetching === undefined ? undefined : fetching.atMs - startMs),
        fetchedAtS: seconds(fetched === undefined ? undefined : fetched.atMs - startMs),
        engineHoldsAtS: seconds(marks[nameOf(node.peerId)]),
        lastAttemptS: s ?? null,
        ...troubles(records, id),
      };
    }),
  );
  const served = Object.fromEntries(await Promise.all(nodes.map(async (n) => [nameOf(n.peerId), (await get<ImagesJson>(n, '/v1/images')).servedBytes[id] ?? 0] as const)));
  await shoal(n1, ['delete', 'workload', name]);
  for (const engine of others) await dropImage(engine, id);
  const sequential: number[] = [];
  const sequentialStart = performance.now();
  for (const engine of others) sequential.push((await saveLoad(e1, engine, reference, uplink)).ms);
  const sequentialMs = performance.now() - sequentialStart;
  for (const engine of others) await dropImage(engine, id);
  const shoalMs = marks.done as number;
  const result = {
    bandwidth: bandwidth ?? 'none',
    archiveBytes,
    shoalApplyToAllRunningS: seconds(shoalMs),
    shoalApplyToAllEnginesHoldS: seconds(Math.max(...others.map((_, i) => marks[`node-${i + 2}`] ?? shoalMs))),
    dockerSequentialS: seconds(sequentialMs),
    dockerSequentialEachS: sequential.map(seconds),
    ratioShoalToSequential: round(shoalMs / sequentialMs, 2),
    breaks: fetches.reduce((sum, f) => sum + f.breaks, 0),
    fetchFailures: fetches.reduce((sum, f) => sum + f.fetchFailures, 0),
    fetches,
    servedBytes: served,
    servedBytesAllNodes: Object.values(served).reduce((a, b) => a + b, 0),
    firstHolderServedBytes: served['node-1'] ?? 0,
    singleSourceBytes: (NODES - 1) * archiveBytes,
    firstHolderShareOfSingleSource: round((served['node-1'] ?? 0) / ((NODES - 1) * archiveBytes), 2),
  };
  progress(`fanOut ${label}`, result);
  return result;
}

function humanSummary(results: {
  throughput: ReturnType<typeof throughputFigures> | undefined;
  fanOut: { uncapped: Awaited<ReturnType<typeof fanOut>>; capped: Awaited<ReturnType<typeof fanOut>>[] } | undefined;
}): string {
  const t = results.throughput;
  const f = results.fanOut;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const breaks = (side: { breaks: number[]; fetchFailures: number[] }) =>
    `${side.breaks.reduce((a, b) => a + b, 0)} breaks, ${side.fetchFailures.reduce((a, b) => a + b, 0)} given up`;
  const fan = (what: string, r: Awaited<ReturnType<typeof fanOut>>) =>
    `fan-out to ${NODES} nodes, ${what}: shoal ${r.shoalApplyToAllRunningS} s, docker sequential ${r.dockerSequentialS} s (x${r.ratioShoalToSequential}); ` +
    `node-1 served ${mib(r.firstHolderServedBytes)} of the ${mib(r.singleSourceBytes)} a single source would; ${r.breaks} breaks, ${r.fetchFailures} given up`;
  return [
    ...(t === undefined
      ? []
      : [
          `image archive ${mib(t.archiveBytes)}, p50 of ${RUNS} runs:`,
          `  docker save|load ${t.dockerSaveLoad.seconds.p50} s (${t.dockerSaveLoad.MBps} MB/s); alone: save to a file ${t.stepsAloneP50S.saveToFileMs} s, check ${t.stepsAloneP50S.checkMs} s, load checked ${t.stepsAloneP50S.loadCheckedMs} s`,
          `  shoal, first request: apply to engine holds ${t.shoalFirstRequest.applyToEngineHoldsS.p50} s, transfer ${t.shoalFirstRequest.transferS.p50} s (x${t.ratioToDocker.firstRequest.transfer} docker); ${breaks(t.shoalFirstRequest)}`,
          `  shoal, spooled:       apply to engine holds ${t.shoalSpooled.applyToEngineHoldsS.p50} s, transfer ${t.shoalSpooled.transferS.p50} s (x${t.ratioToDocker.spooled.transfer} docker); ${breaks(t.shoalSpooled)}`,
        ]),
    ...(f === undefined ? [] : [fan('no cap', f.uncapped), ...f.capped.map((capped) => fan(`${capped.bandwidth}/s on every node`, capped))]),
  ].join('\n');
}

let cleaning: Promise<void> | undefined;
/** Once, whatever happens: the cluster, the engines (and all they hold), the temporary directory. */
const cleanUp = (): Promise<void> =>
  (cleaning ??= (async () => {
    await cluster?.stop().catch((e: Error) => console.error(`stopping the cluster: ${e.message}`));
    await engines?.stop().catch((e: Error) => console.error(`stopping the engines: ${e.message}`));
    rmSync(root, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

try {
  engines = await startSideEngines(NODES);
  const info = await machine(dockers()[0] as Dockerode);
  progress('machine', info);
  cluster = await startCluster('uncapped', undefined);
  let throughput: ReturnType<typeof throughputFigures> | undefined;
  if (runs('throughput')) {
    const done: ThroughputRun[] = [];
    for (let i = 0; i < RUNS; i++) done.push(await throughputRun(i));
    throughput = throughputFigures(done);
  }
  let fanOuts: { uncapped: Awaited<ReturnType<typeof fanOut>>; capped: Awaited<ReturnType<typeof fanOut>>[] } | undefined;
  if (runs('fan-out')) {
    const uncapped = await fanOut('free', undefined);
    const capped = [];
    for (const [i, bandwidth] of BANDWIDTHS.entries()) {
      await cluster.stop();
      cluster = await startCluster(`capped-${i}`, bandwidth);
      capped.push(await fanOut(`capped${i}`, bandwidth));
    }
    fanOuts = { uncapped, capped };
  }
  const results = {
    machine: { ...info, loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 1) },
    config: { fillerMiB: FILLER_BYTES / 2 ** 20, runs: RUNS, bandwidths: BANDWIDTHS, nodes: NODES, only: flags.only ?? 'all' },
    throughput,
    fanOut: fanOuts,
  };
  console.log(JSON.stringify(results, null, 2));
  console.error(humanSummary(results));
} finally {
  await cleanUp();
}

/** `--bandwidth` as `shoal start --image-bandwidth` reads it (cli/commands/start.ts): 20MB is 20·10^6 bytes a second, 20MiB 20·2^20. */
function parseRate(text: string): number {
  const units: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = units[(match?.[2] ?? '').toLowerCase()];
  if (match === null || unit === undefined) throw new Error(`--bandwidth ${text}: expected a rate such as 20MB`);
  return Math.floor(Number(match[1]) * unit);
}
