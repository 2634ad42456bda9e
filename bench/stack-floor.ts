import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { generateClusterKey } from '../node/cluster-key.js';
import { SHOAL_BIN } from '../testnet/local/shoal-process.js';
import { cpuSeconds, rssMb } from './proc-stats.js';
import { spread } from './stats.js';

/**
 * `npm run bench:stack-floor`: what the required stack costs before Shoal adds anything,
 * as JSON. Three groups idle side by side, each process under the same `node` flags and
 * environment as `bin/shoal.js` (read from its first line): bare Node (a timer and
 * nothing else), and FLOOR_NODES (default 5) libp2p hosts as node/host.ts makes them,
 * joined in a full mesh (bench/stack-floor-host.ts, bundled as the node's code is).
 * RSS and CPU (all threads, utime + stime) over FLOOR_IDLE_S (default 60) after 20 s.
 * Beside `npm run bench:footprint`, it tells which part of a node's footprint is Shoal's.
 */
const NODES = Number(process.env.FLOOR_NODES ?? 5);
const IDLE_S = Number(process.env.FLOOR_IDLE_S ?? 60);
const SETTLE_S = 20;

/** `#!/usr/bin/env -S VAR=value node --flag ...`: the environment and flags a node runs with. */
function shoalLaunch(): { env: Record<string, string>; flags: string[] } {
  const words = (readFileSync(SHOAL_BIN, 'utf8').split('\n')[0] ?? '').replace('#!/usr/bin/env -S', '').trim().split(/\s+/);
  const at = words.indexOf('node');
  return { env: Object.fromEntries(words.slice(0, at).map((w) => w.split('=') as [string, string])), flags: words.slice(at + 1) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-floor-'));
const children: ChildProcess[] = [];
try {
  const bundle = join(dir, 'host.mjs');
  // Bundled and minified as scripts/build.mjs does the node's, so the code kept in memory compares.
  await build({
    entryPoints: ['bench/stack-floor-host.ts'],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  });
  const { env, flags } = shoalLaunch();
  const run = (args: string[], extra: Record<string, string> = {}): ChildProcess => {
    const child = spawn(process.execPath, [...flags, ...args], { env: { ...process.env, ...env, ...extra }, stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    return child;
  };
  const bare = run(['-e', 'setInterval(() => {}, 1 << 30)']);
  const psk = Buffer.from(generateClusterKey()).toString('base64');
  const hosts = Array.from({ length: NODES }, () => run([bundle], { FLOOR_PSK: psk }));
  const addresses = await Promise.all(
    hosts.map(
      (h) =>
        new Promise<string>((resolve, reject) => {
          createInterface({ input: h.stdout as NodeJS.ReadableStream }).once('line', resolve);
          h.once('exit', (code) => reject(new Error(`a host exited (${code}) before it listened`)));
        }),
    ),
  );
  const peers = new Map<ChildProcess, number>();
  for (const h of hosts) {
    createInterface({ input: h.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const n = /^peers (\d+)$/.exec(line)?.[1];
      if (n !== undefined) peers.set(h, Number(n));
    });
  }
  // A full mesh, as SWIM makes one: each dials those after it.
  hosts.forEach((h, i) => h.stdin?.write(`${addresses.slice(i + 1).join('\n')}\n`));
  await sleep(SETTLE_S * 1000);
  const groups = { bareNode: [bare], libp2pHost: hosts };
  const before = new Map(children.map((c) => [c, cpuSeconds(c.pid as number)]));
  const loadBefore = loadavg()[0];
  const startedMs = performance.now();
  await sleep(IDLE_S * 1000);
  const seconds = (performance.now() - startedMs) / 1000;
  const figures = Object.fromEntries(
    Object.entries(groups).map(([name, group]) => [
      name,
      {
        processes: group.length,
        ...(name === 'libp2pHost'
          ? {
              peersEach: spread(
                group.map((c) => peers.get(c) ?? 0),
                0,
              ),
            }
          : {}),
        rssMb: spread(
          group.map((c) => rssMb(c.pid as number)),
          1,
        ),
        cpuPercentOfOneCore: spread(
          group.map((c) => ((cpuSeconds(c.pid as number) - (before.get(c) ?? 0)) / seconds) * 100),
          2,
        ),
      },
    ]),
  );
  console.log(
    JSON.stringify(
      {
        machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version },
        date: new Date().toISOString(),
        launch: { env, flags },
        idleSeconds: IDLE_S,
        loadAverage: { before: loadBefore, after: loadavg()[0] },
        ...figures,
      },
      null,
      2,
    ),
  );
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
