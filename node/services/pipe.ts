import type { Stream } from '@libp2p/interface';
import type { Socket } from 'node:net';

/**
 * Joins a TCP connection and a libp2p stream until both directions end: bytes each way
 * with back-pressure (a full side pauses the other), a half-close passed on as one, and
 * an error on either side resetting the other. Streams are read through their events,
 * not their async iterator (docs/design.md, "Reading streams").
 */
export function pipeSocketStream(socket: Socket, stream: Stream): Promise<void> {
  // A proxied connection may idle for long (a keep-alive client); TCP's own end and
  // errors close it, not libp2p's two-minute inactivity reset.
  stream.inactivityTimeout = 0;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      resolve();
    };
    const safely = (act: () => void): void => {
      try {
        act();
      } catch {
        // The stream is already closing: its own close event ends the pipe.
      }
    };
    stream.addEventListener('message', (event) => {
      const bytes = event.data instanceof Uint8Array ? event.data : event.data.subarray();
      if (!socket.write(bytes)) {
        safely(() => stream.pause());
        socket.once('drain', () => safely(() => stream.resume()));
      }
    });
    stream.addEventListener('remoteCloseWrite', () => socket.end(), { once: true });
    stream.addEventListener(
      'close',
      (event) => {
        if (event.error !== undefined) socket.destroy();
        else socket.end();
        settle();
      },
      { once: true },
    );
    socket.on('data', (chunk: Buffer) => {
      let more = true;
      try {
        more = stream.send(chunk);
      } catch (e) {
        socket.destroy(e as Error);
        return;
      }
      if (!more) {
        socket.pause();
        stream.onDrain().then(
          () => socket.resume(),
          () => socket.destroy(),
        );
      }
    });
    socket.once('end', () => void stream.close().catch(() => undefined));
    socket.once('error', (e) => stream.abort(e));
    socket.once('close', () => {
      if (stream.status === 'open') void stream.close().catch(() => stream.abort(new Error('the connection closed')));
      settle();
    });
    // Bytes the request's reader had buffered come as message events in this tick's
    // microtasks (lpStream's unwrap); an end the remote sent before the listeners were
    // on is not dispatched again, so it is looked for after them.
    setImmediate(() => {
      if (stream.readableEnded) socket.end();
    });
    socket.resume();
  });
}
