import { MAX_FRAME_BYTES } from '../../base/limits.js';

/**
 * What an exec keeps of each of its streams: the last bytes, as many as one replica-stream
 * frame carries, so an answer is the same from this node and from a peer
 * (protocol/replica-access-codec.ts). A command that prints without end (a probe's
 * `cat /dev/zero`) would otherwise grow the node's memory until a string it cannot make
 * threw in a stream's handler.
 */
export const EXEC_OUTPUT_BYTES = MAX_FRAME_BYTES;

/** The last `limit` bytes written, kept as they come. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly limit = EXEC_OUTPUT_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes - (this.chunks[0]?.length ?? 0) >= this.limit) this.bytes -= (this.chunks.shift() as Buffer).length;
  }

  /** As text; a character cut at the start shows as U+FFFD. */
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}
