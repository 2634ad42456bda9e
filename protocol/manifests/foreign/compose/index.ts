/**
 * Docker Compose files as Shoal manifests: each service a Workload (and a Service when it
 * has ports or expose), each secret it uses a Secret, all in namespace default. Pure:
 * the environment and the files the compose file names come through the context.
 */
import { checkFields } from '../field-rules.js';
import { Diagnostics, type TranslatedObject, type Translation } from '../translation.js';
import { NAME } from '../../workload.js';
import { type ComposeContext, type Scope, scopeOf } from './context.js';
import { interpolateDocument } from './interpolate.js';
import type { PortClaim } from './ports.js';
import { secretObjects, secretTable } from './secrets.js';
import { type Shared, translateService } from './service.js';
import { TOP_LEVEL_RULES } from './service-rules.js';
import { field, given, isMapping, type Mapping } from './values.js';

export type { ComposeContext } from './context.js';

/** A mapping with a `services` mapping and neither `kind` nor `apiVersion`. */
export function isComposeDocument(value: unknown): boolean {
  return isMapping(value) && isMapping(field(value, 'services')) && !Object.hasOwn(value, 'kind') && !Object.hasOwn(value, 'apiVersion');
}

/** Names a service's depends_on and links point at. */
function namesNeeded(service: Mapping): string[] {
  const dependsOn = field(service, 'depends_on');
  const links = field(service, 'links');
  const names: unknown[] = [];
  if (Array.isArray(dependsOn)) names.push(...dependsOn);
  else if (isMapping(dependsOn)) names.push(...Object.keys(dependsOn));
  if (Array.isArray(links)) names.push(...links.map((link) => (typeof link === 'string' ? link.split(':')[0] : link)));
  return names.filter((n): n is string => typeof n === 'string');
}

/** A service with profiles runs only when one is chosen, which shoal apply has no way to say. */
function profiled(service: Mapping, name: string, scope: Scope): boolean {
  const profiles = field(service, 'profiles');
  if (!given(profiles)) return false;
  if (!Array.isArray(profiles) || profiles.some((p) => typeof p !== 'string')) {
    scope.diagnostics.error(['services', name, 'profiles'], 'profiles is a list of profile names');
    return false;
  }
  if (profiles.length === 0) return false;
  scope.diagnostics.warning(['services', name, 'profiles'], `${name} runs only with a profile; not applied`);
  return true;
}

function translate(document: unknown, scope: Scope, objects: TranslatedObject[]): void {
  const { diagnostics } = scope;
  if (!isMapping(document)) {
    diagnostics.error([], 'a compose file is a mapping with services');
    return;
  }
  const compose = interpolateDocument(document, scope.lookup, diagnostics) as Mapping;
  checkFields(diagnostics, compose, [], TOP_LEVEL_RULES);
  const services = field(compose, 'services');
  if (!isMapping(services)) {
    diagnostics.error(given(services) ? ['services'] : [], 'a compose file needs services: a mapping of service names');
    return;
  }
  const shared: Shared = { secrets: secretTable(field(compose, 'secrets'), scope), usedSecrets: new Set(), portClaims: new Map<string, PortClaim>() };
  const applied = Object.entries(services).filter(([name, service]) => !name.startsWith('x-') && !(isMapping(service) && profiled(service, name, scope)));
  const needed = new Map<string, Set<string>>();
  for (const [name, service] of applied)
    if (isMapping(service)) for (const other of namesNeeded(service)) if (other !== name) needed.set(other, (needed.get(other) ?? new Set()).add(name));
  for (const [name, service] of applied) {
    const path = ['services', name];
    if (!NAME.test(name)) {
      diagnostics.error(
        path,
        `${JSON.stringify(name.slice(0, 70))} is no Shoal name: rename it; Shoal names are DNS labels (lower-case letters, digits and -, at most 63) so other services can reach it by name`,
      );
      continue;
    }
    if (!isMapping(service)) {
      diagnostics.error(path, 'a service is a mapping, with image at least');
      continue;
    }
    const translated = translateService(name, service, shared, scope);
    objects.push(...translated.objects);
    if (!translated.reachable && needed.has(name)) {
      diagnostics.warning(path, `no ports or expose: other services cannot reach ${name} by name; list the port it listens on under expose`);
    }
  }
  objects.push(...secretObjects(shared.secrets, shared.usedSecrets, scope));
}

/** Translates a parsed compose file; never throws: what cannot be translated is an error diagnostic at its path. */
export function translateCompose(document: unknown, context: ComposeContext): Translation {
  const diagnostics = new Diagnostics();
  const objects: TranslatedObject[] = [];
  try {
    translate(document, scopeOf(context, diagnostics), objects);
  } catch (e) {
    // A bug here must still leave the CLI a diagnostic to print, not a stack trace.
    diagnostics.error([], `${INTERNAL_ERROR}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { objects, diagnostics: diagnostics.list };
}

/** Starts the message of a diagnostic that reports a fault of the translator, never of the file. */
export const INTERNAL_ERROR = 'the compose translator failed on this file (a bug in Shoal)';
