import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';
import { normalFingerprint } from '../node/api/tls.js';
import { FingerprintMismatchError } from './fingerprint-mismatch.js';

const agents = new Map<string, Agent>();

/**
 * How long a connection may take to be pinned: TCP's connect and TLS's handshake. undici
 * bounds its own connector so (10 s); a connector of one's own must. Unbounded, a server
 * that takes the connection and never handshakes (or a connect lost in the kernel's SYN
 * retries) held the request, and those undici queued behind it, with no end.
 */
export const PIN_TIMEOUT_MS = 10_000;

/**
 * A connection pool whose TLS connections are trusted by the certificate's SHA-256
 * fingerprint alone, as SSH trusts a host key: a node's API certificate is self-signed,
 * and an operator pins it (a context, a join token). The connection is handed to the
 * HTTP client only after the fingerprint matched, so not one byte of a request reaches
 * another server.
 */
function pinnedAgent(fingerprint: string): Agent {
  let agent = agents.get(fingerprint);
  if (agent !== undefined) return agent;
  agent = new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[|\]$/g, '');
      const socket = connect({
        host,
        port: Number(options.port) || 443,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      });
      const failed = (e: Error): void => {
        clearTimeout(timer);
        callback(e, null);
      };
      const timer = setTimeout(
        () => socket.destroy(new PinTimeoutError(`${host}:${options.port} did not complete a TLS handshake within ${PIN_TIMEOUT_MS / 1000} s`)),
        PIN_TIMEOUT_MS,
      );
      socket.once('error', failed);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        const seen = normalFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
        if (seen === fingerprint) return callback(null, socket);
        socket.destroy();
        callback(
          new FingerprintMismatchError(
            `the node at ${host}:${options.port} presented certificate ${seen.slice(0, 16)}…, not the pinned ${fingerprint.slice(0, 16)}…: another server answers there, or the node's data directory was replaced`,
          ),
          null,
        );
      });
    },
  });
  agents.set(fingerprint, agent);
  return agent;
}

export class PinTimeoutError extends Error {
  override readonly name = 'PinTimeoutError';
}

/** `fetch` to `https` URLs over a connection pinned to `fingerprint`. */
export const pinnedFetch = (fingerprint: string) => (url: string, init: RequestInit) =>
  undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: pinnedAgent(normalFingerprint(fingerprint)) }) as unknown as Promise<Response>;
