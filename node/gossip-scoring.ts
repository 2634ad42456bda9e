import { createPeerScoreParams, createPeerScoreThresholds, createTopicScoreParams, type PeerScoreParams, type PeerScoreThresholds } from '@libp2p/gossipsub/score';

/**
 * Gossipsub peer scoring for Shoal's topics, the state deltas and replica usage. The aim is narrow:
 * a peer that keeps sending deltas the validator rejects (malformed, badly signed,
 * unauthorised) drops below the graylist threshold after a handful, and the node then
 * ignores everything it sends; an honest peer in a quiet cluster, where writes are
 * rare, is never penalised for relaying little.
 *
 * Scores are sums of weighted counters (see computeScore in @libp2p/gossipsub): the
 * positive parts are capped at TOPIC_SCORE_CAP, the negative ones are not.
 */

/** Counters decay once a second, the smallest interval gossipsub allows (one heartbeat). */
const DECAY_INTERVAL_MS = 1_000;

/** The per-interval factor that halves a counter every `halfLifeMs`. */
const halvingEvery = (halfLifeMs: number): number => 0.5 ** (DECAY_INTERVAL_MS / halfLifeMs);

const MINUTE_MS = 60_000;

/**
 * The most a peer earns from the topic: 5 for an hour in the mesh plus 5 for first
 * deliveries. Small next to the penalties, so good behaviour cannot buy room to flood.
 */
const TOPIC_SCORE_CAP = 10;

export const stateScoreThresholds: PeerScoreThresholds = createPeerScoreThresholds({
  // Below this no IHAVE/IWANT gossip is exchanged with the peer: two rejected deltas
  // (2² × −4 = −16) are enough; one (−4) is not, as an honest peer can relay a delta
  // this node refuses (one in a newer format, during a rolling upgrade).
  gossipThreshold: -10,
  // Below this the node no longer publishes its own writes to the peer: about four rejections.
  publishThreshold: -50,
  // Below this every RPC from the peer is dropped unread: five rejections (−100, still
  // under −80 with the full +10 earned), while four (−64) are not.
  graylistThreshold: -80,
  // Peer exchange is off (doPX) and membership comes from SWIM, so no score earns it.
  acceptPXThreshold: TOPIC_SCORE_CAP + 1,
  // When the median mesh peer has earned less than 12 minutes of mesh time (or is
  // penalised), gossipsub grafts better-scored peers in; higher would churn quiet meshes.
  opportunisticGraftThreshold: 1,
});

/**
 * The score parameters for a node whose state topic is `topic` and usage topic
 * `usage`. `colocationWhitelist` holds the addresses exempt from the IP-colocation
 * penalty (single-host testnets).
 */
export function gossipScoreParams(topic: string, usage: string, colocationWhitelist: Set<string>): PeerScoreParams {
  return createPeerScoreParams({
    topics: {
      // Usage summaries earn nothing (every node sends one every few seconds, so relaying
      // them shows nothing); a rejected one (malformed, or not its signer's own) costs
      // as a rejected delta does.
      [usage]: createTopicScoreParams({
        topicWeight: 1,
        timeInMeshWeight: 0,
        firstMessageDeliveriesWeight: 0,
        meshMessageDeliveriesWeight: 0,
        meshFailurePenaltyWeight: 0,
        invalidMessageDeliveriesWeight: -4,
        invalidMessageDeliveriesDecay: halvingEvery(10 * MINUTE_MS),
      }),
      [topic]: createTopicScoreParams({
        // The only scored topic, so its weight is the unit.
        topicWeight: 1,
        // P1, time in the mesh: a peer earns up to +5 over its first hour by staying,
        // which is all a quiet cluster's honest peer can show.
        timeInMeshWeight: 5 / 60,
        timeInMeshQuantum: MINUTE_MS,
        timeInMeshCap: 60,
        // P2, first deliveries of valid deltas: +1 each, at most +5, halving every 30
        // minutes since writes come in bursts a long time apart.
        firstMessageDeliveriesWeight: 1,
        firstMessageDeliveriesCap: 5,
        firstMessageDeliveriesDecay: halvingEvery(30 * MINUTE_MS),
        // P3 and P3b, too few mesh deliveries: off. Writes are rare, so an honest mesh
        // peer usually relays nothing, and penalising that would prune good peers. The
        // other P3 fields are unused while the weights are 0.
        meshMessageDeliveriesWeight: 0,
        meshFailurePenaltyWeight: 0,
        // P4, rejected deltas: the counter is squared, so −4 × k² reaches the graylist
        // at k = 5 (see stateScoreThresholds). It halves every 10 minutes: a flooder
        // that got 100 through stays graylisted for about 45 minutes, an honest relay
        // that forwarded one refused delta is forgiven within minutes.
        invalidMessageDeliveriesWeight: -4,
        invalidMessageDeliveriesDecay: halvingEvery(10 * MINUTE_MS),
      }),
    },
    topicScoreCap: TOPIC_SCORE_CAP,
    // P5: Shoal has no reputation of its own to add; members are vetted by the cluster key.
    appSpecificScore: () => 0,
    appSpecificWeight: 0,
    // P6, many peers behind one IP: the library's values (−5 × surplus² past 10 peers)
    // make a Sybil attack from one machine expensive; whitelisted networks are exempt.
    IPColocationFactorWeight: -5,
    IPColocationFactorThreshold: 10,
    IPColocationFactorWhitelist: colocationWhitelist,
    // P7, broken gossip promises (IWANT not answered) and GRAFTs during a backoff: six
    // are forgiven, since a loaded machine can miss a few; nine reach the graylist
    // (3² × −10 = −90). Halving every 10 minutes keeps a persistent offender down.
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: halvingEvery(10 * MINUTE_MS),
    decayInterval: DECAY_INTERVAL_MS,
    // A decayed counter under 0.1 is cleared rather than kept as noise.
    decayToZero: 0.1,
    // A disconnected peer's score is kept (undecayed) for an hour, so a graylisted
    // peer cannot wash its record by reconnecting.
    retainScore: 60 * MINUTE_MS,
  });
}
