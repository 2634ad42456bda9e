import { get as httpGet } from 'node:http';
import * as assert from 'uvu/assert';
import { signedFetch } from '../../cli/client.js';
import type { EndpointJson, ServiceJson } from '../../protocol/api/services.js';
import { waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import type { LocalReplicas } from '../../testnet/local/replicas.js';
import type { ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

/**
 * Three nodes (started with --enable-fault-injection) running two replicas of `web`, an
 * HTTP service that answers with something of the replica's own, published on every node:
 * what the services scenarios below need from each runtime's test.
 */
export interface ServicesTestbed {
  cluster: LocalCluster;
  replicas: LocalReplicas;
  /** Where `node` listens on the published port. */
  publishAddress(node: ShoalNodeProcess): string;
  port: number;
  /** What the replica of `endpoint` answers with. */
  answerOf(endpoint: EndpointJson): Promise<string>;
  /** Makes the replica of `endpoint` fail its readiness probe, or pass it again. */
  setReady(endpoint: EndpointJson, ready: boolean): Promise<void>;
}

export async function serviceOf(bed: ServicesTestbed, node: ShoalNodeProcess, name: string): Promise<ServiceJson> {
  const response = await signedFetch(bed.cluster.operatorKey)(`${node.api}/v1/services/default/${name}`);
  if (!response.ok) throw new Error(`GET service ${name}: ${response.status}`);
  return (await response.json()) as ServiceJson;
}

/**
 * One request on a connection of its own, as separate clients would make (fetch would
 * reuse one). It settles within 10 s whatever happens: a connection that stalls half-way
 * through an answer fails, it does not hang the test.
 */
export const get = (url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const fail = (e: Error): void => {
      clearTimeout(timer);
      request.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`GET ${url}: no whole answer within 10 s`)), 10_000);
    const request = httpGet(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('error', fail);
      response.on('aborted', () => fail(new Error(`GET ${url}: the answer was cut off`)));
      response.on('end', () => {
        clearTimeout(timer);
        resolve(body.trim());
      });
    });
    request.on('error', fail);
  });

/** Cuts `node` off from `peers` (its libp2p connections and dials), or heals it with none. */
async function cut(bed: ServicesTestbed, node: ShoalNodeProcess, peers: readonly ShoalNodeProcess[]): Promise<void> {
  const fetchAs = signedFetch(bed.cluster.operatorKey);
  const response =
    peers.length === 0
      ? await fetchAs(`${node.api}/v1/faults/partition`, { method: 'DELETE' })
      : await fetchAs(`${node.api}/v1/faults/partition`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ peers: peers.map((p) => p.peerId) }),
        });
  if (!response.ok) throw new Error(`partition of ${node.peerId}: ${response.status} ${await response.text()}`);
}

/** The two endpoints as the first node sees them, their nodes, and the node with neither. */
async function layout(bed: ServicesTestbed) {
  const { nodes } = bed.cluster;
  const [one, other] = (await serviceOf(bed, nodes[0] as ShoalNodeProcess, 'web')).endpoints as [EndpointJson, EndpointJson];
  const nodeOf = (e: EndpointJson): ShoalNodeProcess => nodes.find((n) => n.peerId === e.node) as ShoalNodeProcess;
  const bare = nodes.find((n) => n.peerId !== one.node && n.peerId !== other.node) as ShoalNodeProcess;
  return { one, other, a: nodeOf(one), b: nodeOf(other), bare };
}

/** In a partition {A} | {B, C}, each side keeps serving from the replicas it reaches, and no request fails. */
export async function partitionScenario(bed: ServicesTestbed): Promise<void> {
  const { one, a, b, bare } = await layout(bed);
  const ownAnswer = await bed.answerOf(one);
  await Promise.all([cut(bed, a, [b, bare]), cut(bed, b, [a]), cut(bed, bare, [a])]);
  try {
    const answers = new Map<ShoalNodeProcess, Set<string>>([
      [a, new Set()],
      [bare, new Set()],
    ]);
    // Each failure by where it went and what it said: its count and when it first came after the cut.
    const failures = new Map<string, { count: number; firstMs: number }>();
    const cutAt = Date.now();
    const deadline = cutAt + 4_000;
    while (Date.now() < deadline) {
      for (const [via, seen] of answers) {
        const answer = await get(`http://${bed.publishAddress(via)}:${bed.port}/`).catch((e: unknown) => {
          const key = `via ${via === a ? 'A' : 'the bare node'}: ${(e as Error).message}`;
          const held = failures.get(key) ?? { count: 0, firstMs: Date.now() - cutAt };
          failures.set(key, { ...held, count: held.count + 1 });
          return undefined;
        });
        if (answer !== undefined) seen.add(answer);
      }
    }
    const failed = [...failures.values()].reduce((n, { count }) => n + count, 0);
    const said = [...failures].map(([what, { count, firstMs }]) => `${count} × ${what} (first ${firstMs} ms after the cut)`);
    assert.is(failed, 0, `no request failed; ${said.join('; ')}`);
    // A answers from its own replica only; the other side never from A's, which it cannot
    // reach (it serves from B's, and from the replica it starts in place of A's).
    assert.equal([...(answers.get(a) ?? [])], [ownAnswer], 'A served from its own replica');
    const far = [...(answers.get(bare) ?? [])];
    assert.ok(far.length > 0 && !far.includes(ownAnswer), `the other side served without A: ${far.join(', ')}`);
  } finally {
    await Promise.all(bed.cluster.nodes.map((n) => cut(bed, n, [])));
  }
  // The heal keeps one replica per slot (the original) and stops the other; what follows
  // starts once that is done and every node routes to the two replicas that run.
  await poll(
    'after the heal, two replicas run and every node routes to both',
    async () => {
      const running = [...(await bed.replicas.running(bed.cluster.nodes)).values()].flat().filter((r) => r.workload === 'Workload/default/web');
      const views = await Promise.all(bed.cluster.nodes.map(async (n) => (await serviceOf(bed, n, 'web')).endpoints));
      const settled = views.every((v) => v.length === 2 && v.every((e) => e.inRotation && running.some((r) => r.slot === e.slot && r.epoch === e.epoch)));
      return running.length === 2 && settled ? true : undefined;
    },
    60_000,
  );
}

/** An unready replica gets no traffic; after a kill -9 of a replica's node, no request fails once that node is suspect. */
export async function unreadyAndKillScenario(bed: ServicesTestbed): Promise<void> {
  const { one, other, b, bare } = await layout(bed);
  const url = `http://${bed.publishAddress(bare)}:${bed.port}/`;
  const otherAnswer = await bed.answerOf(other);

  await bed.setReady(one, false);
  await poll(
    'the unready replica out of rotation',
    async () => {
      const seen = (await serviceOf(bed, bare, 'web')).endpoints.find((e) => e.slot === one.slot);
      if (seen?.excluded === 'not ready') return true;
      throw new Error(`it sees ${JSON.stringify(seen)}`);
    },
    30_000,
  );
  for (let i = 0; i < 20; i++) assert.is(await get(url), otherAnswer, 'only the ready replica answers');
  await bed.setReady(one, true);
  await poll('the replica back in rotation', async () => ((await serviceOf(bed, bare, 'web')).endpoints.every((e) => e.inRotation) ? true : undefined), 30_000);

  const failures: number[] = [];
  let stop = false;
  const client = (async () => {
    while (!stop) await get(url).catch(() => failures.push(Date.now()));
  })();
  await new Promise((r) => setTimeout(r, 500));
  const killedAtMs = Date.now();
  b.child.kill('SIGKILL');
  await waitForMembers(bare.api, bed.cluster.operatorKey, (m) => m.some((x) => x.id === b.peerId && x.state !== 'alive'), 30_000);
  const suspectAtMs = Date.now();
  // Requests go on for a while after the suspicion, all to the replica left.
  await new Promise((r) => setTimeout(r, 2_000));
  stop = true;
  await client;
  const last = failures.at(-1);
  console.log(
    `    kill -9 of a replica's node: ${failures.length} failed requests, the last ${last === undefined ? '-' : `${last - killedAtMs} ms`} after the kill; suspect after ${suspectAtMs - killedAtMs} ms`,
  );
  assert.equal(
    failures.filter((at) => at > suspectAtMs),
    [],
    'no request fails once the node is suspect',
  );
}
