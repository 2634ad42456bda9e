import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.js';
import { defaultArtifactRetention } from '../../protocol/content/artifact-retention.js';
import { namedArtifacts } from '../../protocol/content/named-artifacts.js';
import { imageHoldings } from '../../protocol/images/holders.js';
import type { PeerImages } from '../agent/docker-runtime.js';
import type { ProcessRuntimeOptions } from '../agent/process-runtime.js';
import { ArtifactCollector } from '../artifacts/artifact-collector.js';
import { ArtifactStore } from '../artifacts/artifact-store.js';
import type { EventLog } from '../event-log.js';
import type { Host } from '../host.js';
import { DockerImageStore } from '../images/docker-image-store.js';
import { ImageHoldings } from '../images/image-holdings.js';
import { ImagePieces } from '../images/image-pieces.js';
import type { NodeWriter } from '../node-writer.js';
import type { StateService } from '../state-service.js';
import type { SwimService } from '../swim/service.js';
import { Bandwidth } from './bandwidth.js';
import { ContentService } from './content-service.js';
import type { ContentKind } from './content-store.js';

export interface NodeContentOptions {
  dataRoot: string;
  state: StateService;
  events: EventLog;
  /** This node's peer id. */
  node: string;
  log: Logger;
  /** The artifact store's quota; the retention default otherwise. */
  artifactStoreBytes?: number | undefined;
}

export interface ServeOptions {
  host: Host;
  swim: SwimService;
  writer: NodeWriter;
  admitted: (peer: string) => boolean;
  /** Bytes a second for transfers (`--image-bandwidth`); unbounded otherwise. */
  bandwidth: number | undefined;
  clock: Clock;
}

/**
 * What a node holds for its replicas and serves its peers: artifacts on every node,
 * whatever it runs (a Docker node still serves them to process nodes), and on a Docker
 * node images, whole or as config and layers. Opened before the runtime, which asks it
 * for what its engine lacks; served once the host and SWIM run. A start before then
 * waits, as for any transfer: the service comes up moments later.
 */
export class NodeContent {
  private imageStore: DockerImageStore | undefined;
  private holdings: ImageHoldings | undefined;
  private service: ContentService | undefined;

  private constructor(
    private readonly options: NodeContentOptions,
    readonly artifacts: ArtifactStore,
    readonly artifactCollector: ArtifactCollector,
  ) {}

  /** Opens the artifact store and starts its collector, which keeps what the document's workloads name within the quota. */
  static async open(options: NodeContentOptions): Promise<NodeContent> {
    const { dataRoot, state, events, node, log } = options;
    let content: NodeContent | undefined;
    const store = await ArtifactStore.open(join(dataRoot, 'content', 'artifacts'), (bytes) => collector.makeRoom(bytes));
    const collector = new ArtifactCollector({
      store,
      retention: { ...defaultArtifactRetention, quotaBytes: options.artifactStoreBytes ?? defaultArtifactRetention.quotaBytes },
      named: () => new Set(namedArtifacts(state.replica.document).keys()),
      onRemoved: () => content?.service?.announce(),
      events,
      node,
      log,
    });
    collector.start();
    content = new NodeContent(options, store, collector);
    return content;
  }

  /** The images the engine holds, served to peers: only on a Docker node, once its runtime is made. */
  get images(): DockerImageStore | undefined {
    return this.imageStore;
  }

  /** What the runtime is given: images from peers for an engine it drives, artifacts for processes. */
  forRuntime(): { peers: (docker: Dockerode) => PeerImages; artifacts: NonNullable<ProcessRuntimeOptions['artifacts']> } {
    return {
      peers: (docker) => {
        const store = new DockerImageStore(docker, join(this.options.dataRoot, 'content', 'served'));
        this.imageStore = store;
        return { availability: this.fromPeers('image'), tag: (id, reference) => store.tag(id, reference) };
      },
      artifacts: { store: this.artifacts, peers: { availability: this.fromPeers('artifact') } },
    };
  }

  private fromPeers(kind: ContentKind) {
    return (id: string) => this.service?.availability(kind, id) ?? Promise.resolve({ state: 'fetching' as const, message: 'waiting for the node to start fetching from peers' });
  }

  /** Starts serving and fetching: the pieces of images, the content service and the record of the images held here. */
  async serve(options: ServeOptions): Promise<ContentService> {
    const { dataRoot, state, events, node, log } = this.options;
    const images = this.imageStore;
    const holdings = images === undefined ? undefined : new ImageHoldings({ store: images, state, writer: options.writer, node, log });
    // An image's config and layers, served from its spooled archive and fetched where the engine holds the lower layers.
    const pieces = images === undefined ? undefined : new ImagePieces(images, join(dataRoot, 'content', 'pieces'));
    await pieces?.start();
    const service = new ContentService({
      host: options.host,
      dht: options.host.services.dht,
      swim: options.swim,
      // Announced in this order: images and artifacts before the (many more) layers.
      stores: images === undefined || pieces === undefined ? [this.artifacts] : [images, this.artifacts, pieces.configs, pieces.layers],
      ...(pieces === undefined ? {} : { pieces }),
      dir: join(dataRoot, 'content', 'incoming'),
      bandwidth: new Bandwidth(options.bandwidth),
      admitted: options.admitted,
      // The document records who holds images (and so their configs); layers' and artifacts' holders are found in the DHT.
      holders: (kind, id) => (kind === 'image' || kind === 'config' ? [...imageHoldings(state.replica.document)].flatMap(([holder, ids]) => (ids.has(id) ? [holder] : [])) : []),
      onHeldChanged: () => holdings?.kick(),
      events,
      log,
      clock: options.clock,
    });
    this.service = service;
    await service.start();
    this.holdings = holdings;
    holdings?.start();
    return service;
  }

  /** Stops serving; the stores stay open until `close`. */
  async stopServing(): Promise<void> {
    await this.holdings?.stop();
    await this.service?.stop();
  }

  /** Stops the artifact collector; the store holds no handle to close. */
  close(): void {
    this.artifactCollector.stop();
  }
}
