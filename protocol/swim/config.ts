/**
 * Tuning for one SWIM node. Presets are functions of the expected cluster size so a
 * fleet does not hand-tune them; formulas that depend on the live size N are applied
 * per decision in formulas.ts.
 */
export interface SwimConfig {
  /** One probe per period: the SWIM paper's T'. memberlist's LAN default. */
  probeIntervalMs: number;
  /** Wait for a direct ack before asking others; a LAN round trip is far below it. */
  probeTimeoutMs: number;
  /** Members asked to probe indirectly (the paper's k). */
  indirectChecks: number;
  /** Lifeguard's alpha: minimum suspicion is alpha * log10(N) probe periods. */
  suspicionMultiplier: number;
  /** Lifeguard's beta: an unconfirmed suspicion waits beta times the minimum. */
  suspicionMaxMultiplier: number;
  /** Each node that hears a fresh suspicion re-probes the suspect with probability verifiers/N, so confirmations come fast. */
  suspicionVerifiers: number;
  /** Lambda: each update is retransmitted lambda * ceil(log10(N + 1)) times. */
  retransmitMultiplier: number;
  /** Gossip rounds run only while updates wait; memberlist's 200 ms spreads an update to 10,000 members in about 1.5 s. */
  gossipIntervalMs: number;
  gossipFanout: number;
  /** Full-state exchange with one random member; scaled up for large clusters (formulas.pushPullIntervalMs). */
  pushPullIntervalMs: number;
  /** How often a dead member is sent our state, so two sides of a healed partition find each other. */
  reconnectIntervalMs: number;
  /** Lifeguard's local health multiplier ceiling: a node that misses acks slows its own judgement up to this factor. */
  awarenessMax: number;
  /**
   * Lag evidence (the event-loop lag the driver measures or a member says it has, a timer
   * or a direct ack that came late) halves its weight in the local health score this often:
   * thirty probe periods, so a host that stalls now and then stays judged slow between its
   * stalls (with ten, a stall half a minute after the last was taken for a death in the
   * simulator), and one that recovered is back to its configured pace within minutes (lag.ts).
   */
  lagHalfLifeMs: number;
  /** Dead and left members stay listed this long so operators see them and stale rumours cannot resurrect them. */
  deadRetentionMs: number;
  /** Updates piggybacked on one message; a bounded message keeps latency and memory flat. */
  piggybackBytes: number;
  /** Bound on every message but a full-state sync. */
  maxMessageBytes: number;
  /** Bound on a full-state sync message (about 150 bytes per member). */
  maxSyncBytes: number;
}

const lan = (): SwimConfig => ({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMultiplier: 4,
  suspicionMaxMultiplier: 6,
  suspicionVerifiers: 3,
  retransmitMultiplier: 4,
  gossipIntervalMs: 200,
  gossipFanout: 3,
  pushPullIntervalMs: 30_000,
  reconnectIntervalMs: 10_000,
  awarenessMax: 8,
  lagHalfLifeMs: 30_000,
  deadRetentionMs: 60 * 60_000,
  piggybackBytes: 4096,
  maxMessageBytes: 64 * 1024,
  maxSyncBytes: 16 * 1024 * 1024,
});

/** Edge links lose more and answer slower: longer timeouts, more indirect checks. */
const edge = (): SwimConfig => ({
  ...lan(),
  probeIntervalMs: 2000,
  probeTimeoutMs: 1200,
  indirectChecks: 4,
  suspicionMultiplier: 5,
  gossipIntervalMs: 400,
  pushPullIntervalMs: 60_000,
  reconnectIntervalMs: 20_000,
  lagHalfLifeMs: 60_000,
});

/** One host (tests, loopback testnets): fast detection, since latency is microseconds. */
const local = (): SwimConfig => ({
  ...lan(),
  probeIntervalMs: 500,
  probeTimeoutMs: 200,
  suspicionMultiplier: 3,
  gossipIntervalMs: 100,
  pushPullIntervalMs: 10_000,
  reconnectIntervalMs: 3_000,
  lagHalfLifeMs: 15_000,
});

export const swimConfig = { lan, edge, local } as const;

export type SwimPreset = keyof typeof swimConfig;
