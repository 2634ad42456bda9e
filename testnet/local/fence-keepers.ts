import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataPaths } from '../../node/data-dir.js';

/**
 * The fence keepers started for a node's data directory, found by their command line:
 * a keeper the node launched just before it stopped holds no lock yet, and would open
 * its log in a directory the test is removing.
 */
function keeperPids(dataDir: string): number[] {
  const args = ['fence-keeper', '--data-dir', dataPaths(dataDir).root];
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf(args[0] as string);
      return at >= 0 && argv[at + 1] === args[1] && argv[at + 2] === args[2] ? [Number(entry)] : [];
    } catch {
      return []; // exited while listed
    }
  });
}

/** Kills the fence keepers of these nodes' data directories, started or starting, and waits until they are gone. */
export async function endFenceKeepers(dataDirs: readonly string[]): Promise<void> {
  for (;;) {
    const pids = dataDirs.flatMap(keeperPids);
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
