export { answerQuery, compareAnswer, firstQuery, MAX_QUERY_PREFIXES, type Comparison, type DigestAnswer, type DigestEntry, type DigestQuery } from './anti-entropy.js';
export {
  AUTHORITY_NAMESPACE,
  isAuthorityKey,
  MAX_PINNED_HEADS,
  NODE_KIND,
  nodeKey,
  OPERATOR_KIND,
  operatorKey,
  REVOCATION_KIND,
  revocationKey,
  type Genesis,
} from './authority.js';
export { decodeDelta, encodeDelta, MAX_DELTA_BYTES, MAX_PREV, OBJECT_KEY, parseDelta, type DeltaDecodeError } from './delta-codec.js';
export {
  deltaId,
  nobleVerifier,
  operatorPublicKey,
  signDelta,
  stampOf,
  verifyDelta,
  type Delta,
  type DeltaBody,
  type MessageSigner,
  type Op,
  type SignatureVerifier,
} from './delta.js';
export { DeltaDigest, type PrefixSummary } from './digest.js';
export { ClusterDocument, type ObjectValue } from './document.js';
export { compareHlc, HybridClock, MAX_HLC_COUNTER, readingAfter, type Hlc } from './hlc.js';
export { canonicalJson, type Json } from './json.js';
export { defaultReplicaOptions, Replica, type Accepted, type Equivocation, type Rejection, type RejectCode, type ReplicaOptions } from './replica.js';
export {
  ADMIN,
  describeGrant,
  grantAllowsWrite,
  grantFields,
  grantOf,
  mayDeployIn,
  mayExecIn,
  NAMESPACE,
  namespaceOf,
  OPERATOR_ROLES,
  type OperatorGrant,
  type OperatorRole,
} from './roles.js';
export { compareStamp, type Stamp } from './stamp.js';
