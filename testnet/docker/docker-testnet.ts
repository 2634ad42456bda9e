import Dockerode from 'dockerode';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateApiTls, type ApiTls } from '../../node/api/tls.js';
import { UserError } from '../../node/errors.js';
import { loadOperatorKey, type OperatorKey } from '../../node/operator-key.js';
import { ensureBusyboxImage } from '../images/busybox-image.js';
import { copyIntoDataDir, createNodeContainer } from './node-containers.js';
import { ensureNodeImage } from './node-image.js';
import { waitForAlive, waitForApi } from './node-api.js';
import { API_PORT, checkTestnetName, containerName, DEFAULT_TESTNET, nodeName } from './resources.js';
import { RunningTestnet } from './running-testnet.js';
import { initSeedNode } from './seed-node.js';
import { hasState, loadState, saveState, testnetDir, type TestnetState } from './state-file.js';
import { teardown } from './teardown.js';
import { createTestnetNetwork, MAX_NODES, nodeIp } from './testnet-network.js';
import type { Testnet, TestnetNode, TestnetOptions } from './testnet.js';

const START_TIMEOUT_MS = 60_000;
const PING_TIMEOUT_MS = 3_000;

async function engine(): Promise<Dockerode> {
  try {
    await new Dockerode({ timeout: PING_TIMEOUT_MS }).ping();
  } catch (e) {
    throw new UserError(`no Docker engine answers at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'} (${(e as Error).message})`);
  }
  return new Dockerode();
}

/**
 * Starts a testnet: builds or reuses the node image and the replicas' busybox image, makes
 * the network, initialises node 1 on the host (the operator key stays in the testnet's
 * directory), starts every node, and resolves once each sees all of them alive. On any
 * failure it removes what it made.
 */
export async function up(options: TestnetOptions): Promise<Testnet> {
  const name = checkTestnetName(options.name ?? DEFAULT_TESTNET);
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_NODES) {
    throw new UserError(`invalid node count ${options.nodes}: expected 1 to ${MAX_NODES}`);
  }
  if (hasState(name)) throw new UserError(`testnet ${name} is already up: \`shoal testnet down --name ${name}\` first`);
  const log = options.log ?? (() => undefined);
  const docker = await engine();
  const image = await ensureNodeImage(docker, log);
  await ensureBusyboxImage(docker);
  // No state file, so whatever carries this testnet's label is left from an `up` that died.
  await teardown(docker, name, undefined);
  try {
    const subnet = await createTestnetNetwork(docker, name);
    log(`network ${name} on ${subnet}, image ${image}`);
    const state = await startNodes(docker, { name, image, subnet, count: options.nodes, preset: options.preset ?? 'local' });
    saveState(state);
    await waitForAlive(
      state.nodes.map((n) => n.api),
      loadOperatorKey(state.operatorKey),
      state.nodes.length,
      START_TIMEOUT_MS,
    );
    log(`${state.nodes.length} nodes alive`);
    return new RunningTestnet(docker, state);
  } catch (e) {
    // No workload was applied yet, so the cluster has no replicas to remove.
    await teardown(docker, name, undefined);
    throw e;
  }
}

interface Layout {
  name: string;
  image: string;
  subnet: string;
  count: number;
  preset: string;
}

/** Every node started at once: the others re-dial node 1 until it answers. */
async function startNodes(docker: Dockerode, layout: Layout): Promise<TestnetState> {
  const indices = Array.from({ length: layout.count }, (_, i) => i + 1);
  const ips = indices.map((i) => nodeIp(layout.subnet, i));
  const operatorKey = join(testnetDir(layout.name), 'operator.key');
  const seedDir = mkdtempSync(join(tmpdir(), 'shoal-testnet-seed-'));
  try {
    const seed = await initSeedNode(seedDir, operatorKey, ips[0] as string);
    // Each node's API certificate is made here, so the host knows the fingerprint it pins.
    const tls = await Promise.all(indices.map((i) => (i === 1 ? loadOrCreateApiTls(seedDir) : apiTlsIn(join(seedDir, `tls-${i}`)))));
    const spec = (index: number) => ({ testnet: layout.name, index, image: layout.image, ip: ips[index - 1] as string, preset: layout.preset });
    const containers = await Promise.all(indices.map((i) => createNodeContainer(docker, { ...spec(i), token: i === 1 ? undefined : seed.token })));
    await copyIntoDataDir(
      containers[0] as Dockerode.Container,
      seedDir,
      indices.slice(1).map((i) => `tls-${i}`),
    );
    await Promise.all(containers.slice(1).map((c, i) => copyIntoDataDir(c, join(seedDir, `tls-${i + 2}`))));
    await Promise.all(containers.map((c) => c.start()));
    const key = loadOperatorKey(operatorKey);
    const nodes = await Promise.all(indices.map((i) => startedNode(layout.name, i, ips[i - 1] as string, (tls[i - 1] as ApiTls).fingerprint, key)));
    return { name: layout.name, cluster: seed.cluster, operatorKey, nodes };
  } finally {
    rmSync(seedDir, { recursive: true, force: true });
  }
}

/** A directory that holds just a new API certificate, to copy into a node's data directory. */
async function apiTlsIn(dir: string): Promise<ApiTls> {
  mkdirSync(dir);
  return loadOrCreateApiTls(dir);
}

async function startedNode(testnet: string, index: number, ip: string, fingerprint: string, key: OperatorKey): Promise<TestnetNode> {
  const api = { url: `https://${ip}:${API_PORT}`, fingerprint };
  const status = await waitForApi(api, key, START_TIMEOUT_MS);
  return { name: nodeName(index), container: containerName(testnet, index), ip, api, peerId: status.id };
}

/** The testnet `up` started, from its state file: each `shoal testnet` command is its own process. */
export async function attach(name: string = DEFAULT_TESTNET): Promise<Testnet> {
  const state = loadState(checkTestnetName(name));
  return new RunningTestnet(await engine(), state);
}

/** `down` by name: also cleans up after an `up` whose process died before it wrote the state file. */
export async function downByName(name: string = DEFAULT_TESTNET): Promise<void> {
  checkTestnetName(name);
  await teardown(await engine(), name, hasState(name) ? loadState(name).cluster : undefined);
}
