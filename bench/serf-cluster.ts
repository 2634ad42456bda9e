import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * HashiCorp Serf agents (Debian's `serf`, memberlist inside) on loopback: the peer Shoal's
 * membership is measured against. Each agent appends "<ms since the epoch> <name>" to its
 * own file when it declares a member failed, through Serf's event handler, so the time is
 * the agent's own and not when a reader happened to look.
 */
export interface SerfAgent {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
}

export interface SerfCluster {
  agents: SerfAgent[];
  /** Times (ms since the epoch) at which `agent` declared `member` failed. */
  failedAt(agent: SerfAgent, member: string): number[];
  stop(): Promise<void>;
}

const serfMembers = (rpc: string): Promise<{ code: number | null; stdout: string }> =>
  new Promise((resolve) => {
    const child = spawn('serf', ['members', '-rpc-addr', rpc, '-status', 'alive'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
  });

/** Polls `serf members` on the agent at `rpc` until it lists `count` alive members, or throws after `timeoutMs`. */
export async function waitForSerfMembers(rpc: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { code, stdout } = await serfMembers(rpc);
    if (code === 0 && stdout.trim().split('\n').filter(Boolean).length >= count) return;
    if (Date.now() > deadline) throw new Error(`serf at ${rpc} did not see ${count} alive members within ${timeoutMs} ms:\n${stdout}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts `nodes` agents (the first one, then the rest joining it) with `profile`; ports from `basePort` up, two per agent. */
export async function startSerfCluster(options: { dir: string; nodes: number; basePort: number; profile: 'lan' | 'local' | 'wan' }): Promise<SerfCluster> {
  mkdirSync(options.dir, { recursive: true });
  const agents: SerfAgent[] = [];
  const failedFile = (name: string): string => join(options.dir, `${name}.failed`);
  const start = (i: number): SerfAgent => {
    const name = `serf-${i + 1}`;
    const port = options.basePort + 2 * i;
    const args = ['agent', '-node', name, '-bind', `127.0.0.1:${port}`, '-rpc-addr', `127.0.0.1:${port + 1}`, '-profile', options.profile, '-log-level', 'warn'];
    args.push('-event-handler', `member-failed=while read member rest; do echo "$(date +%s%3N) $member" >> ${failedFile(name)}; done`);
    if (i > 0) args.push('-join', `127.0.0.1:${options.basePort}`);
    const child = spawn('serf', args, { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const agent = { name, child, pid: child.pid ?? -1, exited };
    agents.push(agent);
    return agent;
  };
  const stop = async (): Promise<void> => {
    for (const agent of agents) if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
    await Promise.all(agents.map((a) => a.exited));
  };
  try {
    start(0);
    await waitForSerfMembers(`127.0.0.1:${options.basePort + 1}`, 1, 30_000);
    for (let i = 1; i < options.nodes; i++) start(i);
    await waitForSerfMembers(`127.0.0.1:${options.basePort + 1}`, options.nodes, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const failedAt = (agent: SerfAgent, member: string): number[] => {
    let text = '';
    try {
      text = readFileSync(failedFile(agent.name), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, name]) => name === member)
      .map(([ms]) => Number(ms));
  };
  return { agents, failedAt, stop };
}
