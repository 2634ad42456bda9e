import type Dockerode from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import type { ExecResult, LogOptions } from './runtime.js';

/**
 * Without a TTY the engine multiplexes stdout and stderr on one stream, each frame behind
 * an 8-byte header: [stream (1 out, 2 err), 0, 0, 0, length (uint32 BE)].
 */
export function demuxFrames(raw: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; ) {
    const length = raw.readUInt32BE(at + 4);
    (raw[at] === 2 ? err : out).push(raw.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

export async function* containerLogs(docker: Dockerode, id: string, options: LogOptions): AsyncIterable<Uint8Array> {
  const container = docker.getContainer(id);
  const base = {
    stdout: true,
    stderr: true,
    timestamps: false,
    since: options.sinceMs === undefined ? 0 : Math.floor(options.sinceMs / 1000),
    ...(options.tail === undefined ? {} : { tail: options.tail }),
  };
  if (!options.follow) {
    const { stdout, stderr } = demuxFrames(await container.logs({ ...base, follow: false }));
    yield Buffer.concat([stdout, stderr]);
    return;
  }
  const raw = (await container.logs({ ...base, follow: true })) as unknown as Readable;
  const lines = new PassThrough();
  docker.modem.demuxStream(raw, lines, lines);
  const end = (): void => {
    raw.destroy();
    lines.end();
  };
  raw.on('end', end);
  raw.on('error', end);
  options.signal.addEventListener('abort', end, { once: true });
  for await (const chunk of lines) yield chunk as Uint8Array;
}

/**
 * How long the engine may take, beyond the command's own time, to create an exec, start
 * it and report its exit: the kubelet's runtime request timeout. Without it a stalled
 * engine would hold a probe (and the prober's role with it) or an API exec for good.
 */
export const ENGINE_WAIT_MS = 120_000;

/** Runs a command in a container; `timeoutMs` is the command's, from its start, as a probe's timeout. */
export async function containerExec(docker: Dockerode, id: string, command: readonly string[], timeoutMs: number, engineWaitMs = ENGINE_WAIT_MS): Promise<ExecResult> {
  // A timer cleared at the end, not AbortSignal.timeout: that one would keep each exec's requests and listeners for two minutes.
  const deadline = new AbortController();
  const abortSignal = deadline.signal;
  const engineTimer = setTimeout(() => deadline.abort(), timeoutMs + engineWaitMs);
  try {
    const exec = await docker.getContainer(id).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true, abortSignal });
    const stream = (await exec.start({ hijack: true, stdin: false, abortSignal })) as unknown as Readable;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const collect = (s: PassThrough): Promise<string> =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
    const [out, err] = [collect(stdout), collect(stderr)];
    docker.modem.demuxStream(stream, stdout, stderr);
    const timer = setTimeout(() => stream.destroy(new Error(`exec did not end within ${timeoutMs} ms`)), timeoutMs);
    const stalled = (): void => void stream.destroy(new Error('the engine stalled'));
    abortSignal.addEventListener('abort', stalled, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
    } finally {
      clearTimeout(timer);
      abortSignal.removeEventListener('abort', stalled);
      stdout.end();
      stderr.end();
    }
    const { ExitCode } = await exec.inspect({ abortSignal });
    return { exitCode: ExitCode ?? -1, stdout: await out, stderr: await err };
  } catch (e) {
    if (abortSignal.aborted)
      throw new Error(`the engine did not run the exec within ${timeoutMs + engineWaitMs} ms (${timeoutMs} ms for the command, ${engineWaitMs} ms for the engine)`);
    throw e;
  } finally {
    clearTimeout(engineTimer);
  }
}
