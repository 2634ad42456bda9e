/** One endpoint as `shoal describe service` shows it, from the node asked. */
export interface EndpointJson {
  workload: string;
  slot: number;
  epoch: number;
  node: string;
  nodeState: string;
  state: string;
  ready: boolean;
  address: string | null;
  /** In this node's rotation; else `excluded` says why not. */
  inRotation: boolean;
  excluded: string | null;
  /** How this node reaches it: `local`, or through its node's mesh stream. */
  route: 'local' | 'mesh';
  activeConnections: number;
}

export interface ServicePortJson {
  name: string | null;
  port: number;
  targetPort: number;
  protocol: string;
  publish: number | null;
  /** On this node: listening on the published port, or why not (null when not published). */
  listening: boolean | null;
  error: string | null;
  /** On this node: the address its replicas dial for this port, listening, or why not. */
  service: { address: string; listening: boolean; error: string | null } | null;
}

/** A service as `GET /v1/services` and `GET /v1/services/:namespace/:name` give it, from the node asked. */
export interface ServiceJson {
  namespace: string;
  name: string;
  /** A service the document holds in a shape no node routes: what is wrong with it. */
  problem: string | null;
  selector: object | null;
  ports: ServicePortJson[];
  workloads: string[];
  endpoints: EndpointJson[];
  dns: DnsJson;
}

export interface DnsJson {
  name: string;
  /** On this node: where its DNS answers the name, or why it does not. */
  address: string | null;
  listening: boolean;
  error: string | null;
}
