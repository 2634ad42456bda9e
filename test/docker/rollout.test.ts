import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PlacementJson } from '../../protocol/api/placements.js';
import type { RolloutJson } from '../../protocol/api/rollout.js';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { placements, until } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';
import { operatorKeyOf } from '../../testnet/local/shoal-process.js';
import { signedFetch } from '../../cli/client.js';

const docker = await dockerOrSkip();

/**
 * Ready half a second after it starts, unless `ready` is false: then never. Its node sees
 * it ready once an agent pass has tracked it and an exec probe has passed: up to 3 s
 * after its start with a 50 ms Docker exec, 4.5 s with a 1.2 s one. A probe a second, not
 * every 0.3 s: each Docker exec costs the host about 100 ms of CPU (dockerd, containerd,
 * the shim and runc; 50 execs took 5.1 CPU seconds here), and six to eight replicas
 * probed every 0.3 s took a core and a half of a two-core machine. A revision meant to get
 * ready gets a deadline far past that, so a slow engine cannot roll it back; the one
 * that never gets ready gets the least the schema allows, 1 s: no replica of it can get
 * ready, so a longer deadline would only make the test wait. The probe gets 10 s
 * where Kubernetes' default is 1: with 1, three Docker execs over a second in a row on a
 * loaded host take a ready replica out of service, which is no step of the rollout's. CI
 * once saw three slots down at once (with maxUnavailable 1), one a slot on the new
 * revision that had been ready, which only a failed probe undoes; slow execs are the
 * likely cause, and a status now says why its replica is not ready, which the worst
 * sample below prints. Two slots move at a time: the bound is checked with a window
 * wider than one, where an off-by-one in it can show, and six slots move in three steps.
 */
const MAX_UNAVAILABLE = 2;
const manifest = (version: string, ready = true) => `apiVersion: shoal/v1
kind: Workload
metadata: {name: web}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "${ready ? 'sleep 0.5; touch /tmp/ready; ' : ''}exec sleep 1000"]
  env: [{name: VERSION, value: ${version}}]
  replicas: 6
  resources: {cpu: 50m, memory: 8Mi}
  rollout: {maxUnavailable: ${MAX_UNAVAILABLE}, progressDeadlineSeconds: ${ready ? 60 : 1}}
  readinessProbe: {exec: {command: [test, -f, /tmp/ready]}, periodSeconds: 1, timeoutSeconds: 10}
`;

/** Each slot as the node that runs it reports it: a node's own statuses are never stale on itself. */
async function truth(nodes: readonly ShoalNodeProcess[]): Promise<PlacementJson[]> {
  const views = await Promise.all(nodes.map(async (n) => (await placements(n)).filter((p) => p.node === n.peerId)));
  return views.flat();
}

async function rolloutOf(node: ShoalNodeProcess): Promise<RolloutJson> {
  return (await (await signedFetch(operatorKeyOf(node))(`${node.api}/v1/workloads/default/web/rollout`)).json()) as RolloutJson;
}

(docker === null ? test.skip : test)('a rolling update keeps replicas - maxUnavailable ready, and a revision that never gets ready rolls back by itself', async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-rollout-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', 'docker'] });
  const apply = async (text: string): Promise<void> => {
    writeFileSync(join(dir, 'web.yaml'), text);
    const run = await runShoal(['apply', '-f', join(dir, 'web.yaml'), '--api', (cluster.nodes[0] as ShoalNodeProcess).apiAddress, '--key', cluster.operatorKey]);
    assert.is(run.code, 0, run.stderr);
  };
  const allReadyIn = (slots: readonly PlacementJson[], count: number): string | undefined => {
    const versions = new Set(slots.map((s) => s.version));
    return slots.length === count && slots.every((s) => s.ready) && versions.size === 1 ? (slots[0]?.version ?? undefined) : undefined;
  };
  const allReadyOn = async (count: number): Promise<string | undefined> => allReadyIn(await truth(cluster.nodes), count);
  try {
    await waitForMembers(cluster.nodes[0]!.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 20_000);
    await apply(manifest('v1'));
    // Six first starts and readiness probes: past 40 s once at a load of 15. The rollout's own steps are what this test watches.
    const v1 = await until('v1 ready everywhere', () => allReadyOn(6), 120_000);

    await apply(manifest('v2'));
    let fewest = 6;
    // What the sample with the fewest ready slots showed, slot by slot: why a slot was down.
    let fewestSample = '';
    // A rollback of v2 ends the wait at once, with the reason its node gave.
    const rolledOut = await until(
      'v2 ready everywhere',
      async () => {
        const sample = await truth(cluster.nodes);
        const ready = sample.filter((s) => s.ready).length;
        if (ready < fewest) {
          fewest = ready;
          fewestSample = [...sample]
            .sort((a, b) => a.slot - b.slot)
            .map(
              (s) => `slot ${s.slot} ${s.version === v1 ? 'v1' : s.version === null ? 'not run' : 'v2'} ${s.state}${s.ready ? ' ready' : ''}${s.message ? ` (${s.message})` : ''}`,
            )
            .join('; ');
        }
        const rollout = await rolloutOf(cluster.nodes[0]!);
        if (rollout.rolledBackFrom !== null) return { rolledBack: rollout.revisions.find((r) => r.version === rollout.rolledBackFrom)?.failed ?? 'no reason recorded' };
        // Judged on the sample the bound was checked on, so the wait ends on no sample the bound did not see.
        const version = allReadyIn(sample, 6);
        return version !== undefined && version !== v1 ? { version } : undefined;
      },
      90_000,
    );
    assert.ok(rolledOut.version !== undefined, `v2 was rolled back: ${rolledOut.rolledBack}`);
    const v2 = rolledOut.version;
    assert.ok(fewest >= 6 - MAX_UNAVAILABLE, `at least replicas - maxUnavailable = ${6 - MAX_UNAVAILABLE} ready at every sample; saw ${fewest}: ${fewestSample}`);

    await apply(manifest('v3', false));
    const back = await until(
      'rolled back to v2 by itself',
      async () => {
        const r = await rolloutOf(cluster.nodes[1]!);
        return r.rolledBackFrom !== null && r.complete && (await allReadyOn(6)) === v2 ? r : undefined;
      },
      90_000,
    );
    assert.is(back.target, v2);
    const rolloutCli = (what: 'history' | 'status') => runShoal(['rollout', what, 'web', '--api', (cluster.nodes[2] as ShoalNodeProcess).apiAddress, '--key', cluster.operatorKey]);
    const [history, status] = await Promise.all([rolloutCli('history'), rolloutCli('status')]);
    assert.match(history.stdout, /failed: not ready within 1 s/);
    assert.is(status.code, 1, 'status says the rollout of the applied spec failed');
    assert.match(status.stdout, /rolled back to revision 2/);
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
