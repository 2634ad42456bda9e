import { join } from 'node:path';
import { pino } from 'pino';
import { runFenceKeeper } from '../../node/agent/fence-keeper.js';
import { dataPaths } from '../../node/data-dir.js';

/** Runs detached from the node, its output nowhere: it logs beside the node's data. */
export async function fenceKeeper(opts: { dataDir: string }): Promise<void> {
  const { root } = dataPaths(opts.dataDir);
  const log = pino({ level: process.env.SHOAL_LOG_LEVEL ?? 'info' }, pino.destination({ dest: join(root, 'fence-keeper.log'), sync: true }));
  await runFenceKeeper(root, log);
}
