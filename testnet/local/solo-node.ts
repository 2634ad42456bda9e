import { pino } from 'pino';
import { startNode, type NodeOptions, type RunningNode } from '../../node/daemon.js';

/**
 * A node in this process, alone on loopback (any free ports, no seeds, the local preset,
 * silent logs), on `dataDir`: what the wire, disk and restart tests and the benches start
 * before they talk to it. `options` override any of those.
 */
export function startSoloNode(dataDir: string, options: Partial<NodeOptions> = {}): Promise<RunningNode> {
  return startNode({
    dataDir,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    api: { host: '127.0.0.1', port: 0 },
    seeds: [],
    labels: {},
    preset: 'local',
    log: pino({ level: 'silent' }),
    ...options,
  });
}
