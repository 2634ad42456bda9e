import type { AbortOptions, MultiaddrConnection, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { AbstractMultiaddrConnection, type SendResult } from '@libp2p/utils';
import type { XSalsa20Stream } from './xsalsa20-stream.js';

/** What sendData reads of the write queue (a Uint8ArrayList): its bytes, joined. */
interface QueuedBytes {
  readonly byteLength: number;
  subarray(): Uint8Array;
}

export interface PrivateConnectionInit {
  /** The transport's connection, after the nonce exchange. */
  raw: MultiaddrConnection;
  /** Encrypts what this side sends (keyed by this side's nonce). */
  outbound: XSalsa20Stream;
  /** Decrypts what the other side sends (keyed by its nonce). */
  inbound: XSalsa20Stream;
  /** The role the upgrade above takes, which the muxer reads from here: the transport's, unless a dial negotiates as the responder. */
  direction: MultiaddrConnection['direction'];
}

/**
 * The transport connection seen through the private network's cipher: bytes written
 * are encrypted before the transport gets them, bytes read are decrypted before anyone
 * above sees them. Flow control, closing and resets pass straight through.
 */
export class PrivateConnection extends AbstractMultiaddrConnection {
  private readonly raw: MultiaddrConnection;
  private readonly outbound: XSalsa20Stream;
  private readonly inbound: XSalsa20Stream;

  constructor(init: PrivateConnectionInit) {
    super({ remoteAddr: init.raw.remoteAddr, direction: init.direction, log: init.raw.log.newScope('private-network') });
    this.raw = init.raw;
    this.outbound = init.outbound;
    this.inbound = init.inbound;
    this.raw.addEventListener('message', (event) => this.receive(event));
    this.raw.addEventListener('drain', () => this.onMuxerDrain());
    this.raw.addEventListener('close', (event) => this.rawClosed(event));
  }

  /**
   * A failure (the transport already closing under a late write, or the keystream
   * running out) aborts this connection rather than throw at the writer: pnet's throw
   * here reached no handler and ended the process.
   */
  sendData(data: QueuedBytes): SendResult {
    try {
      return { sentBytes: data.byteLength, canSendMore: this.raw.send(this.outbound.xor(data.subarray())) };
    } catch (err) {
      this.abort(asError(err));
      return { sentBytes: data.byteLength, canSendMore: false };
    }
  }

  async sendClose(options?: AbortOptions): Promise<void> {
    await this.raw.close(options);
  }

  sendReset(err: Error): void {
    this.raw.abort(err);
  }

  sendPause(): void {
    this.raw.pause();
  }

  sendResume(): void {
    this.raw.resume();
  }

  /**
   * Runs inside the transport's event dispatch, where a throw would be uncaught and end
   * the process: a failure (the keystream running out) aborts this connection instead.
   */
  private receive(event: StreamMessageEvent): void {
    try {
      const parts = event.data instanceof Uint8Array ? [event.data] : event.data;
      for (const part of parts) this.onData(this.inbound.xor(part));
    } catch (err) {
      this.abort(asError(err));
    }
  }

  private rawClosed(event: StreamCloseEvent): void {
    if (event.error === undefined) this.onTransportClosed();
    else if (event.local === true) this.abort(event.error);
    else this.onRemoteReset();
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
