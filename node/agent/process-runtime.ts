import { namespaceOf } from '../../crdt/roles.js';
import { loopbackAddress, loopbackServicePool, nodeDnsAddress } from './loopback-address.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { replicaName, type DesiredReplica, type ObservedReplica } from '../../protocol/agent/replica.js';
import { instanceName, type ReplicaIdentity } from './labels.js';
import { execBeside, fileLogs } from './process-streams.js';
import {
  ContentPendingError,
  StartHeldError,
  type ContainerRuntime,
  type ExecResult,
  type LogOptions,
  type ReplicaOwner,
  type ReplicaUsageSample,
  type ServiceEnv,
  type ServiceNetwork,
} from './runtime.js';
import { treeUsage } from '../usage/proc-stat.js';
import { hostPageSize, readProcessTable } from '../usage/proc-table.js';
import type { Clock } from '../../base/clock.js';
import { hostClock } from '../wall-clock.js';
import type { Availability } from '../content/content-service.js';
import { ARTIFACT_ID } from '../../protocol/content/artifact-entries.js';

/** Where artifacts this node lacks come from: the cluster's peers (node/content), as PeerImages for the Docker runtime. */
export interface PeerArtifacts {
  /** Whether artifact `id` is held here, on its way, or could not be had lately. */
  availability(id: string): Promise<Availability>;
}

/** What the runtime needs of the node's artifacts (node/artifacts/artifact-store.ts). */
export interface ArtifactSource {
  has(id: string): Promise<boolean>;
  /** Copies the artifact's files into `into`, a new directory; false where it is not held. */
  copy(id: string, into: string): Promise<boolean>;
}

export interface ProcessRuntimeOptions {
  /** One directory per replica below it, e.g. `<dataDir>/replicas`. */
  dir: string;
  log?: Logger;
  serviceEnv?: ServiceEnv;
  /** The node's wall clock (node/wall-clock.ts): replicas' start times and usage samples' times. The host's by default. */
  clock?: Clock;
  /** Artifacts replicas run in: the node's own, and its peers' for one it lacks. Without them, a spec that names one fails to start. */
  artifacts?: { store: ArtifactSource; peers?: PeerArtifacts | undefined };
}

/** What a replica's directory records, so that any later agent can adopt, restart or remove it. */
interface ReplicaRecord {
  owner: ReplicaOwner;
  replica: ReplicaIdentity;
  command: string[];
  env: Record<string, string>;
  /** The wrapper shell's pid, which is also the replica's process group. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells the replica from a later process given the same pid. */
  startTime?: number | undefined;
  startedAtMs: number;
  hostPorts: number[];
  /** The replica's own loopback address (loopback-address.ts); absent in records written before, which used 127.0.0.1. */
  address?: string;
  /** The artifact it runs in a copy of, `<replica dir>/artifact`: its working directory, kept across restarts. */
  artifact?: string;
}

/** What each (re)start of the command changes in the record. */
type Run = Pick<ReplicaRecord, 'pid' | 'startTime' | 'startedAtMs'>;

const RECORD = 'replica.json';
const OUTPUT = 'output.log';
const EXIT_CODE = 'exit-code';
/** The replica's copy of its artifact, inside its own directory: it may write there, the store's copy stays as it came. */
const ARTIFACT_DIR = 'artifact';
const REPLICA_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const POLL_MS = 20;
const KILL_WAIT_MS = 2_000;

/**
 * Records the command's exit status in a file, since a restarted agent is no longer the
 * parent that could wait for it. A trap, unlike an ignored signal, is reset in the
 * command: SIGTERM to the group ends the command at once and the shell lives on to write.
 */
const WRAPPER = ['exit_file=$1; shift', 'trap : TERM', '"$@"', 'echo $? > "$exit_file.tmp" && mv "$exit_file.tmp" "$exit_file"'].join('\n');

/**
 * Runs each replica's command as a process on this host, for machines without Docker.
 * Replicas run in their own session, so they outlive the agent just as containers do.
 */
export class ProcessRuntime implements ContainerRuntime {
  readonly kind = 'process';
  private readonly dir: string;
  private readonly log: Logger;
  private readonly serviceEnv: ServiceEnv | undefined;
  private readonly clock: Clock;
  private readonly artifacts: ProcessRuntimeOptions['artifacts'];
  private imageNoticeGiven = false;

  constructor(options: ProcessRuntimeOptions) {
    this.dir = options.dir;
    this.log = options.log ?? pino({ level: process.env.SHOAL_LOG_LEVEL ?? 'info' });
    this.serviceEnv = options.serviceEnv;
    this.clock = options.clock ?? hostClock;
    this.artifacts = options.artifacts;
  }

  async list(owner: ReplicaOwner): Promise<ObservedReplica[]> {
    return Promise.all((await this.owned(owner)).map(({ id, record }) => this.observe(id, record)));
  }

  async usage(owner: ReplicaOwner): Promise<ReplicaUsageSample[]> {
    const running = (await this.owned(owner)).filter(({ record }) => isRunning(record));
    if (running.length === 0) return [];
    const table = await readProcessTable();
    const atMs = this.clock.nowMs();
    return running.flatMap(({ id, record }) => {
      const used = treeUsage(table, record.pid, hostPageSize());
      const { workload, slot, epoch } = record.replica;
      return used === undefined ? [] : [{ id, workload, slot, epoch, ...used, atMs }];
    });
  }

  private async owned(owner: ReplicaOwner): Promise<{ id: string; record: ReplicaRecord }[]> {
    const ids = await readdir(this.dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
    const records = await Promise.all(ids.filter((id) => REPLICA_ID.test(id)).map(async (id) => ({ id, record: await this.read(id) })));
    return records.filter((r): r is { id: string; record: ReplicaRecord } => r.record?.owner.cluster === owner.cluster && r.record.owner.node === owner.node);
  }

  async start(replica: DesiredReplica, owner: ReplicaOwner, mayRun: () => boolean = () => true): Promise<string> {
    const command = [...(replica.spec.command ?? []), ...(replica.spec.args ?? [])];
    if (command.length === 0) throw new Error(`${replicaName(replica)}: the process runtime needs a command to run`);
    this.noticeIgnoredImage(replica.spec.image);
    const { artifact } = replica.spec;
    if (artifact !== undefined) await this.ensureArtifact(artifact);
    const id = instanceName(replica, owner);
    const root = join(SECRETS_TMPFS, id);
    // A process cannot be given its own root: its files (secrets) go to a directory in
    // memory, never to disk, and SHOAL_ROOT says where.
    // A process shares the host's network; SHOAL_REPLICA_IP is the address it listens on
    // to be reached by the node's probes and the service mesh (as Nomad's NOMAD_IP_*).
    const address = loopbackAddress(id);
    const namespace = namespaceOf(replica.workload);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...this.serviceEnv?.(namespace, await this.serviceNetwork(owner)),
      ...replica.spec.env,
      SHOAL_REPLICA_IP: address,
      ...(artifact === undefined ? {} : { SHOAL_ARTIFACT: artifact }),
      ...((replica.spec.files ?? []).length > 0 ? { SHOAL_ROOT: root } : {}),
    };
    await mkdir(this.replicaDir(id), { recursive: true });
    try {
      await writeFiles(root, replica.spec.files ?? []);
      const cwd = this.workDir(id, artifact);
      if (artifact !== undefined && !(await this.artifacts?.store.copy(artifact, cwd))) throw new Error(`artifact ${artifact} is no longer held on this node`);
      const started = await this.spawn(id, command, env, cwd, mayRun);
      const { workload, slot, epoch, specVersion } = replica;
      const hostPorts = replica.spec.ports.flatMap((p) => (p.hostPort === undefined ? [] : [p.hostPort]));
      const record = { owner, replica: { workload, slot, epoch, specVersion }, command, env: withoutSecrets(env, replica), hostPorts, address, ...started };
      await this.write(id, artifact === undefined ? record : { ...record, artifact });
    } catch (e) {
      await rm(this.replicaDir(id), { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
      throw e;
    }
    this.log.info({ id, workload: replica.workload, slot: replica.slot, command: command[0], ...(artifact === undefined ? {} : { artifact }) }, 'process started');
    return id;
  }

  /**
   * The env is the replica's as the agent gives it now: values from secrets are never kept
   * in the record. A replica of an artifact runs again in its copy as it left it, as a
   * container keeps its filesystem across a restart.
   */
  async restart(id: string, replica: DesiredReplica, mayRun: () => boolean = () => true): Promise<void> {
    const record = await this.read(id);
    if (record === undefined) throw new Error(`no replica ${id} to restart`);
    if (isRunning(record)) return;
    const env = { ...record.env, ...replica.spec.env };
    await this.write(id, { ...record, ...(await this.spawn(id, record.command, env, this.workDir(id, record.artifact), mayRun)) });
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const record = await this.read(id);
    if (record !== undefined && isRunning(record)) await stop(record, graceMs);
  }

  async remove(id: string, graceMs: number): Promise<void> {
    const record = await this.read(id);
    if (record !== undefined && isRunning(record)) await stop(record, graceMs);
    await rm(this.replicaDir(id), { recursive: true, force: true });
    await rm(join(SECRETS_TMPFS, id), { recursive: true, force: true });
    this.log.debug({ id }, 'process removed');
  }

  logs(id: string, options: LogOptions): AsyncIterable<Uint8Array> {
    return fileLogs(join(this.replicaDir(id), OUTPUT), options);
  }

  async exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const record = await this.read(id);
    if (record === undefined) throw new Error(`no replica ${id}`);
    return execBeside(command, this.workDir(id, record.artifact), record.env, timeoutMs);
  }

  /** Loopback needs no set-up: every 127.x.y.z is already this host's. */
  async serviceNetwork(owner: ReplicaOwner): Promise<ServiceNetwork> {
    return { dnsAddress: nodeDnsAddress(owner.node), pool: loopbackServicePool(owner.node), claim: async () => undefined, release: async () => undefined };
  }

  async close(): Promise<void> {}

  private async spawn(id: string, command: string[], env: Record<string, string>, cwd: string, mayRun: () => boolean): Promise<Run> {
    const dir = this.replicaDir(id);
    assertExecutable(command[0] ?? '', env.PATH ?? '', cwd);
    await rm(join(dir, EXIT_CODE), { force: true });
    const output = await open(join(dir, OUTPUT), 'a');
    try {
      if (!mayRun()) throw new StartHeldError(id);
      const startedAtMs = this.clock.nowMs();
      const child = spawn('/bin/sh', ['-c', WRAPPER, 'shoal-replica', join(dir, EXIT_CODE), ...command], {
        cwd,
        env,
        detached: true,
        stdio: ['ignore', output.fd, output.fd],
      });
      child.unref();
      const { pid } = child;
      if (pid === undefined) throw (await once(child, 'error'))[0] as Error;
      return { pid, startTime: processStartTime(pid), startedAtMs };
    } finally {
      await output.close();
    }
  }

  private async observe(id: string, record: ReplicaRecord): Promise<ObservedReplica> {
    const common = { id, ...record.replica, startedAtMs: record.startedAtMs, address: record.address ?? '127.0.0.1', hostPorts: record.hostPorts };
    if (isRunning(record)) return { ...common, state: 'running' };
    const { exitCode, finishedAtMs } = await this.exitStatus(id);
    // File times come from a coarse kernel clock, which can lag the node's clock by a few ms (or more, skewed).
    const finished = finishedAtMs === undefined ? undefined : Math.max(finishedAtMs, record.startedAtMs);
    return { ...common, state: 'exited', exitCode, finishedAtMs: finished };
  }

  /** Absent when the wrapper itself was killed (SIGKILL) before it could write. */
  private async exitStatus(id: string): Promise<{ exitCode?: number; finishedAtMs?: number }> {
    const file = join(this.replicaDir(id), EXIT_CODE);
    try {
      const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
      return { exitCode: Number.parseInt(text, 10), finishedAtMs: info.mtimeMs };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
  }

  /** Undefined for a directory without a record (one being created or removed), or a stray file. */
  private async read(id: string): Promise<ReplicaRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.replicaDir(id), RECORD), 'utf8')) as ReplicaRecord;
    } catch (e) {
      if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw e;
    }
  }

  /** Written whole and renamed into place, so a reader never sees half a record; 0600 as env may hold secrets. */
  private async write(id: string, record: ReplicaRecord): Promise<void> {
    const file = join(this.replicaDir(id), RECORD);
    await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  /** Where the replica's command runs: its copy of its artifact, else its own directory. */
  private workDir(id: string, artifact: string | undefined): string {
    return artifact === undefined ? this.replicaDir(id) : join(this.replicaDir(id), ARTIFACT_DIR);
  }

  /**
   * Makes sure the artifact is here before anything of the replica is made: held, else
   * fetched from a peer in the background while the start waits (ContentPendingError,
   * no failure); a fetch that failed lately, or no way to fetch, fails the start.
   */
  private async ensureArtifact(artifact: string): Promise<void> {
    // The document holds what its writer sent: checked before the id names a path or a fetch.
    if (!ARTIFACT_ID.test(artifact)) throw new Error(`spec.artifact ${JSON.stringify(artifact)} is not an artifact id (sha256: and 64 hex digits)`);
    const { store, peers } = this.artifacts ?? {};
    if (store === undefined) throw new Error(`artifact ${artifact}: this runtime was given no artifact store`);
    if (await store.has(artifact)) return;
    if (peers === undefined) throw new Error(`artifact ${artifact} is not on this node, and it fetches none from peers`);
    const availability = await peers.availability(artifact);
    if (availability.state === 'fetching') throw new ContentPendingError(`artifact ${artifact}`, availability.message);
    if (availability.state === 'failed') throw new Error(`artifact ${artifact} is not on this node and no peer could give it: ${availability.message}`);
  }

  /** Ids come from callers; one that could climb out of `dir` must never reach `rm`. */
  private replicaDir(id: string): string {
    if (!REPLICA_ID.test(id)) throw new Error(`not a replica id: ${JSON.stringify(id)}`);
    return join(this.dir, id);
  }

  /** Said once; a spec with an artifact may name no image, and then there is nothing to say. */
  private noticeIgnoredImage(image: string): void {
    if (this.imageNoticeGiven || image === '') return;
    this.imageNoticeGiven = true;
    this.log.warn({ image }, 'the process runtime ignores images: each replica runs its command and args on this host');
  }
}

/** Secrets stay in memory: /dev/shm is a tmpfs on Linux. */
const SECRETS_TMPFS = '/dev/shm/shoal-replicas';

/** The env as the record keeps it on disk: without the values that came from secrets. */
const withoutSecrets = (env: Record<string, string>, replica: DesiredReplica): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([name]) => !(replica.spec.secretEnv ?? []).includes(name)));

async function writeFiles(root: string, files: NonNullable<DesiredReplica['spec']['files']>): Promise<void> {
  for (const file of files) {
    const path = join(root, file.path);
    if (!path.startsWith(`${root}/`)) throw new Error(`file path ${file.path} leaves the replica's directory`);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(path, Buffer.from(file.content, 'base64'), { mode: file.mode });
  }
}

const isRunning = (record: ReplicaRecord): boolean => record.startTime !== undefined && processStartTime(record.pid) === record.startTime;

/** SIGTERM to the replica's group, SIGKILL once the grace is over. */
async function stop(record: ReplicaRecord, graceMs: number): Promise<void> {
  signalGroup(record.pid, 'SIGTERM');
  await until(() => !isRunning(record), graceMs);
  // Also ends what the command left behind in its group, such as a child ignoring SIGTERM.
  // The group's id is not handed out again while a member lives; once the group is empty
  // the kill finds nothing, unless the pid space wrapped around within these milliseconds.
  signalGroup(record.pid, 'SIGKILL');
  await until(() => !isRunning(record), KILL_WAIT_MS);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
}

/** Field 22 of /proc/<pid>/stat, in clock ticks after boot; undefined once the process has ended. */
function processStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2, the command name, may hold spaces and parentheses: count from its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  return state === 'Z' || state === 'X' ? undefined : Number(fields[19]);
}

/** Looks `name` up as the shell will (with a slash relative to `cwd`, else in PATH), so a typo fails the start, not the replica. */
function assertExecutable(name: string, path: string, cwd: string): void {
  const candidates = name.includes('/')
    ? [resolve(cwd, name)]
    : path
        .split(delimiter)
        .filter((d) => d !== '')
        .map((d) => join(d, name));
  if (!candidates.some(isExecutableFile)) throw new Error(`cannot start ${name}: no such executable file (PATH ${path})`);
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
