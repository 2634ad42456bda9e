import type { AbortOptions, ConnectionProtector, MultiaddrConnection } from '@libp2p/interface';
import { byteStream } from '@libp2p/utils';
import { ClusterKeyError } from './cluster-key.js';
import { PrivateConnection } from './private-connection.js';
import { XSalsa20Stream } from './xsalsa20-stream.js';

/**
 * The private network's handshake, byte for byte @libp2p/pnet's so either end may run
 * either: each side sends 24 random bytes, its nonce, then everything it sends is
 * XSalsa20 of the pre-shared key and its own nonce. A peer with another key completes
 * this exchange and then reads garbage: its next step (protocol negotiation) fails or
 * times out.
 */
const NONCE_BYTES = 24;
const KEY_BYTES = 32;
/** pnet's default: when the upgrader gives no deadline, a silent peer is dropped after this. */
const NONCE_TIMEOUT_MS = 1_000;
const SWARM_KEY_TAG = '/key/swarm/psk/1.0.0/';
const SWARM_KEY_CODEC = '/base16/';

/**
 * A libp2p connectionProtector keyed by a go-ipfs swarm.key (a cluster key): a drop-in
 * for pnet's preSharedKey({ psk }) on a pure-JS cipher, whose state is per connection.
 * Throws ClusterKeyError here, before any connection, when the key is malformed.
 */
export function privateNetwork(swarmKey: Uint8Array): () => ConnectionProtector {
  const key = decodeSwarmKey(swarmKey);
  return () => new PrivateNetworkProtector(key);
}

/** The 32 key bytes of swarm.key text: the tag line, the codec line, then 64 hex digits. */
export function decodeSwarmKey(swarmKey: Uint8Array): Uint8Array {
  const [tag, codec, hex = ''] = new TextDecoder().decode(swarmKey).split(/\r\n|\r|\n/);
  if (tag !== SWARM_KEY_TAG || codec !== SWARM_KEY_CODEC) {
    throw new ClusterKeyError(`cluster key is not a libp2p swarm key: it must start with the lines ${SWARM_KEY_TAG} and ${SWARM_KEY_CODEC}`);
  }
  if (!new RegExp(`^[0-9a-fA-F]{${2 * KEY_BYTES}}$`).test(hex)) {
    throw new ClusterKeyError(`cluster key must hold ${KEY_BYTES} bytes as ${2 * KEY_BYTES} hex digits on its third line`);
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

class PrivateNetworkProtector implements ConnectionProtector {
  constructor(private readonly key: Uint8Array) {}

  /**
   * libp2p's upgrader hands over the transport's MultiaddrConnection (the interface
   * names its supertype), whose address and direction the protected connection keeps.
   * A failed handshake aborts this connection only, and the upgrader drops it.
   */
  async protect(connection: MultiaddrConnection, options?: AbortOptions): Promise<MultiaddrConnection> {
    const localNonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    try {
      const { raw, remoteNonce } = await exchangeNonces(connection, localNonce, options);
      return new PrivateConnection({
        raw,
        outbound: new XSalsa20Stream(this.key, localNonce),
        inbound: new XSalsa20Stream(this.key, remoteNonce),
        direction: roleOf(connection, options),
      });
    } catch (err) {
      connection.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }
}

/**
 * The side a connection's upgrade takes. A hole punch's dial meets the other side's as
 * one TCP connection that both dialled, and one of them negotiates as the responder
 * (DCUtR's `initiator: false`, node/hole-punch.ts). libp2p's upgrader takes that role
 * for protocol selection and noise but hands the muxer a connection still marked
 * outbound, and yamux, which picks its side from that mark, then opens streams as a
 * second client (libp2p 3.3: "Both endpoints are clients"). So the connection this
 * protector returns, which everything above reads, carries the role.
 */
function roleOf(connection: MultiaddrConnection, options?: AbortOptions): MultiaddrConnection['direction'] {
  return options !== undefined && 'initiator' in options && options.initiator === false ? 'inbound' : connection.direction;
}

async function exchangeNonces(connection: MultiaddrConnection, localNonce: Uint8Array, options?: AbortOptions): Promise<{ raw: MultiaddrConnection; remoteNonce: Uint8Array }> {
  const signal = options?.signal ?? AbortSignal.timeout(NONCE_TIMEOUT_MS);
  const bytes = byteStream(connection);
  const [received] = await Promise.all([bytes.read({ bytes: NONCE_BYTES, signal }), bytes.write(localNonce, { signal })]);
  // A copy of its own, so the nonce holds on to no socket buffer for the connection's
  // life; unwrap() hands back any bytes read past the nonce, to be decrypted first.
  return { remoteNonce: Uint8Array.from(received.subarray()), raw: bytes.unwrap() };
}
