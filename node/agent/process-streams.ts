import { spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import type { ExecResult, LogOptions } from './runtime.js';

const FOLLOW_POLL_MS = 200;

/** The last `lines` lines of `text`, all of it when undefined. */
function tailOf(text: Buffer, lines: number | undefined): Buffer {
  if (lines === undefined) return text;
  let at = text.length;
  if (at > 0 && text[at - 1] === 0x0a) at--;
  for (let seen = 0; at > 0; at--) if (text[at - 1] === 0x0a && ++seen === lines) break;
  return text.subarray(at);
}

/** A process replica's output file; following polls its size, which works on every filesystem, unlike fs.watch. */
export async function* fileLogs(file: string, options: LogOptions): AsyncIterable<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(size);
    await handle.read(head, 0, size, 0);
    yield tailOf(head, options.tail);
    let offset = size;
    while (options.follow && !options.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      const now = (await stat(file).catch(() => undefined))?.size;
      if (now === undefined) return;
      if (now <= offset) continue;
      const chunk = Buffer.alloc(now - offset);
      await handle.read(chunk, 0, chunk.length, offset);
      offset = now;
      yield chunk;
    }
  } finally {
    await handle.close();
  }
}

/** A command beside the replica: its directory and its environment. */
export function execBeside(command: readonly string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] ?? '', command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal === null ? -1 : 128 + 15), stdout, stderr }));
  });
}
