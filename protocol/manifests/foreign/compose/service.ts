import { grantedCapabilities } from '../capabilities.js';
import { checkFields } from '../field-rules.js';
import type { Diagnostics, SourcePath, TranslatedObject } from '../translation.js';
import type { Located, Scope } from './context.js';
import { applyDeploy } from './deploy.js';
import { SpecDraft } from './draft.js';
import { environmentOf } from './environment.js';
import { readinessProbeOf } from './healthcheck.js';
import { exposeRequests, type PortClaim, portLayout, portRequests, type PortRequest } from './ports.js';
import { type SecretTable, secretMounts } from './secrets.js';
import { SERVICE_RULES } from './service-rules.js';
import { shellWords } from './shell-words.js';
import { describe, field, given, type Mapping, isMapping, recordOf, scalarText } from './values.js';

/** What the services of one file share as they are translated. */
export interface Shared {
  secrets: SecretTable;
  /** Compose names of the secrets some translated service mounts. */
  usedSecrets: Set<string>;
  /** Node ports taken so far, by `8080/tcp`. */
  portClaims: Map<string, PortClaim>;
}

export interface ServiceTranslation {
  objects: TranslatedObject[];
  /** Whether a Shoal Service makes it reachable by name. */
  reachable: boolean;
}

/** The workload spec's fields in the order the schema lists them, so output reads the same every time. */
const SPEC_ORDER = [
  'image',
  'command',
  'args',
  'env',
  'secrets',
  'ports',
  'replicas',
  'mode',
  'resources',
  'placement',
  'restartPolicy',
  'rollout',
  'readinessProbe',
  'capabilities',
];

/** entrypoint and command: a list as it is, or a string split into words as a shell would. */
function words(value: unknown, path: SourcePath, diagnostics: Diagnostics): string[] | undefined {
  if (typeof value === 'string') {
    const split = shellWords(value);
    if (!split.ok) diagnostics.error(path, split.problem);
    return split.ok ? split.words : undefined;
  }
  const list = Array.isArray(value) ? value.map(scalarText) : undefined;
  if (list === undefined || list.some((w) => w === undefined)) {
    diagnostics.error(path, `${describe(value)}: expected a command line, or a list of words`);
    return undefined;
  }
  return list as string[];
}

function applyImage(service: Mapping, path: SourcePath, draft: SpecDraft, diagnostics: Diagnostics): boolean {
  const image = field(service, 'image');
  const build = field(service, 'build');
  const hasImage = typeof image === 'string' && image.trim() !== '';
  if (given(image) && !hasImage) diagnostics.error([...path, 'image'], `image ${describe(image)}: expected an image reference such as nginx:1.27`);
  if (given(build)) {
    if (hasImage) diagnostics.warning([...path, 'build'], 'build is dropped: Shoal runs the image; build it and push it (or load it on the nodes)');
    else if (!given(image)) diagnostics.error([...path, 'build'], 'Shoal does not build images: build and push it, then name it under image');
  } else if (!given(image)) diagnostics.error(path, 'a service needs image: the image its replicas run');
  if (hasImage) draft.set('image', image, [...path, 'image']);
  return hasImage;
}

/** entrypoint replaces the image ENTRYPOINT as spec.command does; command replaces CMD as spec.args does. */
function applyCommand(service: Mapping, path: SourcePath, draft: SpecDraft, diagnostics: Diagnostics): void {
  const entrypoint = field(service, 'entrypoint');
  if (given(entrypoint)) {
    const command = words(entrypoint, [...path, 'entrypoint'], diagnostics);
    // An empty spec.command keeps the image ENTRYPOINT, where Compose would clear it.
    if (command !== undefined && command.length === 0) diagnostics.error([...path, 'entrypoint'], "Shoal cannot clear the image's ENTRYPOINT: name the program to run");
    else if (command !== undefined) draft.set('command', command, [...path, 'entrypoint']);
  }
  const command = field(service, 'command');
  if (given(command)) {
    const args = words(command, [...path, 'command'], diagnostics);
    if (args !== undefined && args.length > 0) draft.set('args', args, [...path, 'command']);
  }
}

function setList<T>(draft: SpecDraft, specField: string, items: Located<T>[], path: SourcePath): void {
  if (items.length === 0) return;
  draft.set(
    specField,
    items.map((i) => i.value),
    path,
  );
  items.forEach((item, i) => draft.from(`${specField}.${i}`, item.path));
}

/** cap_add or cap_drop as capability names. */
function capabilityNames(value: unknown, path: SourcePath, key: 'cap_add' | 'cap_drop', diagnostics: Diagnostics): string[] {
  if (!given(value)) return [];
  if (!Array.isArray(value)) {
    diagnostics.error(path, `${key} is a list of capabilities, such as [NET_BIND_SERVICE]`);
    return [];
  }
  return value.flatMap((entry, i) => {
    if (typeof entry === 'string') {
      if (key === 'cap_add' && entry.trim().toUpperCase() === 'ALL') diagnostics.error([...path, i], 'Shoal does not add every capability: name the ones the service needs');
      else return [entry];
    } else diagnostics.error([...path, i], `capability ${describe(entry)}: expected a name such as NET_BIND_SERVICE`);
    return [];
  });
}

/** labels as a mapping or a list of `key=value`. */
function labels(value: unknown, path: SourcePath, diagnostics: Diagnostics): Located<[string, string]>[] {
  if (isMapping(value)) {
    return Object.entries(value).flatMap(([key, v]) => {
      const text = v === null ? '' : scalarText(v);
      if (text === undefined) diagnostics.error([...path, key], `the label ${key} is ${describe(v)}: expected a string`);
      return text === undefined ? [] : [{ value: [key, text] as [string, string], path: [...path, key] }];
    });
  }
  if (Array.isArray(value)) {
    return value.flatMap((entry, i) => {
      if (typeof entry !== 'string') {
        diagnostics.error([...path, i], `label ${describe(entry)}: expected key=value`);
        return [];
      }
      const equals = entry.indexOf('=');
      return [{ value: (equals === -1 ? [entry, ''] : [entry.slice(0, equals), entry.slice(equals + 1)]) as [string, string], path: [...path, i] }];
    });
  }
  diagnostics.error(path, 'labels is a mapping, or a list of key=value');
  return [];
}

function portsOf(service: Mapping, path: SourcePath, diagnostics: Diagnostics): PortRequest[] {
  const ports = field(service, 'ports');
  const expose = field(service, 'expose');
  return [...(given(ports) ? portRequests(ports, [...path, 'ports'], diagnostics) : []), ...(given(expose) ? exposeRequests(expose, [...path, 'expose'], diagnostics) : [])];
}

/** One compose service as a Workload, and a Service when it has ports or expose; nothing when it has no usable image. */
export function translateService(name: string, service: Mapping, shared: Shared, scope: Scope): ServiceTranslation {
  const path = ['services', name];
  const { diagnostics } = scope;
  checkFields(diagnostics, service, path, SERVICE_RULES);
  const draft = new SpecDraft();
  const hasImage = applyImage(service, path, draft, diagnostics);
  applyCommand(service, path, draft, diagnostics);
  const env = environmentOf(service, path, scope);
  setList(draft, 'env', env, given(field(service, 'environment')) ? [...path, 'environment'] : [...path, 'env_file']);
  const secrets = field(service, 'secrets');
  // Only a service that is translated makes its secrets Shoal Secrets.
  const usedSecrets = new Set<string>();
  if (given(secrets)) setList(draft, 'secrets', secretMounts(secrets, [...path, 'secrets'], shared.secrets, usedSecrets, scope), [...path, 'secrets']);
  const layout = portLayout(portsOf(service, path, diagnostics), name, shared.portClaims, diagnostics);
  const portsPath = given(field(service, 'ports')) ? [...path, 'ports'] : [...path, 'expose'];
  setList(draft, 'ports', layout.workload, portsPath);
  applyDeploy(service, path, draft, diagnostics);
  const healthcheck = field(service, 'healthcheck');
  const probe = given(healthcheck) ? readinessProbeOf(healthcheck, [...path, 'healthcheck'], diagnostics) : undefined;
  if (probe !== undefined) {
    draft.set('readinessProbe', probe.probe, [...path, 'healthcheck']);
    for (const [dotted, source] of Object.entries(probe.origins)) draft.from(`readinessProbe.${dotted}`, source);
  }
  // Docker's default capabilities, as the service had them under Compose, with cap_add and cap_drop applied.
  const add = capabilityNames(field(service, 'cap_add'), [...path, 'cap_add'], 'cap_add', diagnostics);
  const drop = capabilityNames(field(service, 'cap_drop'), [...path, 'cap_drop'], 'cap_drop', diagnostics);
  draft.set('capabilities', grantedCapabilities(add, drop), given(field(service, 'cap_add')) ? [...path, 'cap_add'] : path);
  if (!hasImage) return { objects: [], reachable: layout.service.length > 0 };
  for (const secret of usedSecrets) shared.usedSecrets.add(secret);

  const labelsValue = field(service, 'labels');
  const labelList = given(labelsValue) ? labels(labelsValue, [...path, 'labels'], diagnostics) : [];
  const metadataOrigins: Record<string, SourcePath> = { apiVersion: path, kind: path, metadata: path, 'metadata.name': path, 'metadata.namespace': path };
  if (labelList.length > 0) {
    metadataOrigins['metadata.labels'] = [...path, 'labels'];
    for (const label of labelList) metadataOrigins[`metadata.labels.${label.value[0]}`] = label.path;
  }
  const workload: TranslatedObject = {
    manifest: {
      apiVersion: 'shoal/v1',
      kind: 'Workload',
      metadata: { name, namespace: 'default', ...(labelList.length === 0 ? {} : { labels: recordOf(labelList.map((l) => l.value)) }) },
      spec: Object.fromEntries(SPEC_ORDER.filter((f) => draft.has(f)).map((f) => [f, draft.spec[f]])),
    },
    origin: path,
    fieldOrigins: { ...metadataOrigins, spec: path, ...draft.fieldOrigins },
  };
  if (layout.service.length === 0) return { objects: [workload], reachable: false };
  const serviceOrigins: Record<string, SourcePath> = {
    apiVersion: path,
    kind: path,
    metadata: path,
    'metadata.name': path,
    'metadata.namespace': path,
    spec: path,
    'spec.selector': path,
  };
  serviceOrigins['spec.ports'] = portsPath;
  layout.service.forEach((port, i) => {
    serviceOrigins[`spec.ports.${i}`] = port.path;
  });
  const serviceObject: TranslatedObject = {
    manifest: {
      apiVersion: 'shoal/v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: { selector: { workload: name }, ports: layout.service.map((p) => p.value) },
    },
    origin: path,
    fieldOrigins: serviceOrigins,
  };
  return { objects: [workload, serviceObject], reachable: true };
}
