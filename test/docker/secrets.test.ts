import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { placements, until } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';
import { signedFetch } from '../../cli/client.js';

const docker = await dockerOrSkip();

const VALUE = 'pw-5f0c93e1-never-printed';
const sha = createHash('sha256').update(VALUE).digest('hex');

const MANIFESTS = `apiVersion: shoal/v1
kind: Secret
metadata: {name: db}
stringData: {password: ${VALUE}}
---
apiVersion: shoal/v1
kind: Workload
metadata: {name: app}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "exec sleep 1000"]
  env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]
  secrets: [{name: db, mountPath: /run/secrets/db}]
  replicas: 1
`;

/** Every file below `dir`, as bytes: what the nodes keep at rest. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path)];
  });
}

(docker === null ? test.skip : test)('a secret reaches its replica as env and file, and no API answer, CLI output, event, log or file at rest shows its value', async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-secrets-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes: 2, args: ['--runtime', 'docker'] });
  const outputs: string[] = [];
  const shoal = async (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    // Before the arguments: after `exec NAME --` everything is the command.
    const [command = '', ...rest] = args;
    const run = await runShoal([command, '--api', (cluster.nodes[1] as ShoalNodeProcess).apiAddress, '--key', cluster.operatorKey, ...rest]);
    outputs.push(run.stdout, run.stderr);
    return run;
  };
  try {
    await waitForMembers(cluster.nodes[0]!.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 2, 20_000);
    writeFileSync(join(dir, 'app.yaml'), MANIFESTS);
    await shoal('apply', '-f', join(dir, 'app.yaml'), '--dry-run', '--key', cluster.operatorKey);
    assert.is((await shoal('apply', '-f', join(dir, 'app.yaml'), '--key', cluster.operatorKey)).code, 0, outputs.join('\n'));
    assert.match(
      (await shoal('apply', '-f', join(dir, 'app.yaml'), '--key', cluster.operatorKey)).stdout,
      'secret/db unchanged',
      'sealing is deterministic: a re-apply writes nothing',
    );
    await until('the app runs', async () => (await placements(cluster.nodes[0] as ShoalNodeProcess)).find((p) => p.state === 'running'), 30_000);

    const inside = await shoal('exec', 'app', '--', 'sh', '-c', 'printf %s "$PASSWORD" | sha256sum; sha256sum < /run/secrets/db/password; stat -c %a /run/secrets/db/password');
    assert.equal(
      inside.stdout.split('\n').map((l) => l.split(' ')[0]),
      [sha, sha, '400', ''],
      `env and file hold the value; the file is 0400 (${inside.stderr})`,
    );

    for (const args of [
      ['get', 'secrets'],
      ['get', 'secret', 'db', '-o', 'yaml'],
      ['get', 'secret', 'db', '-o', 'json'],
      ['get', 'workload', 'app', '-o', 'yaml'],
      ['describe', 'workload', 'app'],
      ['get', 'placements'],
      ['events'],
    ])
      await shoal(...args);
    assert.match(outputs.join('\n'), /password/, 'key names are shown');
    for (const node of cluster.nodes) {
      for (const path of ['/v1/objects', '/v1/placements', '/v1/events', '/v1/cluster/events', '/v1/status', '/v1/workloads/default/app', '/v1/workloads/default/app/rollout']) {
        outputs.push(await (await signedFetch(cluster.operatorKey)(`${node.api}${path}`)).text());
      }
      outputs.push(node.output());
    }
    for (const text of outputs) assert.not.match(text, VALUE, 'the value appears in no API answer, CLI output, event or node log');
    const atRest = cluster.nodes.flatMap((n) => filesUnder(join(n.dataDir, 'state')));
    assert.ok(atRest.length > 0 && atRest.every((bytes) => !bytes.includes(VALUE)), 'nor in the stored state');
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
