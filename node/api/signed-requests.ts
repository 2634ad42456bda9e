import { httpbis } from 'http-message-signatures';
import type { Clock } from '../../base/clock.js';
import type { OperatorGrant, Replica } from '../../crdt/index.js';
import type { ApiErrorCode } from '../../protocol/api/errors.js';
import type { SignedMessage } from '../../protocol/replica-requests.js';
import { nativeVerifier } from '../native-verifier.js';
import { NonceLedger } from '../nonce-ledger.js';
import { BODY_DIGEST, contentDigest, SIGNED_COMPONENTS } from '../request-signature.js';

/** A signature made this far from the node's clock, either way, is refused: the nonce ledger holds each for twice this. */
export const SIGNATURE_WINDOW_MS = 120_000;

export interface Caller {
  publicKey: string;
  grant: OperatorGrant;
}

const PUBLIC_KEY = /^[0-9a-f]{64}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/** Why a request is not taken: 401 (who are you), 403 (not you) or 429 (ledger full), with a sentence. */
export class Refusal extends Error {
  constructor(
    readonly status: 401 | 403 | 429,
    readonly reason: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const UNSIGNED = new Refusal(
  401,
  'unsigned',
  'the request is not signed: every request to the API is signed with an operator key (the shoal CLI does it; see the README, "The API")',
);

export const isSigned = (headers: Readonly<Record<string, unknown>>): boolean => headers.signature !== undefined && headers['signature-input'] !== undefined;

/**
 * Operators' signed requests (node/request-signature.ts), as this node judges them: the
 * API's, and an operator's request another node forwards to run here (an exec in a
 * replica this node runs), each by this node's clock, grants and nonce ledger. What the
 * document says of operators is read from `state.replica` at each request.
 */
export class SignedRequests {
  private readonly nonces = new NonceLedger();
  private readonly verify = nativeVerifier();

  constructor(
    private readonly state: { readonly replica: Replica },
    private readonly clock: Clock,
  ) {}

  /** An operator's key, signing now: its grant; else the refusal naming why. */
  checkSigner(keyid: string, createdMs: number): OperatorGrant {
    const nowMs = this.clock.nowMs();
    if (!(Math.abs(nowMs - createdMs) <= SIGNATURE_WINDOW_MS)) {
      const skewS = Math.round((createdMs - nowMs) / 1000);
      const when = `${Math.abs(skewS)} s ${skewS < 0 ? 'before' : 'after'} this node's time`;
      throw new Refusal(401, 'stale', `the request was signed ${when} (at most ${SIGNATURE_WINDOW_MS / 1000} s either way): check the clocks, or sign it anew`);
    }
    const grant = this.state.replica.operatorGrant(keyid);
    if (grant === undefined && this.state.replica.wasOperator(keyid))
      throw new Refusal(401, 'removed', `operator key ${keyid.slice(0, 16)}… was removed from the cluster's operators`);
    if (grant === undefined) throw new Refusal(401, 'not-an-operator', `key ${keyid.slice(0, 16)}… is not an operator of this cluster`);
    return grant;
  }

  /** The operator who signed `message`, once: its signature, time, nonce (used up here) and grant checked; else a Refusal. */
  async authenticate(message: SignedMessage): Promise<Caller> {
    const { headers, body } = message;
    if (!isSigned(headers)) throw UNSIGNED;
    if (body !== undefined && headers[BODY_DIGEST] !== contentDigest(body)) throw new Refusal(401, 'bad-digest', 'Content-Digest is missing or does not match the body');
    const nowMs = this.clock.nowMs();
    let caller: (Caller & { nonce: string; createdMs: number }) | undefined;
    let lookups = 0;
    let verified: boolean | null;
    try {
      verified = await httpbis.verifyMessage(
        {
          requiredParams: ['created', 'keyid', 'nonce'],
          requiredFields: [...SIGNED_COMPONENTS, ...(body === undefined ? [] : [BODY_DIGEST])],
          notAfter: Math.floor((nowMs + SIGNATURE_WINDOW_MS) / 1000),
          keyLookup: async (params) => {
            if (++lookups > 1) throw new Refusal(401, 'bad-signature', 'one signature per request');
            const { keyid, nonce, created } = params;
            if (typeof keyid !== 'string' || !PUBLIC_KEY.test(keyid)) throw new Refusal(401, 'bad-signature', 'keyid must be an operator public key (64 hex digits)');
            if (typeof nonce !== 'string' || !NONCE.test(nonce)) throw new Refusal(401, 'bad-signature', 'nonce must be 16-64 base64url characters');
            const createdMs = created instanceof Date ? created.getTime() : Number.NaN;
            const grant = this.checkSigner(keyid, createdMs);
            caller = { publicKey: keyid, grant, nonce, createdMs };
            return { id: keyid, algs: ['ed25519'], verify: async (data, signature) => this.verify(keyid, data, signature.toString('hex')) };
          },
        },
        { method: message.method, url: message.url, headers: headers as Record<string, string> },
      );
    } catch (e) {
      if (e instanceof Refusal) throw e;
      throw new Refusal(401, 'bad-signature', `the signature does not verify: ${(e as Error).message}`);
    }
    if (verified !== true || caller === undefined) throw new Refusal(401, 'bad-signature', 'the signature does not verify');
    const used = this.nonces.use(caller.publicKey, caller.nonce, caller.createdMs + SIGNATURE_WINDOW_MS, nowMs);
    if (used === 'replayed') throw new Refusal(401, 'replayed', 'this signed request was already used: sign each request anew');
    if (used === 'full') throw new Refusal(429, 'busy', 'too many signed requests from this key within the window: retry later');
    return { publicKey: caller.publicKey, grant: caller.grant };
  }
}
