import type { Stream } from '@libp2p/interface';
import type { LengthPrefixedStream } from '@libp2p/utils';
import { err, type Result } from '../base/result.js';

export interface FrameError {
  code: string;
  detail: string;
}

/**
 * What lpStream throws for a frame longer than its maxDataLength (or a length prefix too
 * long to be one), and when a peer sends further ahead than its maxBufferSize.
 */
const REFUSED_ON_STREAM = new Map([
  ['InvalidDataLengthError', 'oversized'],
  ['InvalidDataLengthLengthError', 'oversized'],
  ['StreamBufferError', 'overflow'],
]);

export const countDrop = (dropped: Record<string, number>, code: string): void => {
  dropped[code] = (dropped[code] ?? 0) + 1;
};

/**
 * The next frame off a stream, decoded. A frame refused, by its length on the stream or
 * by the decoder, is counted in `dropped` by code and returned as the error; a stream
 * that fails otherwise (reset, time-out) throws.
 */
export async function readFrame<T>(
  lp: LengthPrefixedStream<Stream>,
  decode: (bytes: Uint8Array) => Result<T, FrameError>,
  dropped: Record<string, number>,
  signal: AbortSignal,
): Promise<Result<T, FrameError>> {
  let bytes: Uint8Array;
  try {
    bytes = (await lp.read({ signal })).subarray();
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    const code = REFUSED_ON_STREAM.get(e.name);
    if (code === undefined) throw e;
    countDrop(dropped, code);
    return err({ code, detail: e.message });
  }
  const decoded = decode(bytes);
  if (!decoded.ok) countDrop(dropped, decoded.error.code);
  return decoded;
}
