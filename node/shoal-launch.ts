import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/**
 * How `bin/shoal.js` runs: the environment and V8 flags of its `#!/usr/bin/env -S` line.
 * Read from that line, so what starts Shoal another way (the fence keeper, a testnet
 * container whose busybox `env` lacks `-S`) runs it alike; copies of the flags had
 * drifted (the containers ran without the single-threaded GC and the two malloc arenas).
 */
export interface ShoalLaunch {
  /** Variables set before node starts, such as MALLOC_ARENA_MAX. */
  env: Record<string, string>;
  /** Node's and V8's flags, in order. */
  nodeFlags: string[];
  /** The path of bin/shoal.js. */
  script: string;
}

/** The parts of a `#!/usr/bin/env -S [NAME=VALUE...] node [FLAG...]` line. */
export function parseShebang(line: string): Omit<ShoalLaunch, 'script'> {
  const words = /^#!\/usr\/bin\/env -S (.+)$/.exec(line.trim())?.[1]?.split(/\s+/);
  const nodeAt = words?.indexOf('node') ?? -1;
  if (words === undefined || nodeAt < 0) throw new Error(`not an 'env -S ... node' line: ${line}`);
  const assignments = words.slice(0, nodeAt).map((w) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(w));
  if (assignments.some((a) => a === null)) throw new Error(`not NAME=VALUE before node: ${line}`);
  return { env: Object.fromEntries(assignments.map((a) => [a?.[1], a?.[2]])), nodeFlags: words.slice(nodeAt + 1) };
}

export function shoalLaunch(root: string = packageRoot()): ShoalLaunch {
  const script = join(root, 'bin', 'shoal.js');
  return { ...parseShebang(readFileSync(script, 'utf8').split('\n', 1)[0] ?? ''), script };
}
