import type { PrivateKey } from '@libp2p/interface';
import { randomBytes } from 'node:crypto';
import { MAX_PREV, type MessageSigner, signDelta, type Op } from '../crdt/index.js';
import { nodeSigningKey } from './native-signer.js';
import type { StateService } from './state-service.js';

/**
 * The node's own writes to the document (placement decisions, replica status), signed
 * with its identity key. One at a time, so each takes the next sequence number and
 * names the one before it.
 */
export class NodeWriter {
  private readonly sign: MessageSigner;
  readonly publicKey: string;
  /** This run of the node as a writer: a restart starts a new sequence, not a clash with the old one. */
  private readonly writer = randomBytes(8).toString('hex');
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    privateKey: PrivateKey,
    private readonly cluster: string,
    private readonly state: StateService,
  ) {
    const key = nodeSigningKey(privateKey);
    this.sign = key.sign;
    this.publicKey = key.publicKey;
  }

  /** Stamped from the node's clock, the one its state checks deltas against (StateService.clock). */
  write(ops: Op[]): Promise<boolean> {
    const next = this.queue.then(async () => {
      const replica = this.state.replica;
      const heads = replica.heads(this.publicKey).slice(-MAX_PREV);
      const prev = heads.length > 0 ? { prev: heads } : {};
      const body = {
        v: 1 as const,
        cluster: this.cluster,
        author: this.publicKey,
        writer: this.writer,
        seq: replica.nextSeq(this.publicKey, this.writer),
        ...prev,
        hlc: replica.stampNow(this.state.clock.nowMs()),
        ops,
      };
      const result = await this.state.submit(signDelta(body, this.sign), 'self');
      return result.ok;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
