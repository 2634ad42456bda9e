import { spawn } from 'node:child_process';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { OutputTail } from './output-tail.js';
import type { ExecResult, LogOptions } from './runtime.js';

const FOLLOW_POLL_MS = 200;

/** What a read of a replica's output takes at once: a log of any size goes out in pieces, never held whole. */
const READ_BYTES = 64 * 1024;

/** Where the last `lines` lines of the file's first `size` bytes start, read backwards a piece at a time. */
async function tailStart(handle: FileHandle, size: number, lines: number): Promise<number> {
  if (lines === 0) return size;
  const piece = Buffer.alloc(READ_BYTES);
  let seen = 0;
  // A last line's newline ends it; it does not start another.
  let skipLast = true;
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - READ_BYTES);
    await handle.read(piece, 0, end - start, start);
    for (let at = end - start; at > 0; at--) {
      if (piece[at - 1] !== 0x0a) {
        skipLast = false;
        continue;
      }
      if (skipLast) {
        skipLast = false;
        continue;
      }
      if (++seen === lines) return start + at;
    }
    end = start;
  }
  return 0;
}

/** The bytes of the file from `from` to `to`, a piece at a time. */
async function* readRange(handle: FileHandle, from: number, to: number): AsyncIterable<Uint8Array> {
  for (let offset = from; offset < to; ) {
    const piece = Buffer.alloc(Math.min(READ_BYTES, to - offset));
    const { bytesRead } = await handle.read(piece, 0, piece.length, offset);
    if (bytesRead === 0) return;
    offset += bytesRead;
    yield piece.subarray(0, bytesRead);
  }
}

/** A process replica's output file; following polls its size, which works on every filesystem, unlike fs.watch. */
export async function* fileLogs(file: string, options: LogOptions): AsyncIterable<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    yield* readRange(handle, options.tail === undefined ? 0 : await tailStart(handle, size, options.tail), size);
    let offset = size;
    while (options.follow && !options.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      const now = (await stat(file).catch(() => undefined))?.size;
      if (now === undefined) return;
      if (now <= offset) continue;
      yield* readRange(handle, offset, now);
      offset = now;
    }
  } finally {
    await handle.close();
  }
}

/** A command beside the replica: its directory and its environment. */
export function execBeside(command: readonly string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] ?? '', command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    const stdout = new OutputTail();
    const stderr = new OutputTail();
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal === null ? -1 : 128 + 15), stdout: stdout.text(), stderr: stderr.text() }));
  });
}
