import { setTimeout as sleep } from 'node:timers/promises';
import { dataPaths } from '../../node/data-dir.js';
import { processesNaming } from '../processes.js';

/**
 * Kills the fence keepers of these nodes' data directories, started or starting, and
 * waits until they are gone. Found by their command line: a keeper the node launched just
 * before it stopped holds no lock yet, and would open its log in a directory the test is
 * removing.
 */
export async function endFenceKeepers(dataDirs: readonly string[]): Promise<void> {
  for (;;) {
    const pids = dataDirs.flatMap((dir) => processesNaming(`fence-keeper --data-dir ${dataPaths(dir).root} `));
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await sleep(50);
  }
}
