import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import type { EndpointJson, ServiceJson } from '../../protocol/api/services.js';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';
import { get, partitionScenario, unreadyAndKillScenario, type ServicesTestbed } from '../integration/services-scenario.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();

// Each node publishes on an address of its own, as three hosts would.
const publishAddress = (node: ShoalNodeProcess): string => `127.0.0.${Number(basename(node.dataDir).split('-')[1]) + 20}`;
const PUBLISHED = 30_000 + Math.floor(Math.random() * 20_000);
// Nodes that share an engine each need a replicas network of their own: their DNS and
// service addresses live on its bridge.
const RUN = Math.random().toString(16).slice(2, 8);
const networkOf = (name: string): string => `shoal-svc-${RUN}-${name}`;

// busybox httpd answers with the replica's container hostname: which replica served is in the body.
const MANIFESTS = `apiVersion: shoal/v1
kind: Workload
metadata: {name: web}
spec:
  image: shoal/busybox:1
  # Ready while /www/ready is there: the test takes a replica out of rotation by removing it.
  command: [sh, -c, "mkdir -p /www && hostname > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www"]
  replicas: 2
  resources: {cpu: 50m, memory: 16Mi}
  readinessProbe: {http: {path: /ready, port: 8080}, periodSeconds: 0.5}
  placement:
    constraints: [{key: role, operator: '==', value: web}]
---
apiVersion: shoal/v1
kind: Workload
metadata: {name: client}
spec:
  image: shoal/busybox:1
  command: [sleep, "3600"]
  replicas: 1
  resources: {cpu: 10m, memory: 8Mi}
  placement:
    constraints: [{key: role, operator: '!=', value: web}]
---
apiVersion: shoal/v1
kind: Service
metadata: {name: web}
spec:
  selector: {workload: web}
  ports:
    - {port: 80, targetPort: 8080, publish: {port: ${PUBLISHED}}}
`;

(docker === null ? test.skip : test)(
  'a busybox httpd service answers on the published port of every node, a node with no replica spreads requests over both, a replica there reaches it by name, and it lives through a partition, an unready replica and a kill -9 (Docker)',
  async () => {
    if (docker !== null) await ensureBusyboxImage(docker);
    const dir = mkdtempSync(join(tmpdir(), 'shoal-services-docker-'));
    const replicas = new LocalReplicas('docker', ['node-1', 'node-2', 'node-3'].map(networkOf));
    let cluster: LocalCluster | undefined;
    try {
      cluster = await startLocalCluster({
        dir,
        nodes: 3,
        args: ['--runtime', 'docker', '--enable-fault-injection'],
        // The two web replicas go to node-1 and node-2; node-3 runs none, and the client.
        nodeArgs: (name) => [
          '--publish-address',
          `127.0.0.${Number(name.split('-')[1]) + 20}`,
          '--replicas-network',
          networkOf(name),
          ...(name === 'node-3' ? [] : ['--label', 'role=web']),
        ],
      });
      const { nodes, operatorKey } = cluster;
      for (const node of nodes) await waitForMembers(node.api, operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);
      writeFileSync(join(dir, 'web.yaml'), MANIFESTS);
      const applied = await runShoal(['apply', '-f', join(dir, 'web.yaml'), '--api', (nodes[0] as ShoalNodeProcess).apiAddress, '--key', operatorKey]);
      assert.is(applied.code, 0, applied.stderr);
      const views = await Promise.all(
        nodes.map((node) =>
          poll(
            `both endpoints in rotation on ${basename(node.dataDir)}`,
            async () => {
              const web = (await (await signedFetch(operatorKey)(`${node.api}/v1/services/default/web`)).json()) as ServiceJson;
              if (web.endpoints.filter((e) => e.inRotation).length === 2 && web.ports[0]?.listening === true) return web;
              throw new Error(`it sees ${JSON.stringify(web.endpoints.map((e) => [e.slot, e.state, e.excluded]))}, listening ${web.ports[0]?.listening}`);
            },
            90_000,
          ),
        ),
      );
      const hosts = new Set(views[0]?.endpoints.map((e) => e.node));
      const bare = nodes.find((n) => !hosts.has(n.peerId)) as ShoalNodeProcess;
      assert.ok(bare !== undefined, 'two replicas on three nodes leave one node without any');

      const counts = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        const answer = await get(`http://${publishAddress(bare)}:${PUBLISHED}/`);
        counts.set(answer, (counts.get(answer) ?? 0) + 1);
      }
      assert.is(counts.size, 2, `answers came from ${[...counts.keys()].join(', ')}`);
      for (const [replica, n] of counts) assert.ok(n >= 4, `${replica} served ${n} of 40`);
      for (const node of nodes) assert.ok(counts.has(await get(`http://${publishAddress(node)}:${PUBLISHED}/`)), `${basename(node.dataDir)} answers`);

      // In the cluster: the client, on the node with no web replica, finds the service by
      // name (its node's DNS on the bridge, asked through Docker's own resolver) and reaches a
      // replica on another node. Debian's static busybox has a wget that crashes (its static
      // glibc has no NSS): nslookup resolves, and nc speaks HTTP to the address (its input
      // kept open a while, since nc quits when its input ends, answer or not). The short name
      // is asked in the same exec, once the full one resolved and while nc waits: an exec
      // costs seconds on a busy host. Its nslookup fails on the search domains that do not
      // have it, so what it proves is the address it prints: the service's own.
      const byName = [
        'sh',
        '-c',
        [
          `full=$(nslookup web.default.svc.shoal | awk '/^Address: /{print $2}' | tail -1) && [ -n "$full" ] || exit 1`,
          'nslookup web > /tmp/short 2>&1 &',
          `answer=$( (printf 'GET / HTTP/1.0\\r\\n\\r\\n'; sleep 2) | nc -w 5 "$full" 80 | tail -1)`,
          'wait',
          'cat /tmp/short >&2',
          `echo "$full $(awk '/^Address: /{print $2}' /tmp/short | tail -1)"`,
          'echo "$answer"',
        ].join('\n'),
      ];
      const fetched = await poll(
        'the client reaches web by name',
        async () => {
          const run = await runShoal(['exec', 'client', '--api', bare.apiAddress, '--key', operatorKey, '--', ...byName]);
          const [addresses = '', answer = ''] = run.stdout.trim().split('\n');
          if (run.code === 0 && answer !== '') return { answer, addresses, stderr: run.stderr };
          const described = await runShoal(['describe', 'service', 'web', '--api', bare.apiAddress, '--key', operatorKey]);
          const status = (await (await signedFetch(operatorKey)(`${bare.api}/v1/status`)).json()) as { streams: { mesh: object }; dns: object };
          throw new Error(`exec: ${run.code} ${run.stdout} ${run.stderr}; ${described.stdout}; mesh ${JSON.stringify(status.streams.mesh)} dns ${JSON.stringify(status.dns)}`);
        },
        60_000,
      );
      assert.ok(counts.has(fetched.answer), `the answer came from a web replica: ${fetched.answer}`);
      const [full, short] = fetched.addresses.split(' ');
      assert.is(short, full, `the namespace's search domain finds web by its short name: ${fetched.stderr}`);

      const exec = async (e: EndpointJson, command: string): Promise<string> => {
        const run = await runShoal(['exec', 'web', '--slot', String(e.slot), '--api', bare.apiAddress, '--key', operatorKey, '--', 'sh', '-c', command]);
        if (run.code !== 0) throw new Error(`exec in slot ${e.slot}: ${run.stderr}`);
        return run.stdout.trim();
      };
      const bed: ServicesTestbed = {
        cluster,
        replicas,
        publishAddress,
        port: PUBLISHED,
        answerOf: (e) => exec(e, 'hostname'),
        setReady: async (e, ready) => void (await exec(e, ready ? 'touch /www/ready' : 'rm -f /www/ready')),
      };
      await partitionScenario(bed);
      await unreadyAndKillScenario(bed);
    } finally {
      await cluster?.stop();
      if (cluster !== undefined) await replicas.removeAll(cluster.nodes);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.run();
