import { rmSync, writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import type { AutoscalersJson } from '../../protocol/api/autoscalers.js';
import type { PlacementJson } from '../../protocol/api/placements.js';
import type { LocalCluster } from '../../testnet/local/cluster.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';

/**
 * A workload whose replicas burn CPU while `switchFile` exists and sleep otherwise: load
 * that every replica, old and new, feels at once, as a request flood would. The burn runs
 * at nice 10 so the nodes, at 0, keep their share of a small machine; it still uses far
 * more than its 100m request, which is all the autoscaler compares it with. Idle, a
 * replica still forks a `sleep` a second, up to 15 ms of CPU on a loaded host: against
 * the 20m request this had, that read as 75% of it, over the 50% target, and a full run
 * scaled the idle workload up and down three times.
 */
export function burnerManifest(name: string, switchFile: string, behavior: { up: number; down: number }, bounds = { min: 1, max: 3 }): string {
  const script = `while :; do if [ -e ${switchFile} ]; then i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; else sleep 1; fi; done`;
  return `apiVersion: shoal/v1
kind: Workload
metadata: {name: ${name}}
spec:
  image: ignored:1
  command: [nice, -n, "10", sh, -c, ${JSON.stringify(script)}]
  replicas: 1
  resources: {cpu: 100m, memory: 16Mi}
  autoscale:
    minReplicas: ${bounds.min}
    maxReplicas: ${bounds.max}
    metrics: [{cpu: {targetPercent: 50}}]
    behavior: {scaleUpWindowSeconds: ${behavior.up}, scaleDownWindowSeconds: ${behavior.down}}
`;
}

/**
 * A workload whose replicas each serve `queue_depth` in Prometheus' text format on their
 * own address, the number `valueFile` holds: a custom metric the test moves by hand.
 */
export function queueManifest(name: string, valueFile: string): string {
  const script = `const fs = require('fs'); require('http').createServer((q, r) => { let v = '0'; try { v = fs.readFileSync(${JSON.stringify(valueFile)}, 'utf8').trim(); } catch {} r.end('# TYPE queue_depth gauge\\nqueue_depth{queue="a"} ' + v + '\\n'); }).listen(9464, process.env.SHOAL_REPLICA_IP);`;
  return `apiVersion: shoal/v1
kind: Workload
metadata: {name: ${name}}
spec:
  image: ignored:1
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(script)}]
  autoscale:
    minReplicas: 1
    maxReplicas: 3
    metrics: [{custom: {name: queue_depth, target: 10, port: 9464}}]
    behavior: {scaleDownWindowSeconds: 3}
`;
}

export const load = {
  on: (switchFile: string): void => writeFileSync(switchFile, ''),
  off: (switchFile: string): void => rmSync(switchFile, { force: true }),
};

export async function apply(cluster: LocalCluster, node: ShoalNodeProcess, file: string, manifest: string): Promise<void> {
  writeFileSync(file, manifest);
  const applied = await runShoal(['apply', '-f', file, '--api', node.apiAddress, '--key', cluster.operatorKey]);
  assert.is(applied.code, 0, applied.stderr);
}

export async function autoscalers(cluster: LocalCluster, node: ShoalNodeProcess): Promise<AutoscalersJson> {
  return (await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/autoscalers`)).json()) as AutoscalersJson;
}

/** Slots of `name` running (and ready) as `node` sees them. */
export async function running(cluster: LocalCluster, node: ShoalNodeProcess, name: string): Promise<number> {
  const placements = (await (await signedFetch(cluster.operatorKey)(`${node.api}/v1/placements`)).json()) as PlacementJson[];
  return placements.filter((p) => p.workload === `Workload/default/${name}` && p.state === 'running').length;
}

/**
 * The replica count `node` holds for `workload`, sampled every 200 ms until stopped: the
 * test checks the whole history (bounds, no turning back) rather than a few points.
 */
export class CountRecorder {
  readonly counts: { atMs: number; count: number }[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly cluster: LocalCluster,
    private node: ShoalNodeProcess,
    private readonly workload: string,
  ) {
    this.loop = this.run();
  }

  /** Samples from another node from now on: the one it watched is going away. */
  watch(node: ShoalNodeProcess): void {
    this.node = node;
  }

  async stop(): Promise<{ atMs: number; count: number }[]> {
    this.stopped = true;
    await this.loop;
    return this.counts;
  }

  /** The counts in the order they were seen, with repeats folded: [1, 3] is one step from 1 to 3. */
  steps(): number[] {
    return this.counts.map((c) => c.count).filter((c, i, all) => i === 0 || all[i - 1] !== c);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const status = (await autoscalers(this.cluster, this.node)).find((a) => a.workload === this.workload);
        if (status !== undefined) this.counts.push({ atMs: Date.now(), count: status.current });
      } catch {
        // The node watched was just killed; the test points the recorder at another.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
