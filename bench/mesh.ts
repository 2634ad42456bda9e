import autocannon from 'autocannon';
import dnsPacket from 'dns-packet';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { signedFetch } from '../cli/client.js';
import type { ServiceJson } from '../protocol/api/services.js';
import { startLocalCluster, waitForMembers } from '../testnet/local/cluster.js';
import { LocalReplicas } from '../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../testnet/local/shoal-process.js';
import { poll } from '../testnet/poll.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:mesh`: the routing mesh against a direct connection, side by side in one
 * run. Three nodes on loopback (process runtime), a Node HTTP replica on two of them and a
 * service publishing it on every node. autocannon drives, for SECONDS each: the replica
 * directly; the mesh on a node that runs a replica (local, no hop); the mesh on the node
 * that runs none (a libp2p stream to the replica's node). Then a client loops new
 * connections through that node while a replica's node is killed (kill -9): the failed
 * requests and the time from the kill to the last one. Between, the node's DNS answers
 * the service's name, CONNECTIONS queries in flight for SECONDS.
 */
const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const PUBLISHED = 30_000 + Math.floor(Math.random() * 20_000);
const address = (node: ShoalNodeProcess): string => `127.0.0.${Number(basename(node.dataDir).split('-')[1]) + 40}`;
const SERVER = `require('http').createServer((q, s) => s.end(process.env.SHOAL_REPLICA_IP)).listen(8080, process.env.SHOAL_REPLICA_IP)`;

const MANIFESTS = `apiVersion: shoal/v1
kind: Workload
metadata: {name: web}
spec:
  image: none
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
  replicas: 2
  resources: {cpu: 50m, memory: 32Mi}
  readinessProbe: {tcp: {port: 8080}, periodSeconds: 0.5}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: web}
spec:
  selector: {workload: web}
  ports: [{port: 80, targetPort: 8080, publish: {port: ${PUBLISHED}}}]
`;

interface Load {
  requestsPerSecond: number;
  latencyMeanMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
}

async function load(url: string): Promise<Load> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyMeanMs: round(result.latency.average, 3) as number,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

/** DNS queries for `name` at `server`, CONNECTIONS in flight, for SECONDS: answers per second and latency. */
async function dnsLoad(server: string, name: string): Promise<object> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  const waiting = new Map<number, { at: number; done: () => void }>();
  socket.on('message', (message) => {
    const id = message.readUInt16BE(0);
    waiting.get(id)?.done();
  });
  const latencies: number[] = [];
  let lost = 0;
  let nextId = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const id = nextId++ % 65_536;
      const at = performance.now();
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 1_000);
        waiting.set(id, {
          at,
          done: () => {
            clearTimeout(timer);
            resolve(true);
          },
        });
        socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, server);
      });
      waiting.delete(id);
      if (answered) latencies.push(performance.now() - at);
      else lost++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  socket.close();
  return { answersPerSecond: Math.round(latencies.length / SECONDS), latencyP50Ms: round(percentile(latencies, 50), 3), latencyP99Ms: round(percentile(latencies, 99), 3), lost };
}

const once = (url: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false, timeout: 5_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });

const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-mesh-'));
const replicas = new LocalReplicas('process');
const cluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', 'process'], nodeArgs: (name) => ['--publish-address', `127.0.0.${Number(name.split('-')[1]) + 40}`] });
try {
  const { nodes, operatorKey } = cluster;
  for (const node of nodes) await waitForMembers(node.api, operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);
  writeFileSync(join(dir, 'web.yaml'), MANIFESTS);
  const applied = await runShoal(['apply', '-f', join(dir, 'web.yaml'), '--api', (nodes[0] as ShoalNodeProcess).apiAddress, '--key', operatorKey]);
  if (applied.code !== 0) throw new Error(applied.stderr);
  const views = await Promise.all(
    nodes.map((node) =>
      poll(
        'both endpoints in rotation',
        async () => {
          const web = (await (await signedFetch(operatorKey)(`${node.api}/v1/services/default/web`)).json()) as ServiceJson;
          return web.endpoints.filter((e) => e.inRotation).length === 2 && web.ports[0]?.listening === true ? web : undefined;
        },
        60_000,
      ),
    ),
  );
  const endpoints = views[0]?.endpoints ?? [];
  const withReplica = nodes.find((n) => n.peerId === endpoints[0]?.node) as ShoalNodeProcess;
  const bare = nodes.find((n) => !endpoints.some((e) => e.node === n.peerId)) as ShoalNodeProcess;
  const replicaAddress = endpoints.find((e) => e.node === withReplica.peerId)?.address as string;

  const direct = await load(`http://${replicaAddress}:8080/`);
  const local = await load(`http://${address(withReplica)}:${PUBLISHED}/`);
  const remote = await load(`http://${address(bare)}:${PUBLISHED}/`);
  const dnsServer = views.find((v) => v.dns.address !== null)?.dns.address;
  const dns = dnsServer === undefined || dnsServer === null ? null : await dnsLoad(dnsServer, 'web.default.svc.shoal');

  const failures: number[] = [];
  let requests = 0;
  let stop = false;
  const client = (async () => {
    while (!stop) {
      requests++;
      await once(`http://${address(bare)}:${PUBLISHED}/`).catch(() => failures.push(Date.now()));
    }
  })();
  await new Promise((r) => setTimeout(r, 1_000));
  const killedAtMs = Date.now();
  withReplica.child.kill('SIGKILL');
  await waitForMembers(bare.api, operatorKey, (m) => m.some((x) => x.id === withReplica.peerId && x.state !== 'alive'), 30_000);
  const suspectAfterMs = Date.now() - killedAtMs;
  await new Promise((r) => setTimeout(r, 3_000));
  stop = true;
  await client;
  const last = failures.at(-1);

  const ratio = (a: Load, b: Load, key: 'requestsPerSecond' | 'latencyMeanMs'): number | null => (b[key] === 0 ? null : round(a[key] / b[key], 2));
  console.log(
    JSON.stringify(
      {
        bench: 'mesh',
        date: new Date().toISOString(),
        cpus: cpus().length,
        loadavg: loadavg().map((l) => round(l, 2)),
        seconds: SECONDS,
        connections: CONNECTIONS,
        direct,
        meshLocal: local,
        meshRemote: remote,
        dns,
        ratios: {
          localToDirectRps: ratio(local, direct, 'requestsPerSecond'),
          remoteToDirectRps: ratio(remote, direct, 'requestsPerSecond'),
          localToDirectLatency: ratio(local, direct, 'latencyMeanMs'),
          remoteToDirectLatency: ratio(remote, direct, 'latencyMeanMs'),
        },
        killOfAnEndpointsNode: {
          requests,
          failed: failures.length,
          lastFailureAfterKillMs: last === undefined ? null : last - killedAtMs,
          suspectAfterMs,
          failedAfterSuspect: failures.filter((at) => at - killedAtMs > suspectAfterMs).length,
        },
      },
      null,
      2,
    ),
  );
} finally {
  await cluster.stop(0);
  await replicas.removeAll(cluster.nodes);
  rmSync(dir, { recursive: true, force: true });
}
