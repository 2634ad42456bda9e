import { uniformLatency, type Latency } from '../network.js';

/** What can go wrong around the schedulers, as data: a scenario is a value and a seed replays it. */
export interface SchedulingFaults {
  /** One-way delay of an answer message. */
  answerLatency: Latency;
  /** From a write at one node to its merge at another, while both are up and connected. */
  documentLatency: Latency;
  /** Answers only: the document itself is repaired by anti-entropy, so a write is late, never lost. */
  answerLossRate: number;
  /** From a crash or a cut to an observer marking the node dead: SWIM's detection time. */
  detectionMs: number;
  /** Observers notice at different moments, up to this much apart. */
  noticeJitterMs: number;
  /** From a heal or a restart to an observer marking the node alive again: a join's gossip. */
  rejoinMs: number;
  /**
   * Anti-entropy's time after a heal or a restart: for a write held back by the cut to
   * arrive, and for one exchange with a peer to complete. Long on a busy host.
   */
  repairLatency: Latency;
  /** Extra delay on every answer a node sends, by node: a live node on a busy host, slow but not dead. */
  slowNodes: Readonly<Record<string, number>>;
}

export const defaultSchedulingFaults = (): SchedulingFaults => ({
  answerLatency: uniformLatency(1, 10),
  documentLatency: uniformLatency(1, 10),
  answerLossRate: 0,
  detectionMs: 3_000,
  noticeJitterMs: 500,
  rejoinMs: 1_000,
  repairLatency: uniformLatency(1, 10),
  slowNodes: {},
});
