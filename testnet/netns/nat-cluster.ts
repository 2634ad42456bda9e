import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HolePunchCounters } from '../../node/hole-punch.js';
import type { NodeJson } from '../../protocol/api/nodes.js';
import { LocalReplicas } from '../local/replicas.js';
import { runShoal, startShoal, type ShoalNodeProcess } from '../local/shoal-process.js';
import { poll } from '../poll.js';
import type { NatSiteOptions } from './nat-site.js';
import { makeNatTestnet, type NatTestnet } from './nat-testnet.js';

export type Place = 'public' | 'a' | 'b';

const P2P_PORT = 7370;
// Every node in a namespace of its own, so each has the same API address there.
const API = '127.0.0.1:7371';
const COMMON = ['--runtime', 'process', '--swim-preset', 'local', '--api', API];

/**
 * A Shoal cluster on a NAT testnet (nat-testnet.ts): a public node, the seed, which
 * advertises its address, and one node behind each NAT (labelled site=a, site=b), all on
 * the process runtime. What the tests and `npm run bench:nat` run on.
 */
export class NatCluster {
  private readonly nodes = new Map<Place, ShoalNodeProcess>();
  /** Every process started, restarts too: all are ended at stop. */
  private readonly started: ShoalNodeProcess[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), 'shoal-nat-'));
  private readonly key = join(this.root, 'operator.key');

  private constructor(readonly net: NatTestnet) {}

  /** Makes the testnet and starts the three nodes; on failure, removes all it made and throws. */
  static async start(unasked: NatSiteOptions['unasked']): Promise<NatCluster> {
    const cluster = new NatCluster(makeNatTestnet(unasked));
    try {
      const dataDir = join(cluster.root, 'public');
      const init = await runShoal(['init', '--data-dir', dataDir, '--key', cluster.key]);
      if (init.code !== 0) throw new Error(`shoal init: ${init.stderr}`);
      const address = `/ip4/${cluster.net.public.address}/tcp/${P2P_PORT}`;
      cluster.add('public', await startShoal(['--data-dir', dataDir, '--listen', address, '--advertise', address, ...COMMON], {}, cluster.namespace('public')));
      const token = (await runShoal(['token', '--data-dir', dataDir, '--port', String(P2P_PORT)])).stdout.trim();
      await cluster.startNatNode('a', ['--join', token]);
      await cluster.startNatNode('b', ['--join', token]);
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  node(place: Place): ShoalNodeProcess {
    const node = this.nodes.get(place);
    if (node === undefined) throw new Error(`no node at ${place}`);
    return node;
  }

  namespace(place: Place): string {
    return place === 'public' ? this.net.public.namespace : this.net.sites[place === 'a' ? 0 : 1].host;
  }

  /** Starts (or restarts, on its data directory) the node behind NAT `site`, with `join` (--join TOKEN or --seed ADDRESS). */
  async startNatNode(site: 'a' | 'b', join: string[]): Promise<ShoalNodeProcess> {
    const address = this.net.sites[site === 'a' ? 0 : 1].hostAddress;
    const args = ['--data-dir', this.dataDir(site), '--listen', `/ip4/${address}/tcp/${P2P_PORT}`, '--label', `site=${site}`, ...join, ...COMMON];
    const node = await startShoal(args, {}, this.namespace(site));
    this.add(site, node);
    return node;
  }

  /** Writes `text` to a file of the cluster's own (a manifest to apply); returns its path. */
  writeFile(name: string, text: string): string {
    const path = join(this.root, name);
    writeFileSync(path, text);
    return path;
  }

  /** A CLI command against a node's API, run inside that node's namespace. */
  cli(at: Place, args: string[]): ReturnType<typeof runShoal> {
    return runShoal([...args, '--api', API, '--key', this.key], { netns: this.namespace(at) });
  }

  async members(at: Place): Promise<NodeJson[] | undefined> {
    const result = await this.cli(at, ['nodes', '-o', 'json']);
    return result.code === 0 ? (JSON.parse(result.stdout) as NodeJson[]) : undefined;
  }

  /** How the node at `at` reaches the node at `of` now (REACH of `shoal nodes`). */
  async reach(at: Place, of: Place): Promise<string | null | undefined> {
    return (await this.members(at))?.find((m) => m.id === this.node(of).peerId)?.reach;
  }

  /** The hole punches the node at `at` dialled in (`holePunch` of `shoal status -o json`); undefined when it does not answer. */
  async holePunches(at: Place): Promise<HolePunchCounters | undefined> {
    const result = await this.cli(at, ['status', '-o', 'json']);
    return result.code === 0 ? (JSON.parse(result.stdout) as { holePunch?: HolePunchCounters }).holePunch : undefined;
  }

  /** Polls until every node in `at` sees every node in `of` in `state`. */
  async everySees(at: Place[], of: ShoalNodeProcess[], state: string, timeoutMs: number): Promise<void> {
    for (const observer of at) {
      await poll(
        `${observer} sees ${of.map((n) => n.peerId.slice(-6)).join(', ')} ${state}`,
        async () => {
          const list = await this.members(observer);
          return list !== undefined && of.every((n) => list.find((m) => m.id === n.peerId)?.state === state) ? true : undefined;
        },
        timeoutMs,
      );
    }
  }

  /**
   * Pushes an artifact of `bytes` random bytes to the node at `pushAt`, applies a
   * workload named `name` that runs on it at site `runOn`, and resolves with the time
   * from the apply to its replica running there: the fetch of the artifact from its
   * holder (found through the DHT) is most of it.
   */
  async runArtifact(name: string, bytes: number, pushAt: Place, runOn: 'a' | 'b'): Promise<number> {
    const dir = join(this.root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'blob'), randomBytes(bytes));
    const pushed = await this.cli(pushAt, ['artifact', 'push', dir]);
    const id = /sha256:[0-9a-f]{64}/.exec(pushed.stdout)?.[0];
    if (pushed.code !== 0 || id === undefined) throw new Error(`artifact push: ${pushed.stderr}`);
    const spec = [`  artifact: ${id}`, '  command: [sh, -c, "ls blob && sleep 3600"]', `  placement: {constraints: [{key: site, operator: "==", value: ${runOn}}]}`];
    const manifest = this.writeFile(`${name}.yaml`, ['apiVersion: shoal/v1', 'kind: Workload', `metadata: {name: ${name}}`, 'spec:', ...spec, ''].join('\n'));
    const appliedAt = Date.now();
    const applied = await this.cli('public', ['apply', '-f', manifest]);
    if (applied.code !== 0) throw new Error(`apply: ${applied.stderr}`);
    const on = this.node(runOn).peerId;
    await poll(
      `${name} running at ${runOn}`,
      async () => {
        const placements = await this.cli('public', ['get', 'placements', '-o', 'json']);
        if (placements.code !== 0) return undefined;
        const running = (JSON.parse(placements.stdout) as { name: string; state: string; node: string }[]).some((p) => p.name === name && p.state === 'running' && p.node === on);
        return running ? true : undefined;
      },
      300_000,
    );
    return Date.now() - appliedAt;
  }

  /** Ends every node it started and their replicas, then removes the namespaces (with their links and rules) and its files. */
  async stop(): Promise<void> {
    for (const node of this.started) node.child.kill('SIGKILL');
    await Promise.all(this.started.map((n) => n.exited));
    await new LocalReplicas('process').removeAll(this.started);
    this.net.remove();
    rmSync(this.root, { recursive: true, force: true });
  }

  private add(place: Place, node: ShoalNodeProcess): void {
    this.nodes.set(place, node);
    this.started.push(node);
  }

  private dataDir(place: Place): string {
    return join(this.root, place);
  }
}
