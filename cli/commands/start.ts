import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hasCluster, loadCluster, saveCluster } from '../../node/cluster.js';
import { createNodeLoggers, parseLogFormat } from '../../node/logger.js';
import { guardStreamRaces } from '../../node/stream-race-guard.js';
import { defaultQuota, type QuotaConfig } from '../../protocol/quota/author-quota.js';
import type { RuntimeChoice } from '../../node/agent/choose-runtime.js';
import { startNode } from '../../node/daemon.js';
import { JoinTimeoutError, UserError } from '../../node/errors.js';
import { decodeJoinToken, type JoinTokenError } from '../../node/join-token.js';
import { swimConfig, type SwimPreset } from '../../protocol/swim/index.js';
import { parseHostPort, parseLabels, parseSeed } from '../options.js';

export interface StartOptions {
  dataDir: string;
  listen: string[];
  advertise: string[];
  api: string;
  join?: string;
  seed: string[];
  label: string[];
  swimPreset: string;
  joinTimeout: string;
  enableFaultInjection: boolean;
  runtime: string;
  writeQuota: string;
  publishAddress: string;
  replicasNetwork: string;
  logFormat?: string;
  logFile?: string;
  logLevel?: string;
  metricsTokenFile?: string;
  usageInterval: string;
  imageBandwidth?: string;
  artifactStoreBytes?: string;
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** Bytes with a unit (20MB, 512KiB) or none; NaN where it is not that. */
function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = BYTE_UNITS[(match?.[2] ?? '').toLowerCase()];
  return match === null || unit === undefined ? NaN : Math.floor(Number(match[1]) * unit);
}

/** `--image-bandwidth`: bytes per second, with a unit (20MB, 512KiB) or none. */
function parseBandwidth(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bytes = parseBytes(text);
  if (!(bytes >= 64 * 1024)) throw new UserError(`invalid --image-bandwidth '${text}': expected bytes per second of at least 64KiB, such as 20MB or 512KiB`);
  return bytes;
}

/** `--artifact-store-bytes`: at least 64 MiB, and a safe integer (the store adds sizes up). */
function parseArtifactStoreBytes(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bytes = parseBytes(text);
  if (!(bytes >= 64 * 2 ** 20 && Number.isSafeInteger(bytes)))
    throw new UserError(`invalid --artifact-store-bytes '${text}': expected bytes of at least 64MiB, such as 20GiB or 500MB`);
  return bytes;
}

/** The scrape token from its file, trimmed; a short one would be guessed. */
function readMetricsToken(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new UserError(`cannot read --metrics-token-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (token.length < 16) throw new UserError(`--metrics-token-file ${file}: the token must be at least 16 characters`);
  return token;
}

function parseWriteQuota(text: string): QuotaConfig {
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(text);
  const [rate, burst] = match === null ? [NaN, NaN] : [Number(match[1]), Number(match[2])];
  if (!(rate > 0 && burst >= 1)) throw new UserError(`invalid --write-quota '${text}': expected deltas per second and a burst, such as 50/1000`);
  return { ...defaultQuota(), deltasPerSecond: rate, burstDeltas: burst };
}

/** A node that joins with a token adopts the token's cluster; one that already has a cluster must match it. */
function seedsFromToken(dataDir: string, token: string | undefined): string[] {
  if (token === undefined) return [];
  let decoded: ReturnType<typeof decodeJoinToken>;
  try {
    decoded = decodeJoinToken(token);
  } catch (e) {
    throw new UserError(`invalid --join token: ${(e as JoinTokenError).message}`);
  }
  if (!hasCluster(dataDir)) saveCluster(dataDir, decoded.cluster);
  else if (loadCluster(dataDir).id !== decoded.cluster.id) {
    throw new UserError(`${dataDir} belongs to cluster ${loadCluster(dataDir).id}, but the token is for cluster ${decoded.cluster.id}`);
  }
  return decoded.seeds;
}

export async function start(opts: StartOptions): Promise<void> {
  if (!(opts.swimPreset in swimConfig)) throw new UserError(`invalid --swim-preset '${opts.swimPreset}': expected ${Object.keys(swimConfig).join(', ')}`);
  const joinTimeoutS = Number(opts.joinTimeout);
  if (!Number.isFinite(joinTimeoutS) || joinTimeoutS < 0) throw new UserError(`invalid --join-timeout '${opts.joinTimeout}': expected seconds, 0 to wait forever`);
  const quota = parseWriteQuota(opts.writeQuota);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/.test(opts.replicasNetwork)) throw new UserError(`invalid --replicas-network '${opts.replicasNetwork}': expected a Docker network name`);
  if (isIP(opts.publishAddress) === 0) throw new UserError(`invalid --publish-address '${opts.publishAddress}': expected an IP address, such as 0.0.0.0`);
  const seeds = [...seedsFromToken(opts.dataDir, opts.join), ...opts.seed.map((s) => parseSeed(s))];
  const listen = opts.listen.map((l) => parseSeed(l, '--listen'));
  const metricsToken = readMetricsToken(opts.metricsTokenFile);
  const usageIntervalS = Number(opts.usageInterval);
  if (!(usageIntervalS === 0 || (usageIntervalS >= 1 && usageIntervalS <= 3600)))
    throw new UserError(`invalid --usage-interval '${opts.usageInterval}': expected seconds from 1 to 3600, or 0 for none`);
  const { log, always } = await createNodeLoggers({ format: parseLogFormat(opts.logFormat), file: opts.logFile, level: opts.logLevel });
  guardStreamRaces(log);
  const node = await startNode({
    log,
    dataDir: opts.dataDir,
    listen,
    advertise: opts.advertise.map((a) => parseSeed(a, '--advertise')),
    api: parseHostPort(opts.api, '--api'),
    seeds,
    labels: parseLabels(opts.label),
    preset: opts.swimPreset as SwimPreset,
    faultInjection: opts.enableFaultInjection,
    runtime: opts.runtime as RuntimeChoice,
    quota,
    publishAddress: opts.publishAddress,
    replicasNetwork: opts.replicasNetwork,
    metricsToken,
    usageIntervalMs: usageIntervalS * 1000,
    imageBandwidth: parseBandwidth(opts.imageBandwidth),
    artifactStoreBytes: parseArtifactStoreBytes(opts.artifactStoreBytes),
  });
  always.info(
    {
      peerId: node.peerId,
      listen: node.listenAddrs,
      api: node.apiUrl,
      ...(node.apiFingerprint === undefined ? {} : { apiFingerprint: node.apiFingerprint }),
      startMs: node.startMs,
    },
    'shoal node started',
  );

  const shutdown = (): void => {
    node.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  if (seeds.length > 0 && joinTimeoutS > 0) {
    const deadline = Date.now() + joinTimeoutS * 1000;
    while (!node.hasJoined() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (!node.hasJoined()) {
      await node.stop();
      throw new JoinTimeoutError(seeds, joinTimeoutS, node.redialer.lastDialError);
    }
    always.info({ peerId: node.peerId }, 'joined the cluster');
  }
}
