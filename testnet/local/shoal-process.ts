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

/** Runs `shoal ARGS` to completion. */
export function runShoal(args: string[], timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SHOAL_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/** Starts `shoal start ARGS` and resolves once it prints its API address. */
export function startShoal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ShoalNodeProcess> {
  const child = spawn(SHOAL_BIN, ['start', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHOAL_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const api = /API on (\S+)/.exec(out)?.[1];
      const peerId = /shoal node (\S+) started/.exec(out)?.[1];
      if (api !== undefined && peerId !== undefined) {
        const listen = [...out.matchAll(/listening on (\S+)/g)].map((m) => m[1] as string);
        const dataDir = args[args.indexOf('--data-dir') + 1] ?? '';
        resolve({ child, dataDir, peerId, listen, api, apiAddress: api.replace(/^http:\/\//, ''), output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`shoal start exited with ${code} before it was up:\n${out}`)));
  });
}
