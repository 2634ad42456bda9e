import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, unlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { followProgress } from '../docker/docker-progress.js';
import { processesNaming } from '../processes.js';

/**
 * Side engines: Docker engines of their own beside the host's, one per Shoal node in a
 * test, since nodes that share an engine share its images (issue 18 moves images between
 * nodes, with no registry).
 *
 *   const side = await startSideEngines(3);
 *   try {
 *     await ensureBusyboxImage(side.engines[0].docker);
 *   } finally {
 *     await side.stop();
 *   }
 *
 * Each engine is a dockerd (with its own managed containerd) that touches nothing of the
 * host's engine. The flags that take care of that, and why:
 * - `--bridge <its own bridge>`, made here: `--bridge=none` makes dockerd delete the
 *   interface named docker0, the host engine's default bridge, and a non-default name must
 *   exist before dockerd starts (and may not come with `--bip`, so its address is set here).
 * - `--iptables=false`: with iptables on, a starting dockerd flushes and rebuilds the
 *   DOCKER chains, the host engine's rules with them. So the host's FORWARD policy (DROP,
 *   set by the host engine) also holds on a side engine's bridges: containers reach the
 *   host (their gateway, published ports) and the host reaches them, but two containers of
 *   one bridge do not reach each other directly.
 * - `--ip-forward=false`: the host's sysctl stays as it is; nothing here is routed.
 * - `--default-address-pool`: a /21 of 10.211.0.0/16 per engine, claimed by a slot file,
 *   so that networks of two engines (of one run or of two test files at once) never share
 *   a subnet; the first /24 is the default bridge's, seven are left for user networks.
 * - `--config-file`: an empty one, never the host's /etc/docker/daemon.json.
 * - `--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent`: a cgroup per engine, so
 *   that its containers' processes can be found and ended after a crash.
 *
 * Everything of an engine on disk sits in /tmp/sse/ID (short: unix socket paths are
 * limited to 108 bytes, and containerd's sit deep in the exec root). A crashed run's
 * engines are found by their slot file, whose owner process has gone, and reaped.
 */

const run = promisify(execFile);

/** Where every side engine keeps its files, and its slot files. */
export const SIDE_ENGINES_ROOT = '/tmp/sse';
/** 10.211.0.0/16 in /21s: no other Shoal test uses it (the Docker testnet takes 10.213/16). */
const BLOCK_PREFIX = '10.211';
const BLOCK_THIRD_OCTETS = 8;
const SLOTS = 256 / BLOCK_THIRD_OCTETS;
/** Generous: three engines start in about a second on two idle cores, but a test must pass on a busy machine too. */
const START_TIMEOUT_MS = 120_000;
/** What dockerd gets after SIGTERM before SIGKILL. Its containers are killed first, so it needs about a second. */
const STOP_TIMEOUT_MS = 30_000;
/** Calls made while stopping (list, kill) must not hang on an engine that no longer answers. */
const STOP_CALL_TIMEOUT_MS = 10_000;
/** How long killed processes get to disappear before a sweep gives up on them. */
const PROCESS_EXIT_TIMEOUT_MS = 10_000;
const POLL_MS = 100;
const ID_PATTERN = /^[0-9a-f]{6}$/;
/** containerd's shims put their sockets here whatever containerd's own state dir is. */
const SHIM_SOCKET_DIR = '/run/containerd/s';

export interface SideEngine {
  index: number;
  /** The engine's API socket. */
  socket: string;
  /** `unix://SOCKET`, as DOCKER_HOST takes it. */
  dockerHost: string;
  docker: Dockerode;
  dataRoot: string;
  execRoot: string;
  /** The engine's own directory: data root, exec root, socket, log. Gone once stopped. */
  dir: string;
  /** dockerd's process id. */
  pid: number;
  /** The addresses its networks take, such as 10.211.8.0/21. */
  addressBlock: string;
  /** Its default bridge's interface (made here, deleted on stop). */
  defaultBridge: string;
  /** The cgroup its containers run under (relative to each hierarchy's root). */
  cgroupParent: string;
  /** dockerd's log so far. */
  log(): string;
}

export interface SideEngines {
  engines: SideEngine[];
  /** Stops every engine, then removes all it left: processes, mounts, cgroups, bridges, files. Throws naming whatever remained. */
  stop(): Promise<void>;
}

export interface SideEngineOptions {
  /** How long each engine gets to answer /_ping. */
  startTimeoutMs?: number;
  /** How long each dockerd gets to exit after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

/** Where one engine keeps what it has, all derived from its id and slot, so a reaper finds it all again. */
interface Layout {
  id: string;
  /** Undefined for a directory no slot names (a run that crashed while releasing it). */
  slot: number | undefined;
  dir: string;
  dataRoot: string;
  execRoot: string;
  socket: string;
  pidfile: string;
  logFile: string;
  configFile: string;
  bridge: string;
  cgroupParent: string;
}

function layoutOf(id: string, slot: number | undefined): Layout {
  const dir = join(SIDE_ENGINES_ROOT, id);
  return {
    id,
    slot,
    dir,
    dataRoot: join(dir, 'd'),
    execRoot: join(dir, 'x'),
    socket: join(dir, 's'),
    pidfile: join(dir, 'pid'),
    logFile: join(dir, 'log'),
    configFile: join(dir, 'daemon.json'),
    bridge: `sse-${id}`,
    cgroupParent: `sse-${id}`,
  };
}

/** The slot's /21, as `10.211.X.0/21`, and its first /24's gateway: the default bridge's address. */
function blockOf(slot: number): { cidr: string; bridgeAddress: string; first: number; size: number } {
  const third = slot * BLOCK_THIRD_OCTETS;
  return {
    cidr: `${BLOCK_PREFIX}.${third}.0/${24 - Math.log2(BLOCK_THIRD_OCTETS)}`,
    bridgeAddress: `${BLOCK_PREFIX}.${third}.1/24`,
    first: ipv4Number(`${BLOCK_PREFIX}.${third}.0`),
    size: BLOCK_THIRD_OCTETS * 256,
  };
}

const ipv4Number = (address: string): number => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

// ---------------------------------------------------------------------------------------
// Slots: a symlink /tmp/sse/slot-N whose target names its owner, `PID.START.ID`. Creating
// a symlink is atomic and fails if it exists, so two processes never claim one slot, and
// the owner's start time (from /proc) tells a reused pid from the owner itself.

interface SlotClaim {
  slot: number;
  tag: string;
  pid: number;
  startTicks: number;
  id: string;
}

const slotPath = (slot: number): string => join(SIDE_ENGINES_ROOT, `slot-${slot}`);

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined if it has gone or is a zombie. */
function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted from its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

function claimSlot(id: string): SlotClaim {
  mkdirSync(SIDE_ENGINES_ROOT, { recursive: true, mode: 0o700 });
  const startTicks = processStart(process.pid) ?? 0;
  const tag = `${process.pid}.${startTicks}.${id}`;
  for (let slot = 0; slot < SLOTS; slot++) {
    try {
      symlinkSync(tag, slotPath(slot));
      return { slot, tag, pid: process.pid, startTicks, id };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new Error(`all ${SLOTS} side-engine slots in ${SIDE_ENGINES_ROOT} are taken (each engine holds one until stopped)`);
}

/** Removes the slot file if it still names this claim: another process may have reaped and reclaimed it meanwhile. */
function releaseSlot(slot: number, tag: string): void {
  try {
    if (readlinkSync(slotPath(slot)) === tag) unlinkSync(slotPath(slot));
  } catch {
    // Already gone.
  }
}

function readSlots(): SlotClaim[] {
  const claims: SlotClaim[] = [];
  for (const name of existsSync(SIDE_ENGINES_ROOT) ? readdirSync(SIDE_ENGINES_ROOT) : []) {
    const slot = /^slot-(\d+)$/.exec(name)?.[1];
    if (slot === undefined) continue;
    let tag = '';
    try {
      tag = readlinkSync(join(SIDE_ENGINES_ROOT, name));
    } catch {
      continue;
    }
    const [pid, startTicks, id] = tag.split('.');
    claims.push({ slot: Number(slot), tag, pid: Number(pid), startTicks: Number(startTicks), id: id ?? '' });
  }
  return claims;
}

const ownerAlive = (claim: SlotClaim): boolean => Number.isInteger(claim.pid) && claim.pid > 0 && processStart(claim.pid) === claim.startTicks;

// ---------------------------------------------------------------------------------------
// Starting.

/** Starts `count` engines at once; each answers /_ping when this resolves. Stale engines of crashed runs are reaped first. */
export async function startSideEngines(count: number, options: SideEngineOptions = {}): Promise<SideEngines> {
  await reapStaleSideEngines();
  const started = await Promise.allSettled(Array.from({ length: count }, (_, index) => startEngine(index, options)));
  const engines = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  let stopping: Promise<void> | undefined;
  // Once only: a test's finally may stop what its body has stopped already.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const problems = (await Promise.all(engines.map((e) => e.stop(options.stopTimeoutMs ?? STOP_TIMEOUT_MS)))).flat();
      if (problems.length > 0) throw new Error(`side engines left behind:\n  ${problems.join('\n  ')}`);
    })());
  const failures = started.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (failures.length > 0) {
    await stop().catch((e: unknown) => failures.push(e as Error));
    throw new Error(failures.map((f) => f.message).join('\n\n'));
  }
  return { engines: engines.map((e) => e.engine), stop };
}

interface RunningEngine {
  engine: SideEngine;
  /** Resolves to the problems left (empty when all is clean). */
  stop(timeoutMs: number): Promise<string[]>;
}

function claimLayout(): { layout: Layout; claim: SlotClaim } {
  for (;;) {
    const id = randomBytes(3).toString('hex');
    const claim = claimSlot(id);
    const layout = layoutOf(id, claim.slot);
    try {
      // Made after the slot file: a reaper that lists directories, then slots, takes a directory no slot names for a crashed one.
      mkdirSync(layout.dir);
      return { layout, claim };
    } catch (e) {
      releaseSlot(claim.slot, claim.tag);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function dockerdArgs(layout: Layout, addressPool: string): string[] {
  return [
    `--config-file=${layout.configFile}`,
    `--data-root=${layout.dataRoot}`,
    `--exec-root=${layout.execRoot}`,
    `--pidfile=${layout.pidfile}`,
    `--host=unix://${layout.socket}`,
    `--bridge=${layout.bridge}`,
    '--iptables=false',
    '--ip-forward=false',
    `--default-address-pool=base=${addressPool},size=24`,
    '--exec-opt=native.cgroupdriver=cgroupfs',
    `--cgroup-parent=${layout.cgroupParent}`,
  ];
}

async function startEngine(index: number, options: SideEngineOptions): Promise<RunningEngine> {
  const { layout, claim } = claimLayout();
  const block = blockOf(claim.slot);
  let child: ChildProcess | undefined;
  const spawnFailure: { error?: Error } = {};
  const stop = async (timeoutMs: number): Promise<string[]> => {
    const problems = await stopEngine(layout, child, timeoutMs);
    if (problems.length === 0) releaseSlot(claim.slot, claim.tag);
    return problems;
  };
  try {
    mkdirSync(layout.dataRoot);
    mkdirSync(layout.execRoot);
    writeFileSync(layout.configFile, '{}\n');
    await ip(['link', 'add', layout.bridge, 'type', 'bridge']);
    await ip(['addr', 'add', block.bridgeAddress, 'dev', layout.bridge]);
    const logFd = openSync(layout.logFile, 'a');
    try {
      // In this process's group, not detached: a test runner that ends the group ends the engines too.
      child = spawn('dockerd', dockerdArgs(layout, block.cidr), { stdio: ['ignore', logFd, logFd] });
      // Kept, not thrown: an 'error' event with no listener would end the test process.
      child.on('error', (e) => (spawnFailure.error = e));
      // A test that never calls stop() must not hang its process: the engine is left to the next run's reaper.
      child.unref();
    } finally {
      closeSync(logFd);
    }
    const docker = new Dockerode({ socketPath: layout.socket });
    await waitForPing(layout, child, spawnFailure, options.startTimeoutMs ?? START_TIMEOUT_MS, index);
    const engine: SideEngine = {
      index,
      socket: layout.socket,
      dockerHost: `unix://${layout.socket}`,
      docker,
      dataRoot: layout.dataRoot,
      execRoot: layout.execRoot,
      dir: layout.dir,
      pid: child.pid ?? -1,
      addressBlock: block.cidr,
      defaultBridge: layout.bridge,
      cgroupParent: layout.cgroupParent,
      log: () => readText(layout.logFile),
    };
    return { engine, stop };
  } catch (e) {
    const problems = await stop(0);
    throw new Error(`${(e as Error).message}${problems.length > 0 ? `\nand its cleanup left: ${problems.join('; ')}` : ''}`);
  }
}

const readText = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** The log's last lines, without containerd's gRPC chatter. */
function logTail(layout: Layout, lines = 30): string {
  const kept = readText(layout.logFile)
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.includes('module=grpc'));
  return kept.slice(-lines).join('\n');
}

async function waitForPing(layout: Layout, child: ChildProcess, spawnFailure: { error?: Error }, timeoutMs: number, index: number): Promise<void> {
  const pinger = new Dockerode({ socketPath: layout.socket, timeout: 5_000 });
  const deadline = Date.now() + timeoutMs;
  let last = '';
  const what = `side engine ${index} (dockerd pid ${child.pid ?? '?'}, ${layout.dir})`;
  while (Date.now() < deadline) {
    if (spawnFailure.error !== undefined) throw new Error(`${what} did not start: ${spawnFailure.error.message} (dockerd comes with Debian's docker.io)`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it answered /_ping; its log ends:\n${logTail(layout)}`);
    }
    try {
      await pinger.ping();
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`${what} did not answer /_ping within ${timeoutMs / 1000} s (${last}); its log ends:\n${logTail(layout)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Stopping.

/** Kills the containers (a graceful stop would wait out each one's stop timeout), stops dockerd, then sweeps up. */
async function stopEngine(layout: Layout, child: ChildProcess | undefined, timeoutMs: number): Promise<string[]> {
  const bridges = new Set([layout.bridge]);
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const docker = new Dockerode({ socketPath: layout.socket, timeout: STOP_CALL_TIMEOUT_MS });
    try {
      // Docker names a user-defined bridge br-<first 12 of its id> unless told otherwise.
      for (const n of await docker.listNetworks()) if (n.Driver === 'bridge') bridges.add(n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`);
      const running = await docker.listContainers();
      await Promise.allSettled(running.map((c) => docker.getContainer(c.Id).kill()));
    } catch {
      // An engine that does not answer is killed all the same, and swept after.
    }
    await endProcess(child, timeoutMs);
  }
  return sweep(layout, bridges);
}

async function endProcess(child: ChildProcess, timeoutMs: number): Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // The timer is cleared once the process exits: a pending one would hold the test process open for its whole length.
  const within = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  child.kill('SIGTERM');
  if (await within(timeoutMs)) return;
  child.kill('SIGKILL');
  await within(PROCESS_EXIT_TIMEOUT_MS);
}

/**
 * Removes everything an engine may have left, whether it stopped cleanly or crashed:
 * its processes (dockerd, containerd, shims: all name its directory), its containers'
 * processes (by cgroup), cgroups, mounts (data root, overlays, network namespaces), shim
 * sockets, bridges (by name and by address), and its directory. Returns what remained.
 */
async function sweep(layout: Layout, bridges: Set<string>): Promise<string[]> {
  const problems = await killEngineProcesses(layout);
  problems.push(...removeCgroups(layout.cgroupParent));
  removeShimSockets(layout);
  problems.push(...(await unmountUnder(layout.dir)));
  if (layout.slot !== undefined) for (const name of await interfacesInBlock(layout.slot)) bridges.add(name);
  problems.push(...(await deleteBridges(bridges)));
  try {
    rmSync(layout.dir, { recursive: true, force: true });
  } catch (e) {
    problems.push(`${layout.dir}: ${(e as Error).message}`);
  }
  return problems;
}

/** SIGKILLs, until none is left, every process naming the engine's directory and every one in its cgroup (containers, a shim's children). */
async function killEngineProcesses(layout: Layout): Promise<string[]> {
  const find = (): number[] => [...new Set([...processesNaming(`${layout.dir}/`), ...cgroupProcesses(layout.cgroupParent)])].filter((pid) => processStart(pid) !== undefined);
  const deadline = Date.now() + PROCESS_EXIT_TIMEOUT_MS;
  for (let left = find(); left.length > 0; left = find()) {
    if (Date.now() > deadline) return left.map((pid) => `process ${pid} outlived SIGKILL`);
    for (const pid of left) signal(pid, 'SIGKILL');
    await sleep(POLL_MS);
  }
  return [];
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** The mount points of each cgroup hierarchy (v1 has one per controller, v2 one). */
function cgroupRoots(): string[] {
  return mounts()
    .filter((m) => m.type === 'cgroup' || m.type === 'cgroup2')
    .map((m) => m.point);
}

/** The cgroup directories named `parent` in every hierarchy, each with its descendants, deepest first. */
function cgroupDirs(parent: string): string[] {
  const walk = (dir: string): string[] => [
    ...readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => walk(join(dir, e.name))),
    dir,
  ];
  return cgroupRoots()
    .map((root) => join(root, parent))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => {
      try {
        return walk(dir);
      } catch {
        return [];
      }
    });
}

function cgroupProcesses(parent: string): number[] {
  const pids = cgroupDirs(parent).flatMap((dir) => readText(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number));
  return [...new Set(pids)];
}

function removeCgroups(parent: string): string[] {
  const problems: string[] = [];
  for (const dir of cgroupDirs(parent)) {
    try {
      rmdirSync(dir);
    } catch (e) {
      problems.push(`cgroup ${dir}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** A killed shim leaves its socket in /run/containerd/s, named by a hash of containerd's address, the namespace and the container id. */
function removeShimSockets(layout: Layout): void {
  const containerdDir = join(layout.execRoot, 'containerd');
  const taskDir = join(containerdDir, 'daemon', 'io.containerd.runtime.v2.task', 'moby');
  const ids = new Set([containerdDir, taskDir].flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n)) : [])));
  for (const id of ids) {
    const hash = createHash('sha256')
      .update(join(containerdDir, 'containerd.sock', 'moby', id))
      .digest('hex');
    rmSync(join(SHIM_SOCKET_DIR, hash), { force: true });
  }
}

interface Mount {
  point: string;
  type: string;
}

/** /proc/mounts, with its octal escapes (a space is \040) undone. */
export function mounts(): Mount[] {
  const decode = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
  return readText('/proc/mounts')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, point = '', type = ''] = line.split(' ');
      return { point: decode(point), type };
    });
}

/** Unmounts everything at or under `dir`, deepest first; a mount that stays busy is detached (lazily). */
async function unmountUnder(dir: string): Promise<string[]> {
  const under = (): string[] =>
    mounts()
      .map((m) => m.point)
      .filter((p) => p === dir || p.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
  // A point may be mounted more than once (a dockerd that failed to start leaves its bind mount of the data root).
  for (let round = 0; round < 5 && under().length > 0; round++) {
    for (const point of under()) {
      await run('umount', [point]).catch(() => run('umount', ['-l', point]).catch(() => undefined));
    }
  }
  return under().map((p) => `mount ${p}`);
}

async function ip(args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (e) {
    const stderr = ((e as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`ip ${args.join(' ')}: ${stderr || (e as Error).message}`);
  }
}

/** Interfaces with an IPv4 address in the slot's block: the bridges of its engine's networks, whatever their names. */
async function interfacesInBlock(slot: number): Promise<string[]> {
  const { first, size } = blockOf(slot);
  const links = JSON.parse(await ip(['-j', '-4', 'addr', 'show'])) as { ifname: string; addr_info?: { local?: string }[] }[];
  return links
    .filter((l) =>
      (l.addr_info ?? []).some((a) => {
        const n = a.local === undefined ? Number.NaN : ipv4Number(a.local);
        return n >= first && n < first + size;
      }),
    )
    .map((l) => l.ifname);
}

/** Deletes each bridge and the veths still on it (a veth goes with its container's namespace, but one may linger). */
async function deleteBridges(names: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  for (const name of names) {
    if (!existsSync(`/sys/class/net/${name}`)) continue;
    const ports = existsSync(`/sys/class/net/${name}/brif`) ? readdirSync(`/sys/class/net/${name}/brif`) : [];
    for (const port of ports) await ip(['link', 'del', port]).catch(() => undefined);
    await ip(['link', 'del', name]).catch((e: Error) => problems.push(`bridge ${name}: ${e.message}`));
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// Reaping.

/**
 * Sweeps up the side engines of runs that have gone (a crash, a test runner's SIGKILL):
 * those whose slot's owner process no longer runs, and directories no slot names.
 * Resolves to their ids; throws naming what it could not remove (the slot then stays
 * taken, so its addresses are not handed out again).
 */
export async function reapStaleSideEngines(): Promise<string[]> {
  if (!existsSync(SIDE_ENGINES_ROOT)) return [];
  // Directories first, then slots: a directory is made after its slot, so one listed here whose slot is not listed next has no live owner.
  const dirs = readdirSync(SIDE_ENGINES_ROOT).filter((n) => ID_PATTERN.test(n));
  const claims = readSlots();
  const named = new Set(claims.map((c) => c.id));
  const reaped: string[] = [];
  const problems: string[] = [];
  for (const claim of claims.filter((c) => !ownerAlive(c))) {
    const left = ID_PATTERN.test(claim.id) ? await sweep(layoutOf(claim.id, claim.slot), new Set()) : [];
    if (left.length === 0) releaseSlot(claim.slot, claim.tag);
    problems.push(...left);
    reaped.push(claim.id);
  }
  for (const id of dirs.filter((d) => !named.has(d))) {
    problems.push(...(await sweep(layoutOf(id, undefined), new Set())));
    reaped.push(id);
  }
  if (problems.length > 0) throw new Error(`stale side engines in ${SIDE_ENGINES_ROOT} left behind:\n  ${problems.join('\n  ')}`);
  return reaped;
}

// ---------------------------------------------------------------------------------------
// Images.

/** `docker save REF | docker load` from one engine to another; throws if the image did not arrive. */
export async function copyImage(from: Dockerode, to: Dockerode, reference: string): Promise<void> {
  const archive = await from.getImage(reference).get();
  const progress = await to.loadImage(archive, { quiet: true });
  await followProgress(to, progress, `docker load of ${reference}`);
  await to.getImage(reference).inspect();
}
