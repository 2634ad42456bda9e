import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { lpStream } from '@libp2p/utils';
import { MAX_FRAME_BYTES } from '../base/limits.js';
import {
  decodeExecOutput,
  decodeReplicaHeader,
  decodeReplicaRequest,
  encodeExecOutput,
  encodeReplicaHeader,
  encodeReplicaRequest,
  MAX_REQUEST_BYTES,
  type ReplicaRequest,
} from '../protocol/replica-access-codec.js';
import { execOf, logsOf, type SignedMessage } from '../protocol/replica-requests.js';
import type { Result } from '../base/result.js';
import { mayExecIn, namespaceOf } from '../crdt/index.js';
import { Refusal, type SignedRequests } from './api/signed-requests.js';
import type { ObservedReplica } from '../protocol/agent/replica.js';
import type { ContainerRuntime, ExecResult, ReplicaOwner } from './agent/runtime.js';
import { dialMember } from './dial-member.js';
import { UserError } from './errors.js';
import { readFrame } from './read-frame.js';
import type { SchedulerService } from './scheduler-service.js';
import type { SwimService } from './swim/service.js';

export const REPLICA_PROTOCOL = '/shoal/replica/1.0.0';
const REQUEST_TIMEOUT_MS = 10_000;

export interface ReplicaAccessCounters {
  /** Frames refused, by code: a request (answered with an error), or a header or exec result (the call fails). */
  dropped: Record<string, number>;
  /** Streams from peers that hold the cluster key but are no admitted node: refused unread. */
  refused: number;
}

/**
 * `shoal logs` and `shoal exec` from any node: the node asked finds where the slot runs
 * and, when that is another node, asks it over a libp2p stream. Each stream carries one
 * request frame, then a header frame ({} or { error }), then the answer: log chunks
 * until the end (or the reader's abort), or one exec result. A request carries the
 * operator's request as signed, which the node that runs the replica judges itself.
 */
export class ReplicaAccess {
  readonly counters: ReplicaAccessCounters = { dropped: {}, refused: 0 };

  constructor(
    private readonly host: Libp2p,
    private readonly runtime: ContainerRuntime,
    private readonly owner: ReplicaOwner,
    private readonly scheduler: SchedulerService,
    private readonly swim: SwimService,
    /** Whether a peer id is an admitted node: only those may ask at all (for what an operator signed). */
    private readonly admitted: (peerId: string) => boolean,
    /** Judges an operator's signed request, as this node's API does. */
    private readonly signedRequests: SignedRequests,
  ) {}

  async start(): Promise<void> {
    await this.host.handle(REPLICA_PROTOCOL, (stream, connection) => void this.serve(stream, connection), { maxInboundStreams: 64, runOnLimitedConnection: true });
  }

  async stop(): Promise<void> {
    await this.host.unhandle(REPLICA_PROTOCOL);
  }

  /** The logs an operator's signed request (judged by this node's API already) asks for. */
  async *logs(signed: SignedMessage, signal: AbortSignal): AsyncIterable<Uint8Array> {
    const logs = logsOf(signed);
    if (!logs.ok) throw new UserError(logs.error);
    const { workload, slot, ...options } = logs.value;
    const node = this.nodeOf(workload, slot);
    if (node === this.owner.node) {
      yield* this.runtime.logs(await this.localId(workload, slot), { ...options, signal });
      return;
    }
    const lp = await this.ask(node, { op: 'logs', request: forwarded(signed) }, signal);
    while (!signal.aborted) {
      const chunk = await lp.read({ signal }).catch(() => undefined);
      if (chunk === undefined) return;
      yield chunk.subarray();
    }
  }

  /** The exec an operator's signed request (judged by this node's API already) asks for. */
  async exec(signed: SignedMessage): Promise<ExecResult> {
    const exec = execOf(signed);
    if (!exec.ok) throw new UserError(exec.error);
    const { workload, slot, command, timeoutMs } = exec.value;
    const node = this.nodeOf(workload, slot);
    if (node === this.owner.node) return this.runtime.exec(await this.localId(workload, slot), command, timeoutMs);
    const signal = AbortSignal.timeout(timeoutMs + 5_000);
    const lp = await this.ask(node, { op: 'exec', request: forwarded(signed) }, signal);
    const result = await readFrame(lp, decodeExecOutput, this.counters.dropped, signal);
    if (!result.ok) throw new Error(`${node} answered with a bad exec result (${result.error.code}): ${result.error.detail}`);
    return result.value;
  }

  /** This node's peer id. */
  get self(): string {
    return this.owner.node;
  }

  /** This node's replicas as its runtime holds them now. */
  async local(): Promise<ObservedReplica[]> {
    return this.runtime.list(this.owner);
  }

  private nodeOf(workload: string, slot: number): string {
    const placed = this.scheduler.plan?.placed.find((p) => p.workload.key === workload && p.index === slot);
    if (placed !== undefined) return placed.assignment.node;
    // An object the document does not hold is not found; one that exists may have no replica there yet.
    const known = this.scheduler.view().workloads.some((w) => w.key === workload);
    throw new UserError(known ? `${workload} has no replica in slot ${slot} placed on a node` : `${workload} not found`);
  }

  private async localId(workload: string, slot: number): Promise<string> {
    const replicas = (await this.runtime.list(this.owner)).filter((r) => r.workload === workload && r.slot === slot);
    const replica = replicas.find((r) => r.state === 'running') ?? replicas[0];
    if (replica === undefined) throw new UserError(`slot ${slot} of ${workload} has no replica on ${this.owner.node} yet`);
    return replica.id;
  }

  private async ask(node: string, body: ReplicaRequest, signal: AbortSignal) {
    const stream = await dialMember(this.host, node, this.swim.member(node)?.record.addrs ?? [], REPLICA_PROTOCOL, signal);
    signal.addEventListener('abort', () => stream.abort(new Error('the reader went away')), { once: true });
    const lp = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES });
    await lp.write(encodeReplicaRequest(body), { signal });
    const header = await readFrame(lp, decodeReplicaHeader, this.counters.dropped, signal);
    if (!header.ok) throw new Error(`${node} answered with a bad header (${header.error.code}): ${header.error.detail}`);
    if (header.value.error !== undefined) throw new UserError(`${node}: ${header.value.error}`);
    return lp;
  }

  /**
   * A forwarded request runs only as its operator signed it, judged here: the signature,
   * its time and nonce (used up on this node too), and for an exec a grant to exec in the
   * workload's namespace (every operator reads logs). Before, any admitted node could run
   * any command in, and read the logs of, any replica.
   */
  private async judge<T extends { workload: string }>(signed: SignedMessage, read: (signed: SignedMessage) => Result<T, string>, exec: boolean): Promise<T> {
    const caller = await this.signedRequests.authenticate(signed);
    const request = read(signed);
    if (!request.ok) throw new Refusal(403, 'forbidden', request.error);
    const namespace = namespaceOf(request.value.workload);
    if (exec && !mayExecIn(caller.grant, namespace)) throw new Refusal(403, 'forbidden', `operator ${caller.publicKey.slice(0, 16)}… may not exec in namespace ${namespace}`);
    return request.value;
  }

  private async serve(stream: Stream, connection: Connection): Promise<void> {
    // The cluster key lets a process connect; exec runs code in a replica, so it takes an admitted node.
    if (!this.admitted(connection.remotePeer.toString())) {
      this.counters.refused++;
      stream.abort(new Error('refused: not an admitted node'));
      return;
    }
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES });
    const abort = new AbortController();
    let op = 'request';
    try {
      const parsed = await readFrame(lp, decodeReplicaRequest, this.counters.dropped, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
      if (!parsed.ok) {
        await lp.write(encodeReplicaHeader({ error: `bad request (${parsed.error.code}): ${parsed.error.detail}` }));
        return;
      }
      op = parsed.value.op;
      if (op === 'exec') {
        const { workload, slot, command, timeoutMs } = await this.judge(parsed.value.request, execOf, true);
        const id = await this.localId(workload, slot);
        await lp.write(encodeReplicaHeader({}));
        await lp.write(encodeExecOutput(await this.runtime.exec(id, command, timeoutMs)));
        return;
      }
      const { workload, slot, ...options } = await this.judge(parsed.value.request, logsOf, false);
      const id = await this.localId(workload, slot);
      await lp.write(encodeReplicaHeader({}));
      for await (const chunk of this.runtime.logs(id, { ...options, signal: abort.signal })) {
        for (let at = 0; at < chunk.length; at += MAX_FRAME_BYTES) await lp.write(chunk.subarray(at, at + MAX_FRAME_BYTES));
      }
    } catch (e) {
      if (e instanceof Refusal) this.counters.dropped[`${op}-${e.reason}`] = (this.counters.dropped[`${op}-${e.reason}`] ?? 0) + 1;
      await lp.write(encodeReplicaHeader({ error: (e as Error).message })).catch(() => undefined);
    } finally {
      abort.abort();
      await stream.close().catch(() => stream.abort(new Error('closed')));
    }
  }
}

/** The parts of an operator's request its signature covers: what the node that runs the replica judges. */
function forwarded(signed: SignedMessage): Extract<ReplicaRequest, { op: 'exec' }>['request'] {
  const { signature = '', 'signature-input': input = '', 'content-digest': digest } = signed.headers;
  return {
    method: signed.method,
    url: signed.url,
    headers: { signature, 'signature-input': input, ...(digest === undefined ? {} : { 'content-digest': digest }) },
    ...(signed.body === undefined ? {} : { body: signed.body }),
  };
}
