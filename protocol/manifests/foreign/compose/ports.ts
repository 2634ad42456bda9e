import { checkFields } from '../field-rules.js';
import type { Diagnostics, SourcePath } from '../translation.js';
import { NAME } from '../../workload.js';
import type { Located } from './context.js';
import { composeRules, describe, field, given, isMapping, scalarText, verdicts } from './values.js';

export type Protocol = 'tcp' | 'udp';

/** One container port as Compose asks for it, after ranges are expanded. */
export interface PortRequest {
  target: number;
  published?: number;
  protocol: Protocol;
  /** `host`: bound on the node running the replica; `ingress`: on every node, through the service. */
  mode: 'ingress' | 'host';
  name?: string;
  path: SourcePath;
}

export interface WorkloadPort {
  containerPort: number;
  hostPort?: number;
  protocol: Protocol;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number;
  protocol: Protocol;
  publish?: { port: number };
}

// A Shoal service holds at most 64 ports; a longer range is surely a mistake.
const MAX_RANGE = 64;
const HOST_IP_DROPPED = (ip: string): string => `host_ip ${ip} is dropped: Shoal publishes on each node's publish address, so the port is reachable wherever that address is`;

type Range = { first: number; last: number };

function portRange(text: string): Range | undefined {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  return first >= 1 && last <= 65535 && first <= last ? { first, last } : undefined;
}

const size = (r: Range): number => r.last - r.first + 1;

function protocolOf(value: unknown, path: SourcePath, diagnostics: Diagnostics): Protocol | undefined {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (text === 'tcp' || text === 'udp') return text;
  diagnostics.error(path, `protocol ${describe(value)}: Shoal routes tcp and udp only`);
  return undefined;
}

/** Pairs published and target ranges port by port, as Docker does. */
function expand(targets: Range, published: Range | undefined, base: Omit<PortRequest, 'target' | 'published'>, diagnostics: Diagnostics): PortRequest[] {
  if (size(targets) > MAX_RANGE) {
    diagnostics.error(base.path, `a range of ${size(targets)} ports: a Shoal service holds at most ${MAX_RANGE}; list the ports it listens on`);
    return [];
  }
  if (published !== undefined && size(published) !== size(targets)) {
    diagnostics.error(
      base.path,
      size(targets) === 1
        ? 'a range of published ports for one container port lets Docker pick one of them; Shoal publishes on one port: name a single published port'
        : 'the published and container ranges differ in length: give both the same number of ports',
    );
    return [];
  }
  const out: PortRequest[] = [];
  for (let i = 0; i < size(targets); i++) out.push({ ...base, target: targets.first + i, ...(published === undefined ? {} : { published: published.first + i }) });
  return out;
}

/** `[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]`, each port possibly a range; an IPv6 HOST_IP in brackets or not, as Docker reads it. */
function shortSyntax(text: string, path: SourcePath, diagnostics: Diagnostics): PortRequest[] {
  const slash = text.lastIndexOf('/');
  const protocol = slash === -1 ? 'tcp' : protocolOf(text.slice(slash + 1), path, diagnostics);
  if (protocol === undefined) return [];
  let rest = slash === -1 ? text.trim() : text.slice(0, slash).trim();
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    hostIp = close === -1 ? undefined : rest.slice(1, close);
    rest = close === -1 ? rest : rest.slice(close + 1).replace(/^:/, '');
  }
  const parts = rest.split(':');
  const target = parts.pop() as string;
  const published = parts.pop();
  if (parts.length > 0) hostIp = parts.join(':');
  const targets = portRange(target);
  const publishedRange = published === undefined || published === '' ? undefined : portRange(published);
  if (targets === undefined || (published !== undefined && published !== '' && publishedRange === undefined) || (published === '' && hostIp === undefined)) {
    diagnostics.error(path, `port ${describe(text)}: expected [[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL], such as "8080:80" or "53:53/udp"`);
    return [];
  }
  if (hostIp !== undefined && hostIp !== '') diagnostics.warning(path, HOST_IP_DROPPED(hostIp));
  return expand(targets, publishedRange, { protocol, mode: 'ingress', path }, diagnostics);
}

const LONG_SYNTAX = composeRules({
  handled: ['target', 'published', 'protocol', 'host_ip', 'mode', 'name'],
  dropped: verdicts({ app_protocol: 'app_protocol is dropped: Shoal routes the port as plain TCP or UDP' }),
});

function longSyntax(entry: Record<string, unknown>, path: SourcePath, diagnostics: Diagnostics): PortRequest[] {
  checkFields(diagnostics, entry, path, LONG_SYNTAX);
  const targetText = scalarText(field(entry, 'target'));
  const targets = targetText === undefined ? undefined : portRange(targetText);
  if (targets === undefined || size(targets) !== 1) {
    diagnostics.error(given(field(entry, 'target')) ? [...path, 'target'] : path, 'a port needs target: the port the container listens on, from 1 to 65535');
    return [];
  }
  const publishedValue = field(entry, 'published');
  const publishedText = given(publishedValue) ? scalarText(publishedValue) : '';
  const published = publishedText === '' ? undefined : publishedText === undefined ? undefined : portRange(publishedText);
  if (publishedText === undefined || (publishedText !== '' && published === undefined)) {
    diagnostics.error([...path, 'published'], `published ${describe(publishedValue)}: expected a port from 1 to 65535`);
    return [];
  }
  const protocol = given(field(entry, 'protocol')) ? protocolOf(field(entry, 'protocol'), [...path, 'protocol'], diagnostics) : 'tcp';
  const modeValue = field(entry, 'mode');
  const mode = !given(modeValue) || modeValue === 'ingress' ? 'ingress' : modeValue === 'host' ? 'host' : undefined;
  if (mode === undefined) diagnostics.error([...path, 'mode'], `mode ${describe(modeValue)}: expected ingress or host`);
  const nameValue = field(entry, 'name');
  const name = given(nameValue) ? (typeof nameValue === 'string' && NAME.test(nameValue) ? nameValue : null) : undefined;
  if (name === null) diagnostics.error([...path, 'name'], `port name ${describe(nameValue)}: Shoal port names are lower-case letters, digits and -`);
  const hostIp = field(entry, 'host_ip');
  if (given(hostIp) && hostIp !== '') diagnostics.warning([...path, 'host_ip'], HOST_IP_DROPPED(scalarText(hostIp) ?? describe(hostIp)));
  if (protocol === undefined || mode === undefined || name === null) return [];
  if (mode === 'host' && name !== undefined) diagnostics.warning([...path, 'name'], 'name is dropped: a host-mode port is bound on the node, not named on the service');
  return expand(targets, published, { protocol, mode, path, ...(name === undefined || mode === 'host' ? {} : { name }) }, diagnostics);
}

/** The service's `ports`, in either syntax. */
export function portRequests(value: unknown, path: SourcePath, diagnostics: Diagnostics): PortRequest[] {
  if (!Array.isArray(value)) {
    diagnostics.error(path, 'ports is a list, such as ["8080:80"]');
    return [];
  }
  return value.flatMap((entry, i) => {
    const at = [...path, i];
    if (isMapping(entry)) return longSyntax(entry, at, diagnostics);
    if (typeof entry === 'number' && Number.isInteger(entry) && entry >= 1 && entry <= 65535)
      return [{ target: entry, protocol: 'tcp' as const, mode: 'ingress' as const, path: at }];
    if (typeof entry === 'string') return shortSyntax(entry, at, diagnostics);
    diagnostics.error(at, `port ${describe(entry)}: expected "PUBLISHED:TARGET" or a mapping with target`);
    return [];
  });
}

/** The service's `expose`: ports other services reach, published nowhere. */
export function exposeRequests(value: unknown, path: SourcePath, diagnostics: Diagnostics): PortRequest[] {
  if (!Array.isArray(value)) {
    diagnostics.error(path, 'expose is a list of ports, such as ["6379"]');
    return [];
  }
  return value.flatMap((entry, i) => {
    const at = [...path, i];
    const text = scalarText(entry);
    const slash = text === undefined ? -1 : text.lastIndexOf('/');
    const targets = text === undefined ? undefined : portRange(slash === -1 ? text : text.slice(0, slash));
    if (text === undefined || typeof entry === 'boolean' || targets === undefined) {
      diagnostics.error(at, `exposed port ${describe(entry)}: expected a port such as 6379 or "53/udp"`);
      return [];
    }
    const protocol = slash === -1 ? 'tcp' : protocolOf(text.slice(slash + 1), at, diagnostics);
    return protocol === undefined ? [] : expand(targets, undefined, { protocol, mode: 'ingress', path: at }, diagnostics);
  });
}

export interface PortLayout {
  workload: Located<WorkloadPort>[];
  /** Sorted by port, then protocol. */
  service: Located<ServicePort>[];
}

/** Who holds a node port: a node has each port once, whichever service and mode asks. */
export interface PortClaim {
  service: string;
  target: number;
  mode: PortRequest['mode'];
}

/**
 * Where each request goes: every port is a container port and a service port (so other
 * services reach it by name); an ingress port with a published port also publishes the
 * service port on every node; a host port binds on the replica's node only.
 * `claims` holds every node port taken so far in the file, by `8080/tcp`.
 */
export function portLayout(requests: readonly PortRequest[], owner: string, claims: Map<string, PortClaim>, diagnostics: Diagnostics): PortLayout {
  const claim = (request: PortRequest, port: number): boolean => {
    const key = `${port}/${request.protocol}`;
    const holder = claims.get(key);
    if (holder === undefined) {
      claims.set(key, { service: owner, target: request.target, mode: request.mode });
      return true;
    }
    if (holder.service === owner && holder.target === request.target && holder.mode === request.mode) return true;
    const who = holder.service === owner ? `container port ${holder.target}` : `service ${holder.service}`;
    diagnostics.error(request.path, `port ${key} is already published for ${who}: a node has each port once; publish this one on another port`);
    return false;
  };
  const workload: Located<WorkloadPort>[] = [];
  const service = new Map<string, Located<ServicePort>>();
  const nameOf = new Map<string, string>();
  for (const request of requests) {
    const { target, protocol, path, mode, published } = request;
    const key = `${target}/${protocol}`;
    const existing = service.get(key);
    const publish = mode === 'ingress' && published !== undefined ? published : undefined;
    if (publish !== undefined && existing?.value.publish !== undefined && existing.value.publish.port !== publish) {
      diagnostics.error(path, `port ${key} is already published on ${existing.value.publish.port}: a Shoal service port publishes on one port; publish it once`);
      continue;
    }
    if (published !== undefined && !claim(request, published)) continue;
    const hostPort = mode === 'host' ? published : undefined;
    const same = workload.filter((p) => p.value.containerPort === target && p.value.protocol === protocol);
    const bare = same.find((p) => p.value.hostPort === undefined);
    if (hostPort !== undefined && bare !== undefined) Object.assign(bare, { value: { containerPort: target, hostPort, protocol }, path });
    else if (same.length === 0 || (hostPort !== undefined && same.every((p) => p.value.hostPort !== hostPort))) {
      workload.push({ value: { containerPort: target, ...(hostPort === undefined ? {} : { hostPort }), protocol }, path });
    }
    const name = request.name ?? existing?.value.name;
    if (request.name !== undefined && ((existing?.value.name !== undefined && existing.value.name !== request.name) || (nameOf.get(request.name) ?? key) !== key)) {
      diagnostics.error([...path, 'name'], `port name ${request.name} names two ports, or this port has another name: each port of a service has one name of its own`);
      continue;
    }
    if (name !== undefined) nameOf.set(name, key);
    const publishing = publish ?? existing?.value.publish?.port;
    service.set(key, {
      value: { ...(name === undefined ? {} : { name }), port: target, targetPort: target, protocol, ...(publishing === undefined ? {} : { publish: { port: publishing } }) },
      // The entry that publishes the port says most about it: a schema problem points there.
      path: existing === undefined || publish !== undefined ? path : existing.path,
    });
  }
  const sorted = [...service.values()].sort((a, b) => a.value.port - b.value.port || a.value.protocol.localeCompare(b.value.protocol));
  return { workload, service: sorted };
}
