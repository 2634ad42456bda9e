import '../node/polyfill.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ApiClient, signedFetch, writeOps } from '../cli/client.js';
import { answerQuery, ClusterDocument, compareAnswer, defaultReplicaOptions, encodeDelta, firstQuery, Replica, type Delta, type SignatureVerifier } from '../crdt/index.js';
import { nativeVerifier } from '../node/native-verifier.js';
import { loadOperatorKey } from '../node/operator-key.js';
import { StateService } from '../node/state-service.js';
import { StateStore } from '../node/state-store.js';
import { startLocalCluster } from '../testnet/local/cluster.js';
import { StateSimulation } from '../testnet/sim/state-simulation.js';
import { author, CLUSTER, write } from '../test/unit/crdt/fixtures.js';
import { percentile, round } from './stats.js';

/** `npm run bench:crdt`: desired-state figures as JSON (docs/benchmarks.md). */
const operator = author(1);
const genesis = { cluster: CLUSTER, operators: [operator.publicKey] };
const NOW = Date.now();
const measured = <T>(figure: T): T => {
  console.error(JSON.stringify(figure));
  return figure;
};

function deltasFor(objects: number, fieldsPerObject: number, from = 0): Delta[] {
  return Array.from({ length: objects }, (_, i) => {
    const fields: Record<string, number> = {};
    for (let f = 0; f < fieldsPerObject; f++) fields[`spec.f${f}`] = i + f;
    return write(operator, NOW + from + i, [{ key: `Workload/default/w${from + i}`, set: fields }]);
  });
}

function mergeThroughput(): object {
  const deltas = deltasFor(10_000, 10);
  const started = performance.now();
  const doc = new ClusterDocument();
  for (const d of deltas) doc.apply(d);
  const mergeS = (performance.now() - started) / 1000;
  const receivePerS = (verifier?: SignatureVerifier): number => {
    const started = performance.now();
    const replica = new Replica(genesis, { ...defaultReplicaOptions(), ...(verifier ? { verifier } : {}) });
    for (const d of deltas.slice(0, 2_000)) replica.receive(d, NOW + 20_000);
    return Math.round(2_000 / ((performance.now() - started) / 1000));
  };
  const scale = write(operator, NOW, [{ key: 'Workload/default/web', set: { 'spec.replicas': 5 } }]);
  const full = write(operator, NOW, [
    {
      key: 'Workload/default/web',
      set: {
        apiVersion: 'shoal/v1',
        'spec.image': 'registry.local/web:1.4.2',
        'spec.replicas': 3,
        'spec.resources': { cpu: '0.5', memory: '128Mi' },
        'spec.ports': [{ containerPort: 8080, protocol: 'tcp' }],
        'spec.restartPolicy': 'always',
        'spec.partitionPolicy': 'available',
      },
    },
  ]);
  return {
    fieldOperations: 100_000,
    mergeFieldOpsPerS: Math.round(100_000 / mergeS),
    receiveWithSignatureCheckDeltasPerS: { native: receivePerS(nativeVerifier()), pureJs: receivePerS() },
    bytesPerDelta: { scale: encodeDelta(scale).length, fullWorkload: encodeDelta(full).length },
  };
}

async function realVisibility(samples: number): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-crdt-'));
  const cluster = await startLocalCluster({ dir, nodes: 5 });
  try {
    const nodes = cluster.nodes;
    await new Promise((r) => setTimeout(r, 3_000));
    const key = loadOperatorKey(cluster.operatorKey);
    const client = new ApiClient(nodes[0]!.api, key);
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const name = `visible-${i}`;
      const started = performance.now();
      await writeOps(client, key, [{ key: `Workload/default/${name}`, set: { 'spec.replicas': i } }]);
      const pending = new Set(nodes.slice(1));
      while (pending.size > 0) {
        await Promise.all(
          [...pending].map(async (n) => {
            if ((await signedFetch(key)(`${n.api}/v1/objects/Workload/default/${name}`)).status === 200) pending.delete(n);
          }),
        );
      }
      times.push(performance.now() - started);
    }
    return { nodes: 5, samples, visibleOnAllMs: { p50: round(percentile(times, 50), 1), p99: round(percentile(times, 99), 1) } };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function simulatedVisibility(nodes: number, writes: number): object {
  const seen = new Map<string, number[]>();
  const written = new Map<string, number>();
  const sim = new StateSimulation({ seed: 1124, nodes, genesis, faults: { lossRate: 0.01 }, processingMs: 2, onAccept: (_, d, at) => seen.get(d.id)?.push(at) });
  for (let i = 0; i < writes; i++) {
    sim.at(1_000 + i * 500, () => {
      const delta = write(operator, sim.wallMs, [{ key: `Workload/default/s${i}`, set: { 'spec.replicas': i } }]);
      seen.set(delta.id, []);
      written.set(delta.id, sim.nowMs);
      sim.write(sim.random.int(nodes), delta);
    });
  }
  sim.run(1_000 + writes * 500 + 30_000);
  const allMs = [...seen].map(([id, times]) => (times.length === nodes ? Math.max(...times) - (written.get(id) as number) : Infinity));
  return { nodes, writes, lossRate: 0.01, meshDegree: 6, perHopProcessingMs: 2, visibleOnAllMs: { p50: round(percentile(allMs, 50), 1), p99: round(percentile(allMs, 99), 1) } };
}

/** Two replicas share `base` deltas; each side of a partition then takes `perSide` writes. */
function repair(base: number, perSide: number): object {
  const options = { ...defaultReplicaOptions(), verifier: nativeVerifier() };
  const a = new Replica(genesis, options);
  const b = new Replica(genesis, options);
  const common = deltasFor(base, 3, 0);
  a.load(common);
  b.load(common);
  a.load(deltasFor(perSide, 3, base));
  b.load(deltasFor(perSide, 3, base + perSide));
  const started = performance.now();
  let bytes = 0;
  let rounds = 0;
  let query: ReturnType<typeof firstQuery> | undefined = firstQuery();
  const sizeOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
  while (query !== undefined) {
    rounds++;
    const answer = answerQuery(b.digest, query);
    bytes += sizeOf({ t: 'query', query }) + sizeOf({ t: 'answer', answer });
    const comparison = compareAnswer(a.digest, answer);
    const fetched = comparison.missingHere.map((id) => b.get(id) as Delta);
    const pushed = comparison.missingThere.map((id) => a.get(id) as Delta);
    if (fetched.length > 0) bytes += sizeOf({ t: 'want', ids: comparison.missingHere }) + sizeOf({ t: 'deltas', deltas: fetched });
    if (pushed.length > 0) bytes += sizeOf({ t: 'deltas', deltas: pushed });
    fetched.forEach((d) => a.receive(d, NOW + 60_000_000));
    pushed.forEach((d) => b.receive(d, NOW + 60_000_000));
    query = comparison.next;
  }
  const identical = a.digest.summary('').xor === b.digest.summary('').xor;
  const deltaBytes = 2 * perSide * encodeDelta(common[0]!).length;
  return {
    baseDeltas: base,
    writesDuringPartition: 2 * perSide,
    rounds,
    bytes,
    bytesOfTheDeltasThemselves: deltaBytes,
    overheadRatio: round(bytes / deltaBytes),
    ms: round(performance.now() - started, 1),
    identical,
  };
}

async function loadTime(objects: number): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-load-'));
  try {
    const store = await StateStore.open(dir);
    const deltas = deltasFor(objects, 5, 0);
    for (let i = 0; i < deltas.length; i += 1000) await Promise.all(deltas.slice(i, i + 1000).map((d) => store.append(d)));
    await store.close();
    const started = performance.now();
    const state = await StateService.open(dir, genesis, pino({ level: 'silent' }));
    const ms = performance.now() - started;
    const loaded = state.replica.document.keys().length;
    await state.close();
    return { objects, loaded, loadMs: Math.round(ms) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const figures = {
  machine: { cores: cpus().length, node: process.version, date: new Date().toISOString().slice(0, 10) },
  merge: measured(mergeThroughput()),
  realVisibility: measured(await realVisibility(100)),
  simulatedVisibility: measured(simulatedVisibility(1000, 20)),
  repair: [measured(repair(1_000, 50)), measured(repair(10_000, 50)), measured(repair(10_000, 5_000))],
  load: measured(await loadTime(100_000)),
};
console.log(JSON.stringify(figures, null, 2));
