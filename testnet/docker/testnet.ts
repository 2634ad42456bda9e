import type { OperatorKey } from '../../node/operator-key.js';
import type { Endpoint } from '../../cli/client.js';
/**
 * A Shoal testnet: N node containers on one user-defined Docker network, each with its
 * own address and data volume, workloads as sibling containers on the host's engine
 * (labelled with the node that owns them), and faults applied from the host.
 * `up` builds or reuses the node image; `attach` finds a running testnet again from its
 * state file, so each `shoal testnet ...` command can be its own process.
 */
export interface TestnetNode {
  /** `node-1` ... `node-N`. */
  name: string;
  container: string;
  /** The node's address on the testnet network. */
  ip: string;
  /** Its HTTP API, reachable from the host over TLS, pinned to the certificate the host made for it. */
  api: Endpoint;
  peerId: string;
}

export interface Testnet {
  readonly name: string;
  readonly nodes: readonly TestnetNode[];
  /** The genesis operator key (a file on the host) that signs writes. */
  readonly operatorKey: string;
  /** That key, read once: every call to a node's API is signed with it. */
  readonly signer: OperatorKey;
  /** The cluster id: replicas carry it in the io.shoal.cluster label. */
  readonly cluster: string;
  /** `docker kill` (SIGKILL) of the node's container; its data volume stays. */
  kill(node: string): Promise<void>;
  /** Starts a killed or stopped node again, on its data volume; resolves once its API answers. */
  restart(node: string): Promise<void>;
  pause(node: string): Promise<void>;
  unpause(node: string): Promise<void>;
  /** Groups that cannot reach each other (packets dropped in each node's network namespace); replaces any earlier partition. */
  partition(groups: readonly (readonly string[])[]): Promise<void>;
  /** Ends every partition. */
  heal(): Promise<void>;
  /** Shifts the node's clock by `offsetMs` (positive: ahead); 0 ends the skew. */
  skew(node: string, offsetMs: number): Promise<void>;
  /** Drops this share (0 to 100) of the node's packets; 0 ends the loss. */
  loss(node: string, percent: number): Promise<void>;
  /** Removes every node container, their replicas, volumes and the network. */
  down(): Promise<void>;
}

export interface TestnetOptions {
  nodes: number;
  /** Names the network, the containers and the state file; default `shoal-testnet`. */
  name?: string;
  /** SWIM and scheduler preset of the nodes; default `local`. */
  preset?: 'lan' | 'local' | 'edge';
  /** Progress lines (image build, network, nodes up); default silent. */
  log?: (line: string) => void;
}
