import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { instrumentApi } from '../metrics/api-metrics.js';
import { MAX_FRAME_BYTES } from '../../base/limits.js';
import type { Clock } from '../../base/clock.js';
import { publicKeyOfPeerId } from '../../base/peer-id.js';
import type { AntiEntropy } from '../anti-entropy.js';
import { registerAuth } from './auth.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import { nodeJson } from '../../protocol/api/nodes.js';
import type { Reach } from '../../protocol/relay/reach.js';
import { streamRaceCounters } from '../stream-race-guard.js';
import { registerReplicaRoutes } from './replicas.js';
import { registerRolloutRoutes } from './rollout.js';
import { registerSecretRoutes } from './secrets.js';
import type { SecretBox } from '../secret-box.js';
import { registerSchedulingRoutes } from './scheduling.js';
import { registerStateRoutes } from './state.js';
import type { EventFeed } from '../event-feed.js';
import type { EventLog } from '../event-log.js';
import type { ReplicaAccess } from '../replica-access.js';
import type { SchedulerService } from '../scheduler-service.js';
import type { StateService } from '../state-service.js';
import type { SwimService } from '../swim/service.js';
import type { FrameTransport } from '../frame-transport.js';
import type { MemberReach } from '../member-reach.js';
import type { RelayGate } from '../relay-gate.js';
import type { HolePunchCounters } from '../hole-punch.js';
import type { RevokedGate } from '../revoked-gate.js';
import type { Services } from '../services/services.js';
import { registerServiceRoutes } from './services.js';
import type { UsageService } from '../usage/usage-service.js';
import { registerUsageRoutes } from './usage.js';
import type { AutoscaleService } from '../autoscale/autoscale-service.js';
import { registerAutoscalerRoutes } from './autoscalers.js';
import { imageFinisher, registerImageRoutes } from './images.js';
import type { ContentService } from '../content/content-service.js';
import type { DockerImageStore } from '../images/docker-image-store.js';
import { registerUiRoutes } from '../ui/routes.js';
import { registerUploadRoutes } from './uploads.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { artifactFinisher } from '../artifacts/artifact-finisher.js';
import { UiSessions } from '../ui/sessions.js';
import type { SignedRequests } from './signed-requests.js';

export interface ApiContext {
  swim: SwimService;
  transport: FrameTransport;
  /** How this node reaches each member: directly, through a relay, or hole-punched. */
  memberReach: MemberReach;
  /** Who this node let use it as a relay, and whom it refused. */
  relayGate: RelayGate;
  /** The hole punches this node dialled in, and how they ended. */
  holePunch: HolePunchCounters;
  revokedGate: RevokedGate;
  state: StateService;
  antiEntropy: AntiEntropy;
  scheduler: SchedulerService;
  replicas: ReplicaAccess;
  services: Services;
  events: EventLog;
  feed: EventFeed;
  usage: UsageService;
  autoscale: AutoscaleService;
  content: ContentService;
  /** The engine's images, on a node that runs Docker. */
  images: DockerImageStore | undefined;
  /** The process runtime's artifacts: every node keeps and serves them, whatever it runs. */
  artifacts: ArtifactStore;
  /** Where chunked uploads wait for their finish, `<data root>/content/uploads`. */
  uploadsDir: string;
  secrets: SecretBox;
  runtime: 'docker' | 'process';
  clusterId: string;
  startedAt: Date;
  /** The node's Prometheus registry (node/metrics): the API adds its own request metrics to it. */
  metrics: Registry;
  /** The bearer token a scraper off this machine must send; without it, /metrics answers on loopback only. */
  metricsToken?: string | undefined;
  /** The node's wall clock (node/wall-clock.ts): plans and placements read it. */
  clock: Clock;
  /** Judges operators' signed requests: the API's, and the execs other nodes forward here (replica access). */
  signedRequests: SignedRequests;
}

/** The node's JSON API: every request but `/v1/ready` signed by an operator whose role allows it (auth.ts). */
export function createApi(context: ApiContext, tls?: { key: string; cert: string }): FastifyInstance {
  // One frame bound for every body, as for gossip and anti-entropy (base/limits.ts).
  // Over TLS the server is an https.Server; the routes do not care which.
  const app = (tls === undefined
    ? Fastify({ logger: false, bodyLimit: MAX_FRAME_BYTES })
    : Fastify({ logger: false, bodyLimit: MAX_FRAME_BYTES, https: tls })) as unknown as FastifyInstance;
  const sessions = new UiSessions();
  const auth = registerAuth(app, context.state, { signedRequests: context.signedRequests, metricsToken: context.metricsToken, sessions });
  instrumentApi(app, context.metrics, auth);
  app.get('/metrics', async (_request, reply) => reply.type(context.metrics.contentType).send(await context.metrics.metrics()));
  const admitted = (id: string): boolean => context.state.replica.isAdmittedNode(publicKeyOfPeerId(id) ?? '');
  const reach = (id: string): Reach | 'self' | null => (id === context.swim.id ? 'self' : (context.memberReach.reach(id) ?? null));
  app.get('/v1/nodes', async () => context.swim.members().map((m) => nodeJson(m, admitted(m.record.id), reach(m.record.id))));
  const follows = registerReplicaRoutes(app, context.replicas);
  app.get('/v1/status', async () => ({
    id: context.swim.id,
    cluster: context.clusterId,
    startedAt: context.startedAt.toISOString(),
    liveMembers: context.swim.liveCount,
    runtime: context.runtime,
    scheduler: context.scheduler.counters,
    swim: { ...context.swim.counters, streams: context.transport.counters },
    relay: context.relayGate.counters,
    holePunch: context.holePunch,
    // Connections refused to and from removed nodes, and those aborted when the removal arrived.
    removedNodes: context.revokedGate.counters,
    antiEntropy: context.antiEntropy.counters,
    // libp2p stream errors thrown where no caller could catch them (node/stream-race-guard.ts).
    streamErrorsSurvived: streamRaceCounters.survived,
    usage: context.usage.counters,
    autoscale: context.autoscale.counters,
    uploads: uploads.counters,
    streams: { events: context.feed.counters, replicas: context.replicas.counters, mesh: context.services.mesh.counters, followsRefused: follows.refused },
    dns: { ...context.services.dns.state(), ...context.services.dns.counters },
    api: auth,
    ui,
    state: {
      ...context.state.counters,
      deltas: context.state.replica.size,
      // Equal on two nodes exactly when they hold the same set of deltas, hence the same document.
      digest: context.state.replica.digest.summary(''),
      ready: context.state.ready,
      equivocationReports: context.state.replica.equivocations,
      admittedNodes: context.state.replica.admittedNodes().length,
    },
  }));
  registerStateRoutes(app, context.state);
  registerSchedulingRoutes(app, context.state, context.scheduler, context.replicas, context.events, context.clock);
  registerRolloutRoutes(app, context.state, context.scheduler);
  registerSecretRoutes(app, context.secrets, context.state);
  registerServiceRoutes(app, context.services);
  registerUsageRoutes(app, context.usage);
  registerAutoscalerRoutes(app, context.autoscale);
  const images = { state: context.state, content: context.content, images: context.images, artifacts: context.artifacts, node: context.swim.id };
  registerImageRoutes(app, images);
  const uploads = registerUploadRoutes(app, {
    dir: context.uploadsDir,
    node: context.swim.id,
    finishers: { artifact: artifactFinisher(context.artifacts, context.content), image: imageFinisher(images) },
  });
  const ui = registerUiRoutes(app, sessions, context, tls !== undefined);
  app.get<{ Querystring: { sinceMs?: string } }>('/v1/cluster/events', async (request, reply) => {
    const sinceMs = Number(request.query.sinceMs ?? 0);
    if (!Number.isFinite(sinceMs) || sinceMs < 0) return reply.code(400).send({ error: 'bad-request', detail: 'sinceMs must be a time in ms' } satisfies ApiErrorBody);
    return context.feed.clusterEvents(sinceMs);
  });
  return app;
}
