import type { Libp2p } from '@libp2p/interface';
import { preSharedKey } from '@libp2p/pnet';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { generateClusterKey } from '../node/cluster-key.js';
import { privateNetwork } from '../node/private-network.js';
import { bareHost, COUNT_PROTOCOL, exchange, type ProtectorFactory } from '../test/integration/private-network-hosts.js';
import { percentile, round } from './stats.js';

/**
 * `npm run bench:pnet`: throughput of a 64 MB transfer, in 256 KB writes, between two
 * hosts on loopback (TCP, noise, yamux) protected by @libp2p/pnet and by Shoal's own
 * protector, side by side in one process with the runs interleaved; with no protector
 * as the floor both sit on. Both hosts share the process, so each byte is encrypted and
 * decrypted on the same two cores. A transfer whose connection fails is counted with
 * its error, not timed.
 */
const TRANSFER_BYTES = 64 * 1024 * 1024;
const WRITE_BYTES = 256 * 1024;
const runs = Number(process.env.SHOAL_PNET_RUNS ?? 5);

const swarmKey = generateClusterKey();
const protectors: Record<string, ProtectorFactory | undefined> = {
  pnet: preSharedKey({ psk: swarmKey }),
  shoal: privateNetwork(swarmKey),
  none: undefined,
};

type Outcome = { mbPerS: number } | { failure: string };

/** One transfer on a fresh pair of hosts, timed until the receiver has counted every byte. */
async function transfer(protector: ProtectorFactory | undefined, data: Uint8Array): Promise<Outcome> {
  const [sender, receiver] = [await bareHost(protector), await bareHost(protector)];
  const failures = [sender, receiver].map(connectionFailure);
  try {
    const connection = await sender.dial(receiver.getMultiaddrs()[0]!);
    const stream = await connection.newStream(COUNT_PROTOCOL);
    const startedMs = performance.now();
    const counted = await exchange(stream, data, WRITE_BYTES).catch(() => undefined);
    const seconds = (performance.now() - startedMs) / 1000;
    if (counted === String(data.length)) return { mbPerS: data.length / 2 ** 20 / seconds };
    return { failure: failures.map((f) => f()).find((f) => f !== undefined) ?? `the receiver counted ${counted} bytes` };
  } finally {
    await Promise.all([sender.stop(), receiver.stop()]);
  }
}

/** The error the first connection of a host to close with one closed with. */
function connectionFailure(host: Libp2p): () => string | undefined {
  let failure: string | undefined;
  host.addEventListener('connection:open', ({ detail }) => {
    detail.addEventListener('close', ({ error }) => (failure ??= error === undefined ? undefined : `${error.name}: ${error.message}`));
  });
  return () => failure;
}

const data = randomBytes(TRANSFER_BYTES);
const timed: Record<string, number[]> = Object.fromEntries(Object.keys(protectors).map((name) => [name, []]));
const failed: Record<string, string[]> = Object.fromEntries(Object.keys(protectors).map((name) => [name, []]));
const loadBefore = loadavg()[0]!;
for (let run = 0; run <= runs; run++) {
  for (const [name, protector] of Object.entries(protectors)) {
    const outcome = await transfer(protector, data);
    if ('failure' in outcome) failed[name]!.push(`run ${run}: ${outcome.failure}`);
    // Run 0 warms the JIT: its failures count, its time does not.
    else if (run > 0) timed[name]!.push(outcome.mbPerS);
  }
}

const p50 = (name: string): number | null => percentile(timed[name]!, 50);
const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : round(a / b));
const summary = (name: string) => ({
  p50: round(p50(name)),
  min: round(timed[name]!.length > 0 ? Math.min(...timed[name]!) : null),
  max: round(timed[name]!.length > 0 ? Math.max(...timed[name]!) : null),
  timedRuns: timed[name]!.length,
  failedTransfers: failed[name],
});
console.log(
  JSON.stringify(
    {
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]!) } },
      transferMB: TRANSFER_BYTES / 2 ** 20,
      writeKB: WRITE_BYTES / 1024,
      runs: { timed: runs, warmUp: 1 },
      throughputMBps: Object.fromEntries(Object.keys(protectors).map((name) => [name, summary(name)])),
      shoalToPnet: ratio(p50('shoal'), p50('pnet')),
      shoalToNone: ratio(p50('shoal'), p50('none')),
    },
    null,
    2,
  ),
);
