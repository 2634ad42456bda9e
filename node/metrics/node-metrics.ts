import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Agent } from '../agent/agent.js';
import type { AntiEntropy } from '../anti-entropy.js';
import type { EventFeed } from '../event-feed.js';
import type { FrameTransportCounters } from '../frame-transport.js';
import type { ReplicaAccess } from '../replica-access.js';
import type { SchedulerService } from '../scheduler-service.js';
import type { Services } from '../services/services.js';
import type { StateService } from '../state-service.js';
import type { SwimService } from '../swim/service.js';
import type { UsageService } from '../usage/usage-service.js';
import type { AutoscaleService } from '../autoscale/autoscale-service.js';
import type { ContentService } from '../content/content-service.js';
import type { ArtifactCollectorCounters } from '../artifacts/artifact-collector.js';
import { byLabel, counterFrom, gaugeFrom, histogramFrom, type Sample } from './families.js';

export interface MetricsSources {
  swim: SwimService;
  /** The frame transports by protocol name (swim, scheduler). */
  transports: () => Readonly<Record<string, FrameTransportCounters | undefined>>;
  state: StateService;
  antiEntropy: AntiEntropy;
  scheduler: SchedulerService;
  agent: () => Agent | undefined;
  services: Services;
  feed: EventFeed;
  replicas: ReplicaAccess;
  usage: UsageService;
  autoscale: AutoscaleService;
  content: ContentService;
  /** The artifact store's quota and clean-up. */
  artifacts?: { counters: ArtifactCollectorCounters };
  /** Connections refused to and from removed nodes, and aborted when a removal arrived. */
  removedNodes: { counters: { refused: number; closed: number } };
}

const MEMBER_STATES = ['alive', 'suspect', 'dead', 'left'] as const;

/** The longest timer period Node accepts (about 24.8 days). */
const NEVER_MS = 2 ** 31 - 1;
/** What prom-client reads from its event-loop histogram (nodejs_eventloop_lag_seconds, timed at each scrape, stays). */
const PROM_CLIENT_LAG_HISTOGRAM = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((s) => `nodejs_eventloop_lag_${s}_seconds`);
/** Gauges named like counters: promtool (and Prometheus' own conventions) refuse them. */
const MISNAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
/** From on time to a node starved for seconds (SWIM's lag awareness acts above a few ms). */
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Round trips on a LAN to a busy edge link; decisions from the quick path to the edge preset's window. */
const RTT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const DECISION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 6, 9, 15, 30];
const PASS_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A node's Prometheus metrics, in base units with bounded labels: reasons and states are
 * the code's own enumerations, nodes the members. Most are read at scrape time from the
 * counters each service keeps for `/v1/status`; the histograms take what their source
 * recorded since the last scrape.
 */
export function createNodeMetrics(sources: MetricsSources): Registry {
  const registry = new Registry();
  // prom-client's event-loop histogram samples on a native timer every 10 ms: 100 wakeups
  // a second, most of an idle node's (docs/benchmarks.md, "Footprint").
  // It gets the longest period Node takes and its families go; the node's own lag monitor,
  // which SWIM reads anyway, feeds shoal_event_loop_lag_seconds instead.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: NEVER_MS });
  for (const unserved of [...PROM_CLIENT_LAG_HISTOGRAM, ...MISNAMED_GAUGES]) registry.removeSingleMetric(unserved);
  const { swim, state, antiEntropy, scheduler, services } = sources;

  // Membership
  gaugeFrom(registry, 'shoal_swim_members', 'Members this node knows, by SWIM state (itself included).', ['state'], () => {
    const counts = Object.fromEntries(MEMBER_STATES.map((s) => [s, 0])) as Record<string, number>;
    for (const m of swim.members()) counts[m.state] = (counts[m.state] ?? 0) + 1;
    return byLabel('state', counts);
  });
  counterFrom(registry, 'shoal_swim_probes_total', 'Probes this node sent.', [], () => [[{}, swim.stats.probes]]);
  counterFrom(registry, 'shoal_swim_probe_failures_total', 'Probes unanswered, directly and through helpers.', [], () => [[{}, swim.stats.probeFailures]]);
  histogramFrom(registry, 'shoal_swim_probe_rtt_seconds', 'Round trip of acknowledged direct probes.', RTT_BUCKETS, () => swim.takeProbeRoundTrips().map((ms) => ms / 1000));
  counterFrom(registry, 'shoal_swim_member_changes_total', "Changes of members' state this node saw, by change (suspect: suspicions).", ['change'], () =>
    byLabel('change', swim.changes as Record<string, number>),
  );
  counterFrom(registry, 'shoal_swim_refutations_total', 'Times this node refuted a suspicion or death about itself.', [], () => [[{}, swim.stats.refutations]]);
  counterFrom(registry, 'shoal_swim_false_deaths_total', 'Members this node held dead that came back alive.', [], () => [[{}, swim.falseDeaths]]);
  histogramFrom(registry, 'shoal_event_loop_lag_seconds', "The event loop's worst delay in each probe period: what SWIM's lag awareness reads.", LAG_BUCKETS, () =>
    swim.takeLagReadings().map((ms) => ms / 1000),
  );
  gaugeFrom(registry, 'shoal_swim_local_health', "Lifeguard's local health score: 0 is healthy, higher slows probes.", [], () => [[{}, swim.stats.healthScore]]);

  // Streams and gossip
  const transports = (): [string, FrameTransportCounters][] => Object.entries(sources.transports()).filter((e): e is [string, FrameTransportCounters] => e[1] !== undefined);
  counterFrom(registry, 'shoal_stream_frames_total', 'Frames sent and received, by protocol.', ['protocol', 'direction'], () =>
    transports().flatMap(([protocol, c]): Sample[] => [
      [{ protocol, direction: 'out' }, c.sent],
      [{ protocol, direction: 'in' }, c.received],
    ]),
  );
  counterFrom(registry, 'shoal_stream_bytes_total', 'Frame bytes sent and received, by protocol.', ['protocol', 'direction'], () => [
    ...transports().flatMap(([protocol, c]): Sample[] => [
      [{ protocol, direction: 'out' }, c.sentBytes],
      [{ protocol, direction: 'in' }, c.receivedBytes],
    ]),
    [{ protocol: 'anti-entropy', direction: 'out' }, antiEntropy.counters.bytesSent],
    [{ protocol: 'anti-entropy', direction: 'in' }, antiEntropy.counters.bytesReceived],
  ]);
  counterFrom(registry, 'shoal_messages_dropped_total', 'Network input dropped or refused, by where it arrived and why.', ['source', 'reason'], () => [
    ...transports().flatMap(([protocol, c]): Sample[] => [
      [{ source: protocol, reason: 'oversized' }, c.droppedOversized],
      [{ source: protocol, reason: 'malformed' }, c.droppedMalformed],
      [{ source: protocol, reason: 'busy' }, c.droppedBusy],
      [{ source: protocol, reason: 'handler-failure' }, c.handlerFailures],
      [{ source: protocol, reason: 'send-failure' }, c.sendFailures],
    ]),
    ...byLabel('reason', swim.counters.dropped, { source: 'swim-message' }),
    ...byLabel('reason', swim.counters.refused, { source: 'swim-update' }),
    ...byLabel('reason', scheduler.counters.dropped, { source: 'scheduler-answer' }),
    ...byLabel('reason', state.counters.rejected, { source: 'delta' }),
    ...byLabel('reason', antiEntropy.counters.dropped, { source: 'anti-entropy' }),
    ...byLabel('reason', sources.feed.counters.dropped, { source: 'event-feed' }),
    ...byLabel('reason', sources.replicas.counters.dropped, { source: 'replica-stream' }),
    [{ source: 'replica-stream', reason: 'not-admitted' }, sources.replicas.counters.refused],
    ...byLabel('reason', services.mesh.counters.dropped, { source: 'mesh' }),
    ...byLabel('reason', services.mesh.counters.refused, { source: 'mesh-refused' }),
    ...byLabel('reason', services.dns.counters.dropped, { source: 'dns' }),
    ...byLabel('reason', sources.usage.counters.dropped, { source: 'usage' }),
    [{ source: 'connection', reason: 'removed-node' }, sources.removedNodes.counters.refused],
    [{ source: 'connection', reason: 'removed-node-closed' }, sources.removedNodes.counters.closed],
  ]);

  // State
  counterFrom(registry, 'shoal_state_deltas_accepted_total', 'Deltas merged into the document, from any source.', [], () => [[{}, state.counters.accepted]]);
  counterFrom(registry, 'shoal_state_equivocations_total', 'Authors seen signing two deltas at one place of their chain.', [], () => [[{}, state.counters.equivocations]]);
  gaugeFrom(registry, 'shoal_state_deltas', 'Deltas this node holds.', [], () => [[{}, state.replica.size]]);
  gaugeFrom(registry, 'shoal_state_objects', 'Objects in the document, tombstones included.', [], () => [[{}, state.replica.document.size]]);
  gaugeFrom(registry, 'shoal_state_ready', '1 while the node accepts writes (its store is writable).', [], () => [[{}, state.ready ? 1 : 0]]);
  counterFrom(registry, 'shoal_anti_entropy_rounds_total', 'Rounds of digest comparison this node asked for.', [], () => [[{}, antiEntropy.counters.rounds]]);
  counterFrom(registry, 'shoal_anti_entropy_exchanges_total', 'Anti-entropy exchanges this node started, by result.', ['result'], () => [
    [{ result: 'completed' }, antiEntropy.counters.exchanges - antiEntropy.counters.failed],
    [{ result: 'failed' }, antiEntropy.counters.failed],
  ]);
  gaugeFrom(registry, 'shoal_anti_entropy_digest_age_seconds', "Since this node's digest last matched a peer's (a completed exchange); absent before the first.", [], () =>
    antiEntropy.lastCompleteAtMs === undefined ? [] : [[{}, (state.clock.nowMs() - antiEntropy.lastCompleteAtMs) / 1000]],
  );
  counterFrom(registry, 'shoal_anti_entropy_deltas_total', 'Deltas repaired through anti-entropy, by direction.', ['direction'], () => [
    [{ direction: 'in' }, antiEntropy.counters.deltasReceived],
    [{ direction: 'out' }, antiEntropy.counters.deltasSent],
  ]);

  // Scheduling
  counterFrom(registry, 'shoal_scheduler_auctions_opened_total', 'Auctions this node collected answers for.', [], () => [[{}, scheduler.auctionsOpened]]);
  counterFrom(registry, 'shoal_scheduler_decisions_total', 'Decisions this node wrote as a collector, by outcome.', ['outcome'], () => [
    [{ outcome: 'placed' }, scheduler.decisions.placed],
    [{ outcome: 'unschedulable' }, scheduler.decisions.unschedulable],
  ]);
  histogramFrom(registry, 'shoal_scheduler_decision_seconds', 'From an auction opening on this node to its decision.', DECISION_BUCKETS, () => scheduler.takeDecisionSeconds());
  counterFrom(registry, 'shoal_scheduler_unschedulable_declines_total', "Nodes' declines in auctions that placed nothing, by reason.", ['reason'], () =>
    byLabel('reason', scheduler.decisions.declines),
  );
  gaugeFrom(registry, 'shoal_scheduler_placements', "Slots placed on each node, in this node's plan.", ['node'], () => {
    const counts: Record<string, number> = {};
    for (const slot of scheduler.plan?.placed ?? []) counts[slot.assignment.node] = (counts[slot.assignment.node] ?? 0) + 1;
    return byLabel('node', counts);
  });
  counterFrom(registry, 'shoal_scheduler_answers_total', 'Auction answers (bids and declines) sent and received.', ['direction'], () => [
    [{ direction: 'out' }, scheduler.counters.answersSent],
    [{ direction: 'in' }, scheduler.counters.answersReceived],
  ]);

  // Agent
  gaugeFrom(registry, 'shoal_agent_replicas', "This node's replicas after the agent's last pass, by state.", ['state'], () =>
    byLabel('state', sources.agent()?.stats.replicasByState ?? {}),
  );
  counterFrom(
    registry,
    'shoal_agent_actions_total',
    'What the agent did to replicas, by action (started, restarted, stopped, start-failed, unhealthy: a liveness probe failed).',
    ['action'],
    () => byLabel('action', sources.agent()?.stats.actions ?? {}),
  );
  histogramFrom(registry, 'shoal_agent_reconcile_seconds', 'One pass of the agent: list, reconcile, act, report.', PASS_BUCKETS, () => sources.agent()?.takePassSeconds() ?? []);

  // Usage: this node's own replicas only, so the series are bounded by what it runs.
  const ownReplicas = () => sources.usage.workloads().flatMap((w) => w.replicas.filter((r) => r.node === swim.id).map((r) => ({ ...r, workload: w.workload })));
  gaugeFrom(registry, 'shoal_replica_cpu_usage_cores', 'CPU a replica on this node used over the last sampling interval, in cores.', ['workload', 'slot'], () =>
    ownReplicas().map((r): Sample => [{ workload: r.workload, slot: String(r.slot) }, r.cpuMillis / 1000]),
  );
  gaugeFrom(
    registry,
    'shoal_replica_memory_usage_bytes',
    'Memory a replica on this node holds (resident, or the cgroup usage less inactive file pages).',
    ['workload', 'slot'],
    () => ownReplicas().map((r): Sample => [{ workload: r.workload, slot: String(r.slot) }, r.memoryBytes]),
  );
  counterFrom(registry, 'shoal_usage_summaries_total', 'Usage summaries this node published and received.', ['direction'], () => [
    [{ direction: 'out' }, sources.usage.counters.published],
    [{ direction: 'in' }, sources.usage.counters.received],
  ]);

  // Autoscaling: one series per autoscaled workload, on every node (each runs the rounds).
  gaugeFrom(registry, 'shoal_autoscale_replicas', "An autoscaled workload's replica count now, and where its metrics and windows would take it.", ['workload', 'kind'], () =>
    sources.autoscale.statuses().flatMap((a): Sample[] => [
      [{ workload: a.workload, kind: 'current' }, a.current],
      [{ workload: a.workload, kind: 'desired' }, a.desired],
    ]),
  );
  counterFrom(registry, 'shoal_autoscale_decisions_total', 'Autoscale decisions this node wrote as a decider.', [], () => [[{}, sources.autoscale.counters.decisions]]);

  // Images and artifacts from peers (node/content)
  const { content } = sources;
  counterFrom(registry, 'shoal_content_fetches_total', 'Images and artifacts this node fetched from peers, by result.', ['result'], () => [
    [{ result: 'fetched' }, content.counters.fetched],
    [{ result: 'failed' }, content.counters.failures],
  ]);
  counterFrom(
    registry,
    'shoal_content_layered_fetches_total',
    'Images fetched as their config and the layers the engine lacked, by result (fell-back: fetched whole after all).',
    ['result'],
    () => [
      [{ result: 'fetched' }, content.counters.layered],
      [{ result: 'fell-back' }, content.counters.layeredFailures],
    ],
  );
  counterFrom(registry, 'shoal_content_received_bytes_total', 'Bytes of images and artifacts received from peers (a resume counts only what it added).', [], () => [
    [{}, content.counters.fetchedBytes],
  ]);
  counterFrom(registry, 'shoal_content_resumes_total', 'Transfers that resumed where a dropped one stopped.', [], () => [[{}, content.counters.resumed]]);
  counterFrom(registry, 'shoal_content_mismatches_total', 'Transfers refused because the bytes did not match the content id (corrupted or forged).', [], () => [
    [{}, content.counters.mismatches],
  ]);
  counterFrom(registry, 'shoal_content_served_bytes_total', 'Bytes of images and artifacts this node served to peers.', [], () => [[{}, content.serving?.servedBytes ?? 0]]);
  counterFrom(registry, 'shoal_content_requests_refused_total', 'Requests for content this node refused, by reason.', ['reason'], () =>
    byLabel('reason', { ...content.serving?.refused, ...content.serving?.dropped }),
  );
  gaugeFrom(registry, 'shoal_content_transfers', 'Transfers to this node under way.', [], () => [[{}, content.transfersInProgress().length]]);
  const { artifacts } = sources;
  if (artifacts !== undefined) {
    counterFrom(
      registry,
      'shoal_artifacts_removed_total',
      'Artifacts the store removed: named by no workload, unused past their grace, or least recently used while over its quota.',
      [],
      () => [[{}, artifacts.counters.removed]],
    );
    counterFrom(registry, 'shoal_artifacts_removed_bytes_total', 'Bytes of the artifacts the store removed (tars and their files).', [], () => [
      [{}, artifacts.counters.removedBytes],
    ]);
    counterFrom(registry, 'shoal_artifacts_refused_total', 'Artifacts refused for want of room within the store quota (uploads and fetches).', [], () => [
      [{}, artifacts.counters.refused],
    ]);
  }
  gaugeFrom(registry, 'shoal_content_announced', 'Images and artifacts this node announces in the DHT.', [], () => [[{}, content.counters.announced - content.counters.withdrawn]]);

  // Services
  counterFrom(registry, 'shoal_mesh_connections_total', 'Service connections, by result.', ['result'], () => [
    [{ result: 'routed' }, services.mesh.counters.routed],
    [{ result: 'retried' }, services.mesh.counters.retried],
    [{ result: 'failed' }, services.mesh.counters.failed],
  ]);
  counterFrom(registry, 'shoal_dns_queries_total', 'DNS queries, by how they were answered.', ['result'], () => [
    [{ result: 'answered' }, services.dns.counters.answered],
    [{ result: 'forwarded' }, services.dns.counters.forwarded],
  ]);
  return registry;
}
