import type { Stream } from '@libp2p/interface';

/** Bytes read ahead before the stream is paused: the muxer then stops granting the sender window. */
const HIGH_WATER_BYTES = 1024 * 1024;
/**
 * What may still arrive after a pause: the window the muxer granted before it (yamux
 * grows a stream's window to 16 MiB), with room to spare. Past it the stream is reset.
 */
const PAUSED_BUFFER_BYTES = 32 * 1024 * 1024;

/**
 * Hands the stream's bytes to `onChunk` one message at a time, pausing the stream while
 * they wait, so a sender faster than the disk (or the receiver's bandwidth cap) is held
 * back by the muxer's flow control instead of filling memory. A byte stream reader
 * (lpStream) reads ahead without bound and resets the stream at 4 MiB. A message comes
 * as the muxer's parts, not joined: joining them was a copy of every byte received, a
 * tenth of a receiver's time. Resolves when the remote ends its side, or once `done()`
 * says enough has come; rejects when the stream fails or `signal` aborts.
 */
export function readPaced(stream: Stream, onChunk: (parts: Uint8Array[], bytes: number) => Promise<void>, done: () => boolean, signal: AbortSignal): Promise<void> {
  // The header was read through a byte stream: what it read ahead was put back, and is dispatched once a listener is added.
  stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, PAUSED_BUFFER_BYTES);
  return new Promise((resolve, reject) => {
    let queued = 0;
    let work: Promise<void> = Promise.resolve();
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('close', onClose);
      stream.removeEventListener('end', onEnd);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onMessage = (event: { data: Uint8Array | Iterable<Uint8Array> }): void => {
      const parts = event.data instanceof Uint8Array ? [event.data] : [...event.data];
      const bytes = parts.reduce((sum, part) => sum + part.length, 0);
      queued += bytes;
      if (queued > HIGH_WATER_BYTES && stream.readStatus === 'readable') stream.pause();
      work = work.then(async () => {
        if (settled) return;
        await onChunk(parts, bytes);
        queued -= bytes;
        if (done()) return finish();
        if (queued <= HIGH_WATER_BYTES / 2 && stream.readStatus === 'paused') stream.resume();
      });
      work.catch(finish);
    };
    // The remote ended its side and every byte it sent was dispatched (a paused stream
    // emits 'end' only once resumed and drained): what came is all there is, once handed on.
    const onEnd = (): void => {
      work = work.then(() => finish()).catch(finish);
    };
    const onClose = (event: Event & { error?: Error }): void => {
      if (event.error !== undefined) finish(event.error);
      else onEnd();
    };
    const onAbort = (): void => finish(signal.reason);
    stream.addEventListener('message', onMessage);
    stream.addEventListener('close', onClose);
    stream.addEventListener('end', onEnd);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    else if (stream.readableEnded && stream.readBufferLength === 0) onEnd();
  });
}

/** Sends `chunk`, waiting for the stream to drain first when its write buffer is full. */
export async function sendPaced(stream: Stream, chunk: Uint8Array, signal: AbortSignal): Promise<void> {
  if (!stream.send(chunk)) await stream.onDrain({ signal });
}
