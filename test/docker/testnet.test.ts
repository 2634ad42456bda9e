import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type Dockerode from 'dockerode';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, writeOps } from '../../cli/client.js';
import { operatorKey } from '../../crdt/index.js';
import type { PlacementJson } from '../../protocol/api/placements.js';
import { LABEL } from '../../node/agent/labels.js';
import type { OperatorKey } from '../../node/operator-key.js';
import { up } from '../../testnet/docker/docker-testnet.js';
import { getJson, members } from '../../testnet/docker/node-api.js';
import { poll } from '../../testnet/poll.js';
import type { Testnet, TestnetNode } from '../../testnet/docker/testnet.js';
import { runShoal } from '../../testnet/local/shoal-process.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
// Network faults are iptables rules entered with nsenter, which needs root.
const root = process.getuid?.() === 0;
if (docker !== null && !root) console.log('testnet.test.ts: skipped, network faults need root');

const MANIFEST = `apiVersion: shoal/v1
kind: Workload
metadata: {name: sleeper}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "while true; do sleep 1; done"]
  replicas: 3
  resources: {cpu: 100m, memory: 16Mi}
`;

/** Resolves once `observer` sees each of `peers` in `state`. */
const seesAs = (observer: TestnetNode, key: OperatorKey, peers: readonly TestnetNode[], state: string): Promise<true> =>
  poll(
    `${observer.name} sees ${peers.map((p) => p.name).join(', ')} ${state}`,
    async () => {
      const seen = new Map((await members(observer.api, key)).map((m) => [m.id, m.state]));
      if (peers.every((p) => seen.get(p.peerId) === state)) return true as const;
      // Thrown, so a time-out says what the observer saw last.
      throw new Error(`it sees ${peers.map((p) => `${p.name} ${seen.get(p.peerId) ?? 'missing'}`).join(', ')}`);
    },
    60_000,
  );

const allAlive = (testnet: Testnet): Promise<true[]> => Promise.all(testnet.nodes.map((n) => seesAs(n, testnet.signer, testnet.nodes, 'alive')));

const threeRunning = (observer: TestnetNode, key: OperatorKey): Promise<PlacementJson[]> =>
  poll(
    'three replicas running',
    async () => {
      const placements = await getJson<PlacementJson[]>(observer.api, key, '/v1/placements');
      return placements.length === 3 && placements.every((p) => p.state === 'running' && p.nodeState === 'alive') ? placements : undefined;
    },
    60_000,
  );

function faultRules(node: TestnetNode, chain: string): string {
  const pid = execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', node.container], { encoding: 'utf8' }).trim();
  return execFileSync('nsenter', ['-t', pid, '-n', 'iptables', '-S', chain], { encoding: 'utf8' });
}

(docker === null || !root ? test.skip : test)('a 3-node Docker testnet runs replicas and lives through a partition, clock skew, packet loss and a kill', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-testnet-test-'));
  // Not the user's ~/.shoal/testnets: the state file and operator key go away with the test.
  process.env.SHOAL_TESTNETS_DIR = join(dir, 'testnets');
  let testnet: Testnet | undefined;
  try {
    testnet = await up({ nodes: 3, name: `shoal-test-${randomBytes(3).toString('hex')}` });
    const [n1, n2, n3] = testnet.nodes as [TestnetNode, TestnetNode, TestnetNode];
    const key = testnet.signer;
    writeFileSync(join(dir, 'sleeper.yaml'), MANIFEST);
    const applied = await runShoal([
      'apply',
      '-f',
      join(dir, 'sleeper.yaml'),
      '--api',
      `${n1.ip}:7371`,
      '--fingerprint',
      n1.api.fingerprint as string,
      '--key',
      testnet.operatorKey,
    ]);
    assert.is(applied.code, 0, applied.stderr);
    await threeRunning(n2, key);
    const replicas = await (docker as Dockerode).listContainers({ filters: { label: [`${LABEL.cluster}=${testnet.cluster}`] } });
    assert.is(replicas.length, 3, 'three replica containers on the host engine, labelled with the cluster');

    await testnet.partition([[n3.name], [n1.name, n2.name]]);
    await Promise.all([seesAs(n1, key, [n3], 'dead'), seesAs(n2, key, [n3], 'dead'), seesAs(n3, key, [n1, n2], 'dead')]);
    await testnet.heal();
    await allAlive(testnet);

    await testnet.skew(n2.name, 30_000);
    const author = await getJson<{ hlc: { wallMs: number } }>(n2.api, key, `/v1/authors/${key.publicKey}`);
    assert.ok(author.hlc.wallMs - Date.now() > 25_000, `node-2's clock runs 30 s ahead (${author.hlc.wallMs - Date.now()} ms)`);
    const teammate = bytesToHex(ed25519.getPublicKey(ed25519.utils.randomSecretKey()));
    await writeOps(new ApiClient(n2.api, key), key, [{ key: operatorKey(teammate), set: { publicKey: teammate } }]);
    // Within the 60 s bound on clocks ahead, the others merge it (the grant takes effect there once their clocks reach its time).
    await poll("the skewed node's write reaches node-1", () => getJson(n1.api, key, `/v1/objects/${operatorKey(teammate)}`), 20_000);
    await testnet.skew(n2.name, 0);

    await testnet.loss(n1.name, 10);
    assert.match(faultRules(n1, 'SHOAL-LOSS'), /statistic --mode random --probability 0.1/);
    await testnet.loss(n1.name, 0);
    assert.not.match(faultRules(n1, 'SHOAL-LOSS'), /DROP/);

    await testnet.kill(n2.name);
    await seesAs(n1, key, [n2], 'dead');
    await testnet.restart(n2.name);
    await allAlive(testnet);
    await threeRunning(n1, key);
  } finally {
    await testnet?.down();
    delete process.env.SHOAL_TESTNETS_DIR;
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
