import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../node/package-root.js';

/** The `shoal` command itself, run through its shebang as a user runs it (compiled first). */
export const SHOAL_BIN = join(packageRoot(), 'bin', 'shoal.js');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ShoalRunOptions {
  timeoutMs?: number;
  /** A network namespace to run in (`ip netns exec`): another machine, as far as the network goes. */
  netns?: string;
  env?: NodeJS.ProcessEnv;
}

/** `shoal ARGS`, or in a network namespace `ip netns exec NS shoal ARGS`. */
const command = (args: string[], netns: string | undefined): [string, string[]] => (netns === undefined ? [SHOAL_BIN, args] : ['ip', ['netns', 'exec', netns, SHOAL_BIN, ...args]]);

/** Runs `shoal ARGS` to completion. */
export function runShoal(args: string[], options: ShoalRunOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(...command(args, options.netns), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ShoalNodeProcess {
  child: ChildProcess;
  /** The --data-dir it was started with. */
  dataDir: string;
  peerId: string;
  listen: string[];
  /** `http://host:port`. */
  api: string;
  /** `host:port`: what `--api` takes. */
  apiAddress: string;
  /** Its API certificate's fingerprint, when the API is served over TLS (any address but loopback). */
  apiFingerprint?: string;
  output(): string;
  /** The operator key (a file) a harness signs its API requests with: the cluster's genesis key, for a node of a LocalCluster. */
  operatorKey?: string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** The node's "started" log line (JSON: its output is not a terminal), once it has written it. */
function startRecord(output: string): { peerId: string; listen: string[]; api: string; apiFingerprint?: string } | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('"shoal node started"')) continue;
    try {
      const record = JSON.parse(line) as { peerId?: string; listen?: string[]; api?: string; apiFingerprint?: string };
      if (record.peerId !== undefined && record.listen !== undefined && record.api !== undefined) {
        return { peerId: record.peerId, listen: record.listen, api: record.api, ...(record.apiFingerprint === undefined ? {} : { apiFingerprint: record.apiFingerprint }) };
      }
    } catch {
      // A line cut short: the rest is still to come.
    }
  }
  return undefined;
}

/** Starts `shoal start ARGS` and resolves once it logs where it listens. */
export function startShoal(args: string[], env: NodeJS.ProcessEnv = {}, netns?: string): Promise<ShoalNodeProcess> {
  const child = spawn(...command(['start', ...args], netns), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHOAL_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const started = startRecord(out);
      if (started !== undefined) {
        const dataDir = args[args.indexOf('--data-dir') + 1] ?? '';
        resolve({ child, dataDir, ...started, apiAddress: started.api.replace(/^https?:\/\//, ''), output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`shoal start exited with ${code} before it was up:\n${out}`)));
  });
}

/** The operator key a harness signs `node`'s API requests with; a node started alone has none. */
export function operatorKeyOf(node: ShoalNodeProcess): string {
  if (node.operatorKey === undefined) throw new Error(`node ${node.peerId} was started alone: sign its requests with the key of its cluster`);
  return node.operatorKey;
}
