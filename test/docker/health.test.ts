import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { startLocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { placements, until } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';
import { signedFetch } from '../../cli/client.js';

const docker = await dockerOrSkip();

/**
 * Ready after a second; alive for three more; then its liveness file goes, once. The
 * probes may take 5 s: the engine ran one exec at a time here (about 100 ms each, 2 s for
 * 20 at once), so beside other tests' Docker work a 1 s timeout (the default, as
 * Kubernetes') can fail a probe whose file is there; a full run saw the replica restarted
 * twice, the likeliest cause.
 */
const FLAKY = `apiVersion: shoal/v1
kind: Workload
metadata: {name: flaky}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "if [ -f /tmp/crashed ]; then touch /tmp/alive; else touch /tmp/alive /tmp/crashed; sleep 1; touch /tmp/ready; sleep 3; rm /tmp/alive; fi; sleep 1000"]
  replicas: 1
  livenessProbe: {exec: {command: [test, -f, /tmp/alive]}, periodSeconds: 0.5, failureThreshold: 2, timeoutSeconds: 5}
  readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 0.5, timeoutSeconds: 5}
`;

(docker === null ? test.skip : test)('a failing liveness probe restarts the replica, and readiness shows in its status', async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-health-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes: 1, args: ['--runtime', 'docker'] });
  try {
    const node = cluster.nodes[0] as ShoalNodeProcess;
    writeFileSync(join(dir, 'flaky.yaml'), FLAKY);
    const applied = await runShoal(['apply', '-f', join(dir, 'flaky.yaml'), '--api', node.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);
    const running = await until('running, not yet ready', async () => (await placements(node)).find((p) => p.state === 'running'), 20_000);
    assert.is(running.ready, false, 'not ready before its readiness probe passes');
    await until('ready', async () => ((await placements(node))[0]?.ready === true ? true : undefined), 20_000);
    const restarted = await until(
      'restarted after liveness failed, and ready again',
      async () => {
        const [p] = await placements(node);
        return p !== undefined && p.restarts >= 1 && p.state === 'running' && p.ready ? p : undefined;
      },
      30_000,
    );
    const events = (await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/events`)).json()) as { kind: string }[];
    // The events say why each restart happened: the liveness probe's messages.
    assert.is(restarted.restarts, 1, JSON.stringify(events));
    assert.ok(
      events.some((e) => e.kind === 'unhealthy'),
      JSON.stringify(events),
    );
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
