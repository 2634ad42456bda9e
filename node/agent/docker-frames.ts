import { Transform, type TransformCallback } from 'node:stream';

/**
 * Without a TTY the engine multiplexes stdout and stderr on one stream, each frame behind
 * an 8-byte header: [stream (1 out, 2 err), 0, 0, 0, length (uint32 BE)].
 */
const HEADER_BYTES = 8;
const STDERR = 2;

export function demuxFrames(raw: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let at = 0; at + HEADER_BYTES <= raw.length; ) {
    const length = raw.readUInt32BE(at + 4);
    (raw[at] === STDERR ? err : out).push(raw.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length));
    at += HEADER_BYTES + length;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

export interface DockerFrame {
  stderr: boolean;
  payload: Buffer;
}

/**
 * The engine's multiplexed stream as its frames, in a loop and with backpressure: a
 * reader that stops (a slow client of `shoal logs`) stops the engine's stream. Not
 * docker-modem's demuxStream, which writes on whatever the reader takes, copies what is
 * left of its buffer for every frame and recurses once a frame, so a chunk of many tiny
 * frames (a command printing a byte at a time) could overflow the stack in a handler.
 */
export class DockerFrames extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    while (at + HEADER_BYTES <= buffer.length) {
      const end = at + HEADER_BYTES + buffer.readUInt32BE(at + 4);
      if (end > buffer.length) break;
      if (end > at + HEADER_BYTES) this.push({ stderr: buffer[at] === STDERR, payload: buffer.subarray(at + HEADER_BYTES, end) } satisfies DockerFrame);
      at = end;
    }
    this.pending = buffer.subarray(at);
    done();
  }
}
