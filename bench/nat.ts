import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { HolePunchCounters } from '../node/hole-punch.js';
import { reapLeftovers } from '../testnet/netns/namespaces.js';
import { NatCluster } from '../testnet/netns/nat-cluster.js';
import { makeNatTestnet, type NatTestnet } from '../testnet/netns/nat-testnet.js';
import { poll } from '../testnet/poll.js';
import { round } from './stats.js';

/**
 * `npm run bench:nat`: two nodes behind two NATs (Linux MASQUERADE routers in network
 * namespaces, testnet/netns/) and one public node, side by side in one run:
 * - NATs that drop a connection nobody asked for: the two NATed nodes punch a hole;
 * - NATs that refuse it with a reset: the punch fails and they stay relayed through the
 *   public node;
 * - plain TCP through the dropping NATs (the simultaneous open node/hole-punch.ts makes,
 *   without libp2p): what the path itself carries.
 * Figures: how long after the NATed nodes start b reaches a hole-punched, and the time
 * node b takes to fetch a 64 MiB artifact pushed to node a (apply to running).
 */
const ARTIFACT_BYTES = Number(process.env.ARTIFACT_MIB ?? 64) * 1024 * 1024;

interface Scenario {
  unasked: 'drop' | 'refuse';
  /** From the NATed nodes' start to b reaching a hole-punched; null when it did not within 30 s. */
  punchedAfterS: number | null;
  /** How b reaches a once the run settled (10 s after the punch, or after waiting for it). */
  reach: string | null | undefined;
  /** Apply to b's replica running: the fetch of the artifact from a dominates it. */
  fetchS: number;
  fetchMiBs: number;
  punches: HolePunchCounters | undefined;
}

async function scenario(unasked: 'drop' | 'refuse'): Promise<Scenario> {
  const startedAt = Date.now();
  const cluster = await NatCluster.start(unasked);
  try {
    await cluster.everySees(['b'], [cluster.node('public'), cluster.node('a'), cluster.node('b')], 'alive', 120_000);
    let punchedAfterS: number | null = null;
    try {
      await poll('b reaching a hole-punched', async () => ((await cluster.reach('b', 'a')) === 'hole-punched' ? true : undefined), 30_000);
      punchedAfterS = (Date.now() - startedAt) / 1000;
    } catch {
      // The refusing NATs: the punch fails and the nodes stay relayed.
    }
    await new Promise((r) => setTimeout(r, 10_000));
    const reach = await cluster.reach('b', 'a');
    const fetchS = (await cluster.runArtifact('fetcher', ARTIFACT_BYTES, 'a', 'b')) / 1000;
    return {
      unasked,
      punchedAfterS: round(punchedAfterS, 1),
      reach,
      fetchS: round(fetchS, 1) ?? fetchS,
      fetchMiBs: round(ARTIFACT_BYTES / 1024 / 1024 / fetchS, 1) ?? 0,
      punches: await cluster.holePunches('b'),
    };
  } finally {
    await cluster.stop();
  }
}

/** Plain TCP through the two dropping NATs: both ends connect at once from fixed ports; a sends ARTIFACT_BYTES, b reads them. */
async function plainTcp(): Promise<{ seconds: number; mibs: number }> {
  const net: NatTestnet = makeNatTestnet('drop');
  const end = (i: 0 | 1, sends: boolean): string => `
    const net = require('node:net');
    const s = net.connect({ host: '${net.sites[i === 0 ? 1 : 0].publicAddress}', port: ${40_001 + (i === 0 ? 1 : 0)}, localPort: ${40_001 + i} });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });
    ${
      sends
        ? `s.on('connect', () => { const chunk = Buffer.alloc(1 << 20); let left = ${ARTIFACT_BYTES}; const more = () => { while (left > 0) { left -= chunk.length; if (!s.write(chunk)) return s.once('drain', more); } s.end(); }; more(); });`
        : `let got = 0, at; s.on('data', (d) => { at ??= Date.now(); got += d.length; }); s.on('end', () => { console.log(JSON.stringify({ got, ms: Date.now() - at })); process.exit(0); });`
    }`;
  try {
    const run = (i: 0 | 1, sends: boolean): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', net.sites[i].host, process.execPath, '-e', end(i, sends)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`plain TCP end ${i} exited ${code}`))));
      });
    const [, received] = await Promise.all([run(0, true), run(1, false)]);
    const { ms } = JSON.parse(received) as { got: number; ms: number };
    return { seconds: round(ms / 1000, 2) ?? 0, mibs: round(ARTIFACT_BYTES / 1024 / 1024 / (ms / 1000), 1) ?? 0 };
  } finally {
    net.remove();
  }
}

const reaped = reapLeftovers();
if (reaped.length > 0) console.error(`removed the namespaces of crashed runs: ${reaped.join(', ')}`);
const load = loadavg()[0];
const punched = await scenario('drop');
const relayed = await scenario('refuse');
const tcp = await plainTcp();
console.log(
  JSON.stringify(
    {
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadBefore: load, loadAfter: loadavg()[0] },
      artifactMiB: ARTIFACT_BYTES / 1024 / 1024,
      punched,
      relayed,
      plainTcp: tcp,
    },
    null,
    2,
  ),
);
