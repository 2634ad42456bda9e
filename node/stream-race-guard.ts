import type { Logger } from 'pino';

/**
 * libp2p throws some stream errors from event listeners, where no caller can catch
 * them: a `drain` on a connection that is already closing raises `StreamStateError`
 * ("Cannot write to a stream that is closing", js-libp2p issue #3415, open), and a peer
 * that closes a connection as a stream opens can trigger it at will. Such an error
 * concerns one connection, which libp2p tears down anyway; it must not take the node
 * down. Any other uncaught error still ends the process, as Node would.
 */
const CONNECTION_ERRORS = new Set(['StreamStateError', 'StreamResetError', 'StreamClosedError', 'MuxerClosedError']);

export const streamRaceCounters = { survived: 0 };

export function guardStreamRaces(log: Logger): void {
  process.on('uncaughtException', (error) => {
    if (CONNECTION_ERRORS.has(error?.name)) {
      streamRaceCounters.survived++;
      log.warn({ error: error.message, name: error.name }, 'a libp2p stream error escaped its connection; the connection is gone, the node goes on');
      return;
    }
    log.fatal({ error: error?.stack ?? String(error) }, 'uncaught error');
    process.exit(1);
  });
}
