import type { ContentKindName } from '../images/transfer-codec.js';

/** One image the cluster knows of: pushed into a namespace, or named by digest by a workload. */
export interface ImageJson {
  id: string;
  /** `namespace/reference` as pushed; empty for an image only named by digest. */
  references: string[];
  sizeBytes: number | undefined;
  /** Peer ids of the nodes that say they hold it (protocol/images/holders.ts). */
  holders: string[];
}

/** A transfer under way on the node that answers. */
export interface ImageTransferJson {
  kind: ContentKindName;
  id: string;
  provider: string | undefined;
  receivedBytes: number;
  sizeBytes: number | undefined;
  startedAtMs: number;
  attempts: number;
}

/** One artifact (`spec.artifact`): named by a workload, or held by the node that answers. */
export interface ArtifactJson {
  id: string;
  /** The workloads that name it, `Kind/namespace/name`, in their spec or a kept revision; empty for one nothing names. */
  workloads: string[];
  /** Its tar's bytes, where the node that answers holds it. */
  sizeBytes: number | undefined;
  /** Peer ids of the nodes that hold it (the DHT's providers, looked up for a moment: a slow lookup may miss some). */
  holders: string[];
}

export interface ImagesJson {
  node: string;
  images: ImageJson[];
  /** Absent from nodes older than artifacts in `get images`. */
  artifacts?: ArtifactJson[];
  transfers: ImageTransferJson[];
  /** Bytes this node served to peers, by content id. */
  servedBytes: Record<string, number>;
}

/** `POST /v1/images/push`: an image in the engine of the node asked. */
export interface ImagePushRequest {
  image: string;
  namespace: string;
}

/** What the node found: the CLI writes the Image record with it, signed by its operator. */
export interface ImagePushJson {
  id: string;
  sizeBytes: number;
  node: string;
}

/** `POST /v1/uploads/:upload/finish` for a `docker save` archive (protocol/api/uploads.ts): the node learns its id from it. */
export interface ImageFinishRequest {
  kind: 'image';
  [field: string]: unknown;
  image: string;
  namespace: string;
}
