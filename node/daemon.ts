import { OPERATOR_KIND, REVOCATION_KIND } from '../crdt/index.js';
import type { PeerId } from '@libp2p/interface';
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { QuotaConfig } from '../protocol/quota/author-quota.js';
import { schedulerConfig } from '../protocol/scheduler/config.js';
import { namesOtherNodes } from '../protocol/scheduler/from-document.js';
import { swimConfig, type SwimPreset } from '../protocol/swim/index.js';
import { Agent } from './agent/agent.js';
import { chooseRuntime, type RuntimeChoice } from './agent/choose-runtime.js';
import { keeperLauncher } from './agent/fence-keeper-launch.js';
import { MajorityFence } from './agent/majority-fence.js';
import { Admission } from './admission.js';
import { AntiEntropy } from './anti-entropy.js';
import { createApi } from './api/server.js';
import { isLoopback, loadOrCreateApiTls } from './api/tls.js';
import { loadCluster } from './cluster.js';
import { dataPaths, lockDataDir, writeJsonFile } from './data-dir.js';
import { AddressInUseError } from './errors.js';
import { createHost, loopbackTrust, stateTopic } from './host.js';
import { loadOrCreateIdentity } from './identity.js';
import { MemberReach } from './member-reach.js';
import { RelayGate } from './relay-gate.js';
import { RevokedGate } from './revoked-gate.js';
import { anyDenies } from './connection-gaters.js';
import { memberAddresses, SelfAddresses } from './self-addresses.js';
import { registerFaultRoutes } from './api/faults.js';
import { PartitionGate } from './partition-gate.js';
import { EventFeed } from './event-feed.js';
import { EventLog } from './event-log.js';
import { NodeWriter } from './node-writer.js';
import { MemberSnapshotWriter, memberSnapshotPath, readMemberSnapshot } from './member-snapshot.js';
import { Redialer } from './redialer.js';
import { StartSteps } from './start-steps.js';
import { JoinedRule } from '../protocol/swim/joined.js';
import { SignedRequests } from './api/signed-requests.js';
import { ReplicaAccess } from './replica-access.js';
import { SchedulerService } from './scheduler-service.js';
import { SecretBox } from './secret-box.js';
import { StateService } from './state-service.js';
import { memberSignatures } from './swim/member-signatures.js';
import { SwimService } from './swim/service.js';
import { createFrameTransport } from './frame-transport.js';
import { createNodeMetrics } from './metrics/node-metrics.js';
import { DEFAULT_USAGE_INTERVAL_MS, UsageService } from './usage/usage-service.js';
import { AutoscaleService } from './autoscale/autoscale-service.js';
import { autoscalePolicyOf, customMetricsOf } from '../protocol/autoscale/policy.js';
import type { Registry } from 'prom-client';
import { SHOAL_VERSION } from './version.js';
import { WallClock } from './wall-clock.js';
import { ServicesForRuntime, startServices } from './services/services.js';
import { publicKeyOfPeerId } from '../base/peer-id.js';
import { NodeContent } from './content/node-content.js';

export interface NodeOptions {
  dataDir: string;
  listen: string[];
  /** Addresses to give peers and join tokens instead of the listen addresses (`--advertise`). */
  advertise?: string[];
  api: { host: string; port: number };
  seeds: string[];
  labels: Record<string, string>;
  preset: SwimPreset;
  /** Where replicas run: a Docker engine, plain processes, or whichever answers (default). */
  runtime?: RuntimeChoice;
  /** Serves /v1/faults, which partitions this node from chosen peers and skews its clock: tests and testnets only. */
  faultInjection?: boolean;
  /** The agent's periodic pass, a safety net: changes to what this node runs are acted on at once. */
  agentIntervalMs?: number;
  /** What one key may write through this node's API and gossip (protocol/quota/author-quota.ts). */
  quota?: QuotaConfig;
  /** The address this node listens on for services' published ports (`--publish-address`, default all). */
  publishAddress?: string;
  /** The Docker network its replicas join (`--replicas-network`, default `shoal`): one per node gives each its own service address. */
  replicasNetwork?: string;
  /** How often the node samples what its replicas use (`--usage-interval`); 0 turns sampling off. */
  usageIntervalMs?: number | undefined;
  /** The bearer token a scraper off this machine sends for /metrics (`--metrics-token-file`). */
  metricsToken?: string | undefined;
  /** Bytes per second of images and artifacts this node sends and receives from peers (`--image-bandwidth`); none: no cap. */
  imageBandwidth?: number | undefined;
  /** Bytes the artifact store may hold (`--artifact-store-bytes`); protocol/content/artifact-retention.ts's default. */
  artifactStoreBytes?: number | undefined;
  log?: Logger;
  /**
   * The node's wall clock, handed to everything in it that reads wall time; a new
   * WallClock on the host's time by default. Tests give their own; the skew fault
   * (/v1/faults/clock) sets its offset.
   */
  clock?: WallClock;
}

export interface RunningNode {
  peerId: string;
  listenAddrs: string[];
  apiUrl: string;
  /** The fingerprint of the API's certificate, when it is served over TLS (any address but loopback). */
  apiFingerprint: string | undefined;
  redialer: Redialer;
  /** Joined its cluster (protocol/swim/joined.ts): `shoal start --join` waits for this. */
  hasJoined(): boolean;
  /** This node's gossipsub score for a peer; below the graylist threshold its messages are dropped unread. */
  gossipScore(peerId: string): number;
  /** Its Prometheus registry, as /metrics serves it: for in-process measurement (bench/metrics.ts). */
  metrics: Registry;
  /** What it knows of the cluster's usage; a gossiped summary can be handed to it as if it arrived (bench/metrics.ts). */
  usage: UsageService;
  /** How long each step of its start took (node/start-steps.ts). */
  startMs: Record<string, number>;
  /** Graceful leave, then stop everything and release the data directory. */
  stop(): Promise<void>;
}

const inUse = (e: unknown): boolean => /EADDRINUSE|address already in use/i.test(String((e as Error)?.message ?? e));

const VERDICTS = { accept: TopicValidatorResult.Accept, ignore: TopicValidatorResult.Ignore, reject: TopicValidatorResult.Reject } as const;

/** Anti-entropy runs often enough to repair a lost gossip message within a few probe periods. */
const antiEntropyIntervalMs = (preset: SwimPreset): number => (preset === 'local' ? 1_000 : preset === 'edge' ? 10_000 : 5_000);

/**
 * Starts one Shoal node. Desired state loads from disk first, so a node can act on
 * what it stored before it reaches any peer; then the libp2p host, SWIM, gossip,
 * anti-entropy, seed re-dialing and the HTTP API.
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const log = options.log ?? pino({ level: process.env.SHOAL_LOG_LEVEL ?? 'info' });
  // One clock for the whole node: the HLC of its writes, SWIM, the scheduler, the agent and the API read it together.
  const clock = options.clock ?? new WallClock();
  const seeds: Multiaddr[] = options.seeds.map((s) => multiaddr(s));
  const steps = new StartSteps();
  const unlock = lockDataDir(options.dataDir);
  const cleanup: (() => Promise<void> | void)[] = [unlock];
  const unwind = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const cluster = loadCluster(options.dataDir);
    const state = await StateService.open(
      join(dataPaths(options.dataDir).root, 'state'),
      { cluster: cluster.id, operators: cluster.operators, nodes: cluster.nodes },
      log,
      options.quota,
      clock,
    );
    cleanup.push(() => state.close());
    steps.done('state');
    const privateKey = await loadOrCreateIdentity(options.dataDir);
    const gate = options.faultInjection ? new PartitionGate() : undefined;
    const relayGate = new RelayGate({ isAdmitted: (key) => state.replica.isAdmittedNode(key), isRevoked: (key) => state.replica.isRevoked(key) });
    const revokedGate = new RevokedGate((key) => state.replica.isRevoked(key));
    const host = await createHost({
      privateKey,
      psk: cluster.psk,
      clusterId: cluster.id,
      listen: options.listen,
      announce: options.advertise,
      ...loopbackTrust,
      connectionGater: anyDenies(gate?.gater ?? {}, revokedGate.gater, relayGate.gater),
    }).catch((e: unknown) => {
      throw inUse(e) ? new AddressInUseError(options.listen.join(', ')) : e;
    });
    cleanup.push(() => host.stop());
    steps.done('host');
    // A revocation, or an operator change that decides which revocations count.
    state.onChange((changed) => changed.some((k) => k.startsWith(`${REVOCATION_KIND}/`) || k.startsWith(`${OPERATOR_KIND}/`)) && revokedGate.closeRevoked(host));
    const memberReach = new MemberReach(host);
    memberReach.start();
    cleanup.push(() => memberReach.stop());
    const config = swimConfig[options.preset]();
    const listenAddrs = memberAddresses(host.getMultiaddrs());

    const topic = stateTopic(cluster.id);
    const pubsub = host.services.pubsub;
    pubsub.topicValidators.set(topic, async (_peer: PeerId, message) => VERDICTS[await state.fromGossip(message.data)]);
    pubsub.subscribe(topic);
    state.onPublish(async (bytes) => {
      await pubsub.publish(topic, bytes);
    });

    let antiEntropy: AntiEntropy | undefined;
    let scheduler: SchedulerService | undefined;
    let admitJoiner: (() => void) | undefined;
    let usage: UsageService | undefined;
    const selfRecord = {
      id: host.peerId.toString(),
      addrs: listenAddrs,
      labels: options.labels,
      capacity: { cpuMillis: cpus().length * 1000, memoryBytes: totalmem() },
      version: SHOAL_VERSION,
    };
    const swim = new SwimService({
      config,
      log,
      clock,
      self: selfRecord,
      signatures: memberSignatures(privateKey),
      onEvent: (event) => {
        scheduler?.viewChanged();
        if (event.change === 'joined' || event.change === 'alive') {
          antiEntropy?.syncSoon(event.id);
          admitJoiner?.();
          usage?.memberCameUp();
        }
      },
    });
    const transport = await createFrameTransport(host, {
      maxFrameBytes: config.maxSyncBytes,
      dialTimeoutMs: 5_000,
      onFrame: (from, frame) => swim.receive(from, frame),
    });
    swim.start(transport);
    // A relay reservation made or lost changes how a NATed node is reached: its record says so.
    const selfAddresses = new SelfAddresses(host, listenAddrs, (addrs) => swim.updateSelf({ ...selfRecord, addrs }));
    selfAddresses.start();
    cleanup.push(
      () => swim.stop(),
      () => transport.stop(),
      () => selfAddresses.stop(),
    );

    antiEntropy = new AntiEntropy(host, state, log, {
      intervalMs: antiEntropyIntervalMs(options.preset),
      pickPeer: () => {
        const peers = swim.members().filter((m) => m.state === 'alive' && m.record.id !== swim.id);
        return peers[Math.floor(Math.random() * peers.length)]?.record.id;
      },
      addressesOf: (peer) => swim.member(peer)?.record.addrs ?? [],
      // The scheduler is made below; a node catching up after a time away counts these.
      onSynced: (peer, startedAtMs) => scheduler?.synced(peer, startedAtMs),
      clock,
    });
    await antiEntropy.start();
    cleanup.push(() => antiEntropy?.stop());
    steps.done('membership');

    const events = new EventLog();
    const writer = new NodeWriter(privateKey, cluster.id, state);
    const admission = new Admission({ swim, state, writer, log, intervalMs: 1_000, graceMs: 5_000, clock });
    admission.start();
    cleanup.push(() => admission.stop());
    admitJoiner = () => admission.kick();
    const joined = new JoinedRule({ seeds: seeds.length, knewOthers: namesOtherNodes(state.replica.document, swim.id) });
    const hasJoined = (): boolean => joined.joinedWith(swim.liveCount);
    const dataRoot = dataPaths(options.dataDir).root;
    const replicasDir = join(dataRoot, 'replicas');
    // The services start below, once the scheduler has: the runtime asks them for a new
    // replica's environment and whether to point it at the node's DNS.
    const forRuntime = new ServicesForRuntime();
    // The runtime asks for what its engine or directory lacks: images and artifacts from peers, once served below.
    const content = await NodeContent.open({ dataRoot, state, events, node: swim.id, log, artifactStoreBytes: options.artifactStoreBytes });
    cleanup.push(() => content.close());
    const runtime = await chooseRuntime(options.runtime ?? 'auto', replicasDir, log, {
      network: options.replicasNetwork,
      serviceEnv: forRuntime.env,
      dnsListening: forRuntime.dnsListening,
      clock,
      ...content.forRuntime(),
    });
    cleanup.push(() => runtime.close());
    steps.done('runtime');
    const schedulingConfig = schedulerConfig[options.preset]();
    const fence = new MajorityFence({
      dataRoot,
      fenceMs: schedulingConfig.fenceMs,
      runtime: runtime.kind,
      replicasDir,
      launcher: await keeperLauncher(runtime.kind, dataRoot, log),
      log,
      clock,
    });
    scheduler = new SchedulerService({
      host,
      swim,
      state,
      writer,
      events,
      log,
      config: schedulingConfig,
      fence,
      hasJoined,
      clock,
    });
    steps.done('fence');
    await scheduler.start();
    cleanup.push(() => scheduler.stop());
    steps.done('scheduler');

    const secrets = new SecretBox(cluster.psk, cluster.id);
    const agent = new Agent({
      runtime,
      owner: { cluster: cluster.id, node: swim.id },
      state,
      writer,
      events,
      log,
      scheduled: () => scheduler.desired()?.map((s) => ({ workload: s.workload.key, index: s.index, epoch: s.assignment.epoch })),
      secrets,
      placed: () => (scheduler.plan?.placed ?? []).map((s) => ({ workload: s.workload.key, index: s.index, epoch: s.assignment.epoch, node: s.assignment.node })),
      intervalMs: options.agentIntervalMs,
      majority: { fenced: () => scheduler.fenced() || fence.runOut(), guard: (ids) => fence.guard(ids) },
      clock,
    });
    agent.start();
    scheduler.onDesiredChange(() => agent.kick());
    cleanup.push(() => agent.stop());
    const isAdmittedPeer = (peerId: string): boolean => state.replica.isAdmittedNode(publicKeyOfPeerId(peerId) ?? '');
    const contentService = await content.serve({ host, swim, writer, admitted: isAdmittedPeer, bandwidth: options.imageBandwidth, clock });
    cleanup.push(() => content.stopServing());
    steps.done('content');
    const signedRequests = new SignedRequests(state, clock);
    const replicas = new ReplicaAccess(host, runtime, { cluster: cluster.id, node: swim.id }, scheduler, swim, isAdmittedPeer, signedRequests);
    await replicas.start();
    cleanup.push(() => replicas.stop());
    const services = await startServices({
      host,
      state,
      scheduler,
      swim,
      runtime,
      owner: { cluster: cluster.id, node: swim.id },
      events,
      log,
      publishAddress: options.publishAddress ?? '0.0.0.0',
      admitted: isAdmittedPeer,
      clock,
    });
    forRuntime.bind(services);
    cleanup.push(() => services.stop());
    steps.done('services');
    const feed = new EventFeed(host, swim, events);
    await feed.start();
    cleanup.push(() => feed.stop());
    usage = new UsageService({
      runtime,
      owner: { cluster: cluster.id, node: swim.id },
      pubsub,
      clusterId: cluster.id,
      self: swim.id,
      isAdmittedPeer,
      isLiveMember: (peer) => swim.isReachable(peer),
      log,
      intervalMs: options.usageIntervalMs,
      nowMs: () => clock.nowMs(),
      customMetrics: (workload) => {
        const fields = state.replica.document.get(workload);
        const policy = fields === undefined ? undefined : autoscalePolicyOf(fields);
        return policy === undefined ? [] : customMetricsOf(policy.spec);
      },
    });
    usage.start();
    cleanup.push(() => usage.stop());
    // As often as usage is sampled (Kubernetes' autoscaler: every 15 s); from the others' usage when this node samples none.
    const autoscale = new AutoscaleService({
      state,
      swim,
      usage,
      writer,
      events,
      log,
      placed: () => (scheduler.plan?.placed ?? []).map((s) => ({ workload: s.workload.key, index: s.index, node: s.assignment.node, epoch: s.assignment.epoch })),
      hasJoined,
      intervalMs: options.usageIntervalMs || DEFAULT_USAGE_INTERVAL_MS,
      clock,
    });
    autoscale.start();
    cleanup.push(() => autoscale.stop());

    const metrics = createNodeMetrics({
      swim,
      transports: () => ({ swim: transport.counters, scheduler: scheduler.transportCounters }),
      state,
      antiEntropy,
      scheduler,
      agent: () => agent,
      services,
      feed,
      replicas,
      usage,
      autoscale,
      artifacts: content.artifactCollector,
      content: contentService,
      removedNodes: revokedGate,
    });

    // Loopback is for the CLI on this machine; any other address is reached over TLS only.
    const tls = isLoopback(options.api.host) ? undefined : await loadOrCreateApiTls(dataPaths(options.dataDir).root);
    const api = createApi(
      {
        swim,
        transport,
        memberReach,
        relayGate,
        holePunch: host.services.dcutr.counters,
        revokedGate,
        state,
        antiEntropy,
        scheduler,
        replicas,
        services,
        events,
        feed,
        usage,
        autoscale,
        content: contentService,
        images: content.images,
        artifacts: content.artifacts,
        uploadsDir: join(dataRoot, 'content', 'uploads'),
        secrets,
        runtime: runtime.kind,
        clusterId: cluster.id,
        startedAt: new Date(),
        metrics,
        metricsToken: options.metricsToken,
        clock,
        signedRequests,
      },
      tls,
    );
    if (gate) registerFaultRoutes(api, host, gate, clock);
    await api.listen({ host: options.api.host, port: options.api.port }).catch((e: unknown) => {
      throw inUse(e) ? new AddressInUseError(`${options.api.host}:${options.api.port}`) : e;
    });
    cleanup.push(() => api.close());
    steps.done('api');
    const address = api.server.address();
    const apiHost = options.api.host.includes(':') ? `[${options.api.host}]` : options.api.host;
    const apiUrl = typeof address === 'object' && address !== null ? `${tls === undefined ? 'http' : 'https'}://${apiHost}:${address.port}` : '';

    const snapshotPath = memberSnapshotPath(dataPaths(options.dataDir).root);
    const lastMembers = readMemberSnapshot(snapshotPath, log);
    const snapshot = new MemberSnapshotWriter(snapshotPath, swim, 5_000, log, lastMembers);
    snapshot.start();
    cleanup.push(() => snapshot.stop());
    const redialer = new Redialer(host, swim, seeds, { intervalMs: Math.max(1_000, config.probeIntervalMs * 2), dialTimeoutMs: 5_000, log, rejoin: lastMembers });
    redialer.start();
    cleanup.push(() => redialer.stop());
    writeJsonFile(dataPaths(options.dataDir).runtime, { pid: process.pid, peerId: swim.id, listen: listenAddrs, api: apiUrl, apiFingerprint: tls?.fingerprint ?? null });

    let stopping: Promise<void> | undefined;
    return {
      peerId: swim.id,
      listenAddrs,
      apiUrl,
      apiFingerprint: tls?.fingerprint,
      redialer,
      hasJoined,
      gossipScore: (peerId) => pubsub.getScore(peerId),
      metrics,
      usage,
      startMs: steps.ms,
      stop: () => {
        stopping ??= (async () => {
          await agent.stop();
          await agent.removeMajorityReplicas().catch((e: unknown) => log.warn({ error: String(e) }, 'could not remove the majority replicas before leaving'));
          // Before the leave: the snapshot is of the members this node saw while it was one.
          snapshot.stop();
          await swim.leave();
          await unwind();
        })();
        return stopping;
      },
    };
  } catch (e) {
    await unwind();
    throw e;
  }
}
