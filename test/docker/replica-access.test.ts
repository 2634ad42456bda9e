import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { startLocalCluster, waitForMembers } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, SHOAL_BIN, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { eventLines, placements, until } from '../integration/scheduling-scenario.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();

const TICKER = `apiVersion: shoal/v1
kind: Workload
metadata: {name: ticker}
spec:
  image: shoal/busybox:1
  command: [sh, -c, "i=0; while true; i=$((i+1)); do echo tick $i; sleep 0.2; done"]
  replicas: 1
  resources: {cpu: 50m, memory: 8Mi}
`;

/** Reads `shoal logs -f` until `count` lines it had not printed when it started have come. */
function followNewLines(api: string, key: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(SHOAL_BIN, ['logs', 'ticker', '-f', '--tail', '1', '--api', api, '--key', key], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${count} new lines within 15 s: ${out} ${stderr}`));
    }, 15_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n').filter((l) => l.startsWith('tick'));
      if (lines.length > count) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(lines.slice(1, count + 1));
      }
    });
  });
}

(docker === null ? test.skip : test)('logs, exec and scale work from a node that does not run the replica', async () => {
  if (docker !== null) await ensureBusyboxImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-replica-access-'));
  const replicas = new LocalReplicas('docker');
  const cluster = await startLocalCluster({ dir, nodes: 3, args: ['--runtime', 'docker'] });
  try {
    const first = cluster.nodes[0] as ShoalNodeProcess;
    await waitForMembers(first.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 20_000);
    writeFileSync(join(dir, 'ticker.yaml'), TICKER);
    const applied = await runShoal(['apply', '-f', join(dir, 'ticker.yaml'), '--api', first.apiAddress, '--key', cluster.operatorKey]);
    assert.is(applied.code, 0, applied.stderr);
    // A fresh cluster's first auction waits for every member's answer (10 s at most), then a container starts: on a busy machine, well past 30 s once.
    const running = await until('the ticker runs', async () => (await placements(first)).find((p) => p.state === 'running'), 90_000).catch(async (e: Error) => {
      throw new Error(`${e.message}; the nodes' events:${await eventLines(cluster.nodes)}`);
    });
    const elsewhere = cluster.nodes.find((n) => n.peerId !== running.node) as ShoalNodeProcess;

    const fresh = await followNewLines(elsewhere.apiAddress, cluster.operatorKey, 3);
    const numbers = fresh.map((l) => Number(l.split(' ')[1]));
    assert.equal(numbers, [numbers[0], (numbers[0] as number) + 1, (numbers[0] as number) + 2], `consecutive new lines: ${fresh.join(', ')}`);

    const tail = await runShoal(['logs', 'ticker', '--tail', '2', '--api', elsewhere.apiAddress, '--key', cluster.operatorKey]);
    assert.is(tail.stdout.trim().split('\n').length, 2, tail.stdout + tail.stderr);

    const exec = await runShoal(['exec', 'ticker', '--api', elsewhere.apiAddress, '--key', cluster.operatorKey, '--', 'sh', '-c', 'echo from-inside; exit 3']);
    assert.equal([exec.code, exec.stdout], [3, 'from-inside\n'], exec.stderr);

    const events = await runShoal(['events', '-o', 'json', '--api', elsewhere.apiAddress, '--key', cluster.operatorKey]);
    const seen = (JSON.parse(events.stdout) as { events: { kind: string; node: string; object: string }[] }).events;
    assert.ok(
      seen.some((e) => e.kind === 'started' && e.node === running.node && e.object === 'Workload/default/ticker'),
      "the running node's start event, seen from another node",
    );
    assert.ok(
      seen.some((e) => e.kind === 'placed'),
      events.stdout,
    );

    const missing = await runShoal(['logs', 'ticker', '--slot', '7', '--api', elsewhere.apiAddress, '--key', cluster.operatorKey]);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /no replica in slot 7/);
    const unknown = await runShoal(['logs', 'nosuch', '--api', elsewhere.apiAddress, '--key', cluster.operatorKey]);
    assert.is(unknown.code, 1);
    assert.match(unknown.stderr, /Workload\/default\/nosuch not found/, 'a workload the document lacks is not found, not a missing slot');

    for (const n of ['3', '1']) {
      const scaled = await runShoal(['scale', 'ticker', '--replicas', n, '--api', elsewhere.apiAddress, '--key', cluster.operatorKey]);
      assert.is(scaled.code, 0, scaled.stderr);
      await until(`${n} running`, async () => ((await placements(first)).filter((p) => p.state === 'running').length === Number(n) ? true : undefined), 30_000);
    }
    const [kept] = await placements(first);
    assert.equal([kept?.slot, kept?.node, kept?.epoch], [0, running.node, running.epoch], 'scaling down removed the highest slots; slot 0 stayed where it ran');
    await until('the removed replicas are gone', async () => ([...(await replicas.running(cluster.nodes)).values()].flat().length === 1 ? true : undefined), 20_000);
  } finally {
    await cluster.stop();
    await replicas.removeAll(cluster.nodes);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
