import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { signedFetch } from '../../cli/client.js';
import { loadCluster } from '../../node/cluster.js';
import { createHost, loopbackTrust } from '../../node/host.js';
import { REPLICA_PROTOCOL } from '../../node/replica-access.js';
import { MESH_PROTOCOL } from '../../node/services/mesh.js';
import { encodeReplicaRequest } from '../../protocol/replica-access-codec.js';
import { encodeMeshRequest } from '../../protocol/services/mesh-codec.js';
import type { EndpointJson, ServiceJson } from '../../protocol/api/services.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';
import { get, partitionScenario, serviceOf, unreadyAndKillScenario, type ServicesTestbed } from './services-scenario.js';

const root = mkdtempSync(join(tmpdir(), 'shoal-it-services-'));
let cluster: LocalCluster | undefined;
const replicas = new LocalReplicas('process');

test.after(async () => {
  await cluster?.stop(0);
  // Replicas outlive their nodes by design: the test ends them.
  if (cluster !== undefined) await replicas.removeAll(cluster.nodes);
  rmSync(root, { recursive: true, force: true });
});

// Each node publishes on an address of its own, as three hosts would.
const publishAddress = (name: string): string => `127.0.0.${Number(name.split('-')[1]) + 10}`;
// Away from the ports other tests and the host use; one run's, so two runs do not meet.
const PUBLISHED = 30_000 + Math.floor(Math.random() * 20_000);

// Each replica answers with its own address, so which one served a request is in its
// body; it is unready while its directory (its working directory) holds a file named unready.
const SERVER = [
  `require('http').createServer((q, s) => {`,
  `  if (q.url === '/ready' && require('fs').existsSync('unready')) s.statusCode = 503;`,
  `  s.end(process.env.SHOAL_REPLICA_IP);`,
  `}).listen(8080, process.env.SHOAL_REPLICA_IP)`,
].join(' ');

const manifests = (replicas: number): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: web, labels: {app: web}}
spec:
  image: none
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
  replicas: ${replicas}
  resources: {cpu: 50m, memory: 32Mi}
  readinessProbe: {http: {path: /ready, port: 8080}, periodSeconds: 0.5}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: web}
spec:
  selector: {labels: {app: web}}
  ports:
    - {name: http, port: 80, targetPort: 8080, publish: {port: ${PUBLISHED}}}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: web-copy}
spec:
  selector: {workload: web}
  ports:
    - {port: 81, targetPort: 8080, publish: {port: ${PUBLISHED}}}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: nothing}
spec:
  selector: {workload: absent}
  ports: [{port: 80}]
`;

// Its data directory is named after it; the cluster lists its nodes in the order they came up.
const nameOf = (node: ShoalNodeProcess): string => basename(node.dataDir);

const service = (node: ShoalNodeProcess, name: string): Promise<ServiceJson> => serviceOf(bed(), node, name);

/** The A records a DNS server at `server` gives for `name`, or its error code. */
function resolveA(server: string, name: string): Promise<string[] | string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no DNS answer from ${server} within 5 s`));
    }, 5_000);
    socket.once('message', (message) => {
      clearTimeout(timer);
      socket.close();
      // dns-packet decodes the response code, though its types do not say so.
      const reply = dnsPacket.decode(message) as dnsPacket.DecodedPacket & { rcode?: string };
      resolve(reply.rcode === 'NOERROR' ? (reply.answers ?? []).map((a) => String((a as { data?: unknown }).data)) : (reply.rcode ?? 'unknown'));
    });
    socket.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, server);
  });
}

/** A request whose client ends its side as soon as it has sent it (HTTP/1.0, nc): the answer must still come. */
function halfClosedGet(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port, allowHalfOpen: true }, () => socket.end('GET / HTTP/1.0\r\n\r\n'));
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer from ${address}:${port} within 10 s`)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n\r\n')[1] ?? ''));
  });
}

test('a published service answers on every node, a node with no replica spreads requests over both, and a clash and an empty selector are reported', async () => {
  cluster = await startLocalCluster({
    dir: join(root, 'c'),
    nodes: 3,
    args: ['--runtime', 'process', '--enable-fault-injection'],
    nodeArgs: (name) => ['--publish-address', publishAddress(name)],
  });
  const [first] = cluster.nodes as [ShoalNodeProcess];
  for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);
  const file = join(root, 'web.yaml');
  writeFileSync(file, manifests(2));
  const applied = await runShoal(['apply', '-f', file, '--api', first.apiAddress, '--key', cluster.operatorKey]);
  assert.is(applied.code, 0, applied.stderr);

  // Every node must see both endpoints in rotation before the spread is measured.
  const seen = await Promise.all(
    cluster.nodes.map((node) =>
      poll(
        `both endpoints in rotation on ${nameOf(node)}`,
        async () => {
          const web = await service(node, 'web');
          const inRotation = web.endpoints.filter((e) => e.inRotation);
          if (inRotation.length === 2 && web.ports[0]?.listening === true) return web;
          throw new Error(`it sees ${JSON.stringify(web.endpoints.map((e) => [e.slot, e.state, e.excluded]))}, listening ${web.ports[0]?.listening}`);
        },
        60_000,
      ),
    ),
  );
  const hosts = new Set(seen[0]?.endpoints.map((e) => e.node));
  const bare = cluster.nodes.find((n) => !hosts.has(n.peerId)) as ShoalNodeProcess;
  assert.ok(bare !== undefined, 'two replicas on three nodes leave one node without any');
  const bareAddress = publishAddress(nameOf(bare));

  const answers: string[] = [];
  for (let i = 0; i < 60; i++) answers.push(await get(`http://${bareAddress}:${PUBLISHED}/`));
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  const meshCounters = async (): Promise<string> =>
    JSON.stringify(
      await Promise.all(
        (cluster as LocalCluster).nodes.map(
          async (n) => ((await (await signedFetch((cluster as LocalCluster).operatorKey)(`${n.api}/v1/status`)).json()) as { streams: { mesh: object } }).streams.mesh,
        ),
      ),
    );
  assert.is(
    counts.size,
    2,
    `answers came from ${[...counts.keys()].join(', ')}; the mesh counters of each node: ${await meshCounters()}; endpoints ${JSON.stringify(seen.map((v) => v.endpoints.map((e) => [e.slot, e.node.slice(-4), e.address, e.route])))}; bare ${bare.peerId.slice(-4)}`,
  );
  for (const [replica, n] of counts) assert.ok(n >= 6, `${replica} served ${n} of 60`);

  assert.ok(counts.has(await halfClosedGet(bareAddress, PUBLISHED)), 'a client that ends its side first still gets its answer through the mesh');
  for (const node of cluster.nodes) {
    const answer = await get(`http://${publishAddress(nameOf(node))}:${PUBLISHED}/`);
    assert.ok(counts.has(answer), `${nameOf(node)} answered ${answer}`);
  }

  const copy = await service(bare, 'web-copy');
  assert.equal(copy.ports[0]?.listening, false);
  assert.match(copy.ports[0]?.error ?? '', new RegExp(`port ${PUBLISHED}/tcp is taken by default/web`));
  assert.is((await service(bare, 'nothing')).problem, 'the selector matches no workload');

  // In the cluster: each node serves each service's own port on an address of the
  // service's own, which its DNS gives for the service's name and its replicas get in
  // their environment; two services may both use port 80.
  const web = await service(bare, 'web');
  const own = web.ports[0]?.service;
  assert.ok(own?.listening === true && /^127\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(own.address), `port 80 on the service's address: ${JSON.stringify(own)}`);
  assert.ok((await service(bare, 'nothing')).ports[0]?.service?.listening === true, 'another service listens on port 80 too');
  assert.ok(counts.has(await get(`http://${own.address}:80/`)), 'the service answers on its own port');
  const dnsServer = web.dns.address as string;
  assert.equal(await resolveA(dnsServer, 'web.default.svc.shoal'), [own.address]);
  assert.equal(await resolveA(dnsServer, 'absent.default.svc.shoal'), 'NXDOMAIN');
  // Garbage and oversized queries are dropped and counted; the server answers on.
  const junk = createSocket('udp4');
  await new Promise<void>((resolve) => junk.send(Buffer.from('not a dns message'), 53, dnsServer, () => resolve()));
  await new Promise<void>((resolve) => junk.send(Buffer.alloc(600, 1), 53, dnsServer, () => resolve()));
  junk.close();
  assert.equal(await resolveA(dnsServer, 'web.default.svc.shoal'), [own.address]);
  const { dns: dnsCounters } = (await (await signedFetch(cluster.operatorKey)(`${bare.api}/v1/status`)).json()) as { dns: { dropped: Record<string, number> } };
  assert.ok((dnsCounters.dropped.malformed ?? 0) >= 1 && (dnsCounters.dropped.oversized ?? 0) >= 1, `counted: ${JSON.stringify(dnsCounters)}`);
  const env = await runShoal(['exec', 'web', '--api', bare.apiAddress, '--key', cluster.operatorKey, '--', 'sh', '-c', 'echo $WEB_SERVICE_HOST:$WEB_SERVICE_PORT_HTTP']);
  assert.match(env.stdout, /^127\.\d+\.\d+\.\d+:80$/m, env.stderr);

  const described = await runShoal(['describe', 'service', 'web', '--api', bare.apiAddress, '--key', cluster.operatorKey]);
  assert.is(described.code, 0, described.stderr);
  assert.match(described.stdout, /via …/);
  const listed = await runShoal(['get', 'services', '--api', bare.apiAddress, '--key', cluster.operatorKey]);
  assert.match(listed.stdout, /web\s+app=web\s+80:8080\/tcp \(published \d+\)\s+2\/2/);
});

// A UDP echo: answers each datagram with its own address and what it got.
const ECHO = `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(process.env.SHOAL_REPLICA_IP + ' ' + m, r.port, r.address)); s.bind(5353, process.env.SHOAL_REPLICA_IP)`;
const PUBLISHED_UDP = PUBLISHED + 1;

/** One datagram from a socket of its own (a new flow), and the answer. */
function udpAsk(address: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP answer from ${address}:${port} within 5 s`));
    }, 5_000);
    socket.once('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send(text, port, address);
  });
}

test('a UDP service answers on its published port and its own address, each new flow to one of its replicas', async () => {
  const live = cluster as LocalCluster;
  const file = join(root, 'echo.yaml');
  writeFileSync(
    file,
    `apiVersion: shoal/v1
kind: Workload
metadata: {name: echo}
spec:
  image: none
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(ECHO)}]
  replicas: 2
  resources: {cpu: 50m, memory: 32Mi}
---
apiVersion: shoal/v1
kind: Service
metadata: {name: echo}
spec:
  selector: {workload: echo}
  ports: [{port: 53, targetPort: 5353, protocol: udp, publish: {port: ${PUBLISHED_UDP}}}]
`,
  );
  const first = live.nodes[0] as ShoalNodeProcess;
  const applied = await runShoal(['apply', '-f', file, '--api', first.apiAddress, '--key', live.operatorKey]);
  assert.is(applied.code, 0, applied.stderr);
  const echo = await poll(
    'both echo endpoints in rotation',
    async () => {
      const seen = await service(first, 'echo');
      return seen.endpoints.filter((e) => e.inRotation).length === 2 && seen.ports[0]?.listening === true ? seen : undefined;
    },
    60_000,
  );
  const replicasAt = new Set(echo.endpoints.map((e) => e.address as string));
  const from = new Set<string>();
  for (const node of live.nodes) {
    for (let i = 0; i < 10; i++) {
      const [replica, text] = (await poll('a UDP answer', () => udpAsk(publishAddress(nameOf(node)), PUBLISHED_UDP, `ping ${i}`), 20_000)).split(' ', 2);
      assert.ok(replicasAt.has(replica as string), `answered by a replica of echo: ${replica}`);
      assert.is(text, 'ping');
      from.add(replica as string);
    }
  }
  assert.is(from.size, 2, 'flows went to both replicas');
  const own = (await service(first, 'echo')).ports[0]?.service;
  assert.ok(own?.listening === true, `the UDP port on the service's address: ${JSON.stringify(own)}`);
  assert.ok(replicasAt.has((await udpAsk(own.address, 53, 'hello')).split(' ')[0] as string), 'the service answers on its own address');
  const status = (await (await signedFetch(live.operatorKey)(`${first.api}/v1/status`)).json()) as { streams: { mesh: { udpFlows: number } } };
  assert.ok(status.streams.mesh.udpFlows >= 10, `flows counted: ${JSON.stringify(status.streams.mesh)}`);
  const deleted = await runShoal(['delete', 'workload', 'echo', '--api', first.apiAddress, '--key', live.operatorKey]);
  assert.is(deleted.code, 0, deleted.stderr);
});

test('in a partition {A} | {B, C}, each side keeps serving from the replicas it reaches, and no request fails', () => partitionScenario(bed()));

test('a process that holds the cluster key but was never admitted can open no mesh stream and exec in no replica', async () => {
  const live = cluster as LocalCluster;
  const target = live.nodes[0] as ShoalNodeProcess;
  const endpoint = (await service(target, 'web')).endpoints[0] as EndpointJson;
  const { id, psk } = loadCluster(target.dataDir);
  const outsider = await createHost({ privateKey: await generateKeyPair('Ed25519'), psk, clusterId: id, listen: ['/ip4/127.0.0.1/tcp/0'], ...loopbackTrust });
  try {
    await outsider.dial(multiaddr(target.listen[0] as string), { signal: AbortSignal.timeout(10_000) });
    const ask = async (protocol: string, request: Uint8Array): Promise<string> => {
      const stream = await outsider.dialProtocol(peerIdFromString(target.peerId), protocol, { signal: AbortSignal.timeout(10_000) });
      const lp = lpStream(stream);
      // The node resets the stream unread: the write or the read fails, whichever comes first.
      try {
        await lp.write(request);
        await lp.read({ signal: AbortSignal.timeout(10_000) });
        return 'answered';
      } catch {
        return 'refused';
      }
    };
    const request = { service: 'default/web', port: 80, workload: endpoint.workload, slot: endpoint.slot, epoch: endpoint.epoch };
    assert.is(await ask(MESH_PROTOCOL, encodeMeshRequest(request)), 'refused', 'a mesh stream');
    assert.is(
      await ask(
        REPLICA_PROTOCOL,
        encodeReplicaRequest({ op: 'exec', request: { method: 'POST', url: `${target.api}/v1/workloads/default/web/exec`, headers: { signature: 'x', 'signature-input': 'x' } } }),
      ),
      'refused',
      'an exec',
    );
    const status = (await (await signedFetch(live.operatorKey)(`${target.api}/v1/status`)).json()) as {
      streams: { mesh: { refused: Record<string, number> }; replicas: { refused: number } };
    };
    assert.ok((status.streams.mesh.refused['not-admitted'] ?? 0) >= 1, `counted: ${JSON.stringify(status.streams)}`);
    assert.ok(status.streams.replicas.refused >= 1, `counted: ${JSON.stringify(status.streams)}`);
  } finally {
    await outsider.stop();
  }
});

/** The testbed the shared scenarios run on: a replica answers with its address, and is unready while its directory holds a file named unready. */
const bed = (): ServicesTestbed => {
  const live = cluster as LocalCluster;
  const nodeOf = (e: EndpointJson): ShoalNodeProcess => live.nodes.find((n) => n.peerId === e.node) as ShoalNodeProcess;
  return {
    cluster: live,
    replicas,
    publishAddress: (node) => publishAddress(nameOf(node)),
    port: PUBLISHED,
    answerOf: async (e) => e.address as string,
    setReady: async (e, ready) => {
      const file = join(await replicaDir(nodeOf(e), e.address as string), 'unready');
      if (ready) rmSync(file, { force: true });
      else writeFileSync(file, '');
    },
  };
};

/** The replica directory of `node`'s replica that answers as `address`. */
async function replicaDir(node: ShoalNodeProcess, address: string): Promise<string> {
  const found = (await replicas.of(node)).find((r) => r.state === 'running' && r.address === address);
  if (found === undefined) throw new Error(`no running replica at ${address} on ${nameOf(node)}`);
  return join(node.dataDir, 'replicas', found.id);
}

test('an unready replica gets no traffic, and after a kill -9 of a replica node no request fails once that node is suspect', () => unreadyAndKillScenario(bed()));

test.run();
