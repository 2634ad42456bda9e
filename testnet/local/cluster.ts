import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { signedFetch } from '../../cli/client.js';
import { runShoal, startShoal, type ShoalNodeProcess } from './shoal-process.js';

export interface LocalCluster {
  dir: string;
  /** The genesis operator's key: pass it as --key to write. */
  operatorKey: string;
  nodes: ShoalNodeProcess[];
  token: string;
  /** Adds one more node that joins through the first. */
  add(name: string, extraArgs?: string[]): Promise<ShoalNodeProcess>;
  /** Starts a node that has exited again, on its data directory, with the arguments it had. */
  restart(node: ShoalNodeProcess): Promise<ShoalNodeProcess>;
  /** SIGTERM to every node still running (a graceful leave), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface LocalClusterOptions {
  dir: string;
  nodes: number;
  preset?: 'lan' | 'local' | 'edge';
  /** More `shoal start` arguments for every node. */
  args?: string[];
  /** More `shoal start` arguments for one node, by its name (`node-1`, `node-2`, ...). */
  nodeArgs?: (name: string) => string[];
  /** More environment for one node's process, by its name: its own Docker engine (DOCKER_HOST), say. */
  nodeEnv?: (name: string) => NodeJS.ProcessEnv;
}

/** A cluster of real `shoal` processes on loopback, each with its own data directory and ports. */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const preset = ['--swim-preset', options.preset ?? 'local'];
  const common = (name: string): string[] => [
    '--data-dir',
    join(options.dir, name),
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    '127.0.0.1:0',
    ...preset,
    ...(options.args ?? []),
    ...(options.nodeArgs?.(name) ?? []),
  ];
  const operatorKey = join(options.dir, 'operator.key');
  const init = await runShoal(['init', '--data-dir', join(options.dir, 'node-1'), '--key', operatorKey]);
  if (init.code !== 0) throw new Error(`shoal init failed: ${init.stderr}`);
  const nodes: ShoalNodeProcess[] = [];
  try {
    const envOf = new Map<ShoalNodeProcess, NodeJS.ProcessEnv>();
    const started = async (args: string[], env: NodeJS.ProcessEnv): Promise<ShoalNodeProcess> => {
      const node = Object.assign(await startShoal(args, env), { operatorKey });
      envOf.set(node, env);
      return node;
    };
    nodes.push(await started(common('node-1'), options.nodeEnv?.('node-1') ?? {}));
    const argsOf = new Map<ShoalNodeProcess, string[]>([[nodes[0] as ShoalNodeProcess, common('node-1')]]);
    const tokenRun = await runShoal(['token', '--data-dir', join(options.dir, 'node-1')]);
    if (tokenRun.code !== 0) throw new Error(`shoal token failed: ${tokenRun.stderr}`);
    const token = tokenRun.stdout.trim();
    const add = async (name: string, extraArgs: string[] = []): Promise<ShoalNodeProcess> => {
      const args = [...common(name), '--join', token, ...extraArgs];
      const node = await started(args, options.nodeEnv?.(name) ?? {});
      argsOf.set(node, args);
      nodes.push(node);
      return node;
    };
    const restart = async (old: ShoalNodeProcess): Promise<ShoalNodeProcess> => {
      const args = argsOf.get(old);
      if (args === undefined) throw new Error(`node ${old.peerId} is not of this cluster`);
      if (old.child.exitCode === null && old.child.signalCode === null) throw new Error(`node ${old.peerId} is still running`);
      const node = await started(args, envOf.get(old) ?? {});
      argsOf.set(node, args);
      nodes[nodes.indexOf(old)] = node;
      return node;
    };
    await Promise.all(Array.from({ length: options.nodes - 1 }, (_, i) => add(`node-${i + 2}`)));
    return {
      dir: options.dir,
      operatorKey,
      nodes,
      token,
      add,
      restart,
      stop: (graceMs = 3_000) => stopAll(nodes, graceMs),
    };
  } catch (e) {
    await stopAll(nodes, 0);
    throw e;
  }
}

async function stopAll(nodes: readonly ShoalNodeProcess[], graceMs: number): Promise<void> {
  await Promise.all(
    nodes.map(async (node) => {
      if (node.child.exitCode !== null || node.child.signalCode !== null) return;
      node.child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      const timer = setTimeout(() => node.child.kill('SIGKILL'), graceMs);
      await node.exited;
      clearTimeout(timer);
    }),
  );
}

/** Polls `GET /v1/nodes` on `api`, signed with the operator key at `key`, until `predicate` holds, or throws after `timeoutMs`. */
export async function waitForMembers(
  api: string,
  key: string,
  predicate: (members: { id: string; state: string }[]) => boolean,
  timeoutMs: number,
): Promise<{ id: string; state: string }[]> {
  const fetchAs = signedFetch(key);
  const deadline = Date.now() + timeoutMs;
  let last: { id: string; state: string }[] = [];
  while (Date.now() < deadline) {
    try {
      last = (await (await fetchAs(`${api}/v1/nodes`)).json()) as { id: string; state: string }[];
      if (predicate(last)) return last;
    } catch {
      // the node may still be starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`members at ${api} never matched within ${timeoutMs} ms; last seen: ${JSON.stringify(last.map((m) => [m.id.slice(-6), m.state]))}`);
}
