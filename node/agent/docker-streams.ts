import type Dockerode from 'dockerode';
import { pipeline, type Readable } from 'node:stream';
import { type DockerFrame, DockerFrames } from './docker-frames.js';
import { OutputTail } from './output-tail.js';
import type { ExecResult, LogOptions } from './runtime.js';

/** The engine's multiplexed stream of a container's logs, streamed even when not followed: the engine's whole log, held at once, could outgrow what a string can hold. */
function logStream(docker: Dockerode, id: string, options: Record<string, unknown>): Promise<Readable> {
  return new Promise((resolve, reject) =>
    docker.modem.dial(
      { path: `/containers/${id}/logs?`, method: 'GET', isStream: true, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' }, options },
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as Readable)),
    ),
  );
}

export async function* containerLogs(docker: Dockerode, id: string, options: LogOptions): AsyncIterable<Uint8Array> {
  const raw = await logStream(docker, id, {
    stdout: true,
    stderr: true,
    timestamps: false,
    follow: options.follow,
    since: options.sinceMs === undefined ? 0 : Math.floor(options.sinceMs / 1000),
    ...(options.tail === undefined ? {} : { tail: options.tail }),
  });
  const frames = pipeline(raw, new DockerFrames(), () => {});
  const end = (): void => void raw.destroy();
  options.signal.addEventListener('abort', end, { once: true });
  try {
    for await (const frame of frames as AsyncIterable<DockerFrame>) yield frame.payload;
  } catch (e) {
    if (!options.signal.aborted) throw e;
  } finally {
    options.signal.removeEventListener('abort', end);
    raw.destroy();
  }
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
    const stdout = new OutputTail();
    const stderr = new OutputTail();
    const timer = setTimeout(() => stream.destroy(new Error(`exec did not end within ${timeoutMs} ms`)), timeoutMs);
    const stalled = (): void => void stream.destroy(new Error('the engine stalled'));
    abortSignal.addEventListener('abort', stalled, { once: true });
    try {
      for await (const frame of pipeline(stream, new DockerFrames(), () => {}) as AsyncIterable<DockerFrame>) (frame.stderr ? stderr : stdout).push(frame.payload);
    } finally {
      clearTimeout(timer);
      abortSignal.removeEventListener('abort', stalled);
    }
    const { ExitCode } = await exec.inspect({ abortSignal });
    return { exitCode: ExitCode ?? -1, stdout: stdout.text(), stderr: stderr.text() };
  } catch (e) {
    if (abortSignal.aborted)
      throw new Error(`the engine did not run the exec within ${timeoutMs + engineWaitMs} ms (${timeoutMs} ms for the command, ${engineWaitMs} ms for the engine)`);
    throw e;
  } finally {
    clearTimeout(engineTimer);
  }
}
