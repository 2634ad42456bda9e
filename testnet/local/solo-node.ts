import { pino } from 'pino';
import { startNode, type NodeOptions, type RunningNode } from '../../node/daemon.js';

/**
 * A node in this process, alone on loopback (any free ports, no seeds, the local preset,
 * the process runtime, silent logs), on `dataDir`: what the wire, disk and restart tests
 * and the benches start before they talk to it. `options` override any of those. Not
 * Docker by default: a node that takes the host's engine makes its replicas network
 * there, which outlives the node (the empty `shoal` network full test runs left).
 */
export function startSoloNode(dataDir: string, options: Partial<NodeOptions> = {}): Promise<RunningNode> {
  return startNode({
    dataDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: { host: '127.0.0.1', port: 0 },
    seeds: [],
    labels: {},
    preset: 'local',
    runtime: 'process',
    log: pino({ level: 'silent' }),
    ...options,
  });
}
