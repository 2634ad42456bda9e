import { checkFields } from '../field-rules.js';
import type { SourcePath, TranslatedObject } from '../translation.js';
import { SECRET_KEY } from '../../secret.js';
import { NAME } from '../../workload.js';
import type { Located, Scope } from './context.js';
import { composeRules, describe, field, given, isMapping, recordOf, unlessEmpty, verdicts } from './values.js';

/** Where Compose mounts secrets, and so where Shoal mounts them: /run/secrets/<name>. */
export const SECRETS_DIR = '/run/secrets';

type Source = { kind: 'file'; file: string } | { kind: 'environment'; variable: string } | { kind: 'external' };

/** A top-level secret: how to read it, and the Shoal Secret it is. */
export interface SecretDeclaration {
  composeName: string;
  shoalName: string;
  source: Source;
  path: SourcePath;
}

/** Compose secret names are often snake_case; Shoal names are DNS labels. */
export const shoalNameOf = (name: string): string => name.toLowerCase().replaceAll('_', '-');

const DECLARATION = composeRules({
  handled: ['file', 'environment', 'external', 'name'],
  dropped: verdicts({ labels: unlessEmpty('labels is dropped: Shoal Secrets carry no labels') }),
  refused: verdicts({
    driver: 'Shoal keeps secrets itself, sealed to the nodes: remove driver',
    driver_opts: 'Shoal keeps secrets itself, sealed to the nodes: remove driver_opts',
    template_driver: 'Shoal does not template secrets: remove template_driver',
  }),
});

function declarationOf(composeName: string, value: unknown, scope: Scope): SecretDeclaration | undefined {
  const path = ['secrets', composeName];
  const { diagnostics } = scope;
  if (!isMapping(value)) {
    diagnostics.error(path, 'a secret is a mapping with file, environment or external: true');
    return undefined;
  }
  checkFields(diagnostics, value, path, DECLARATION);
  const externalValue = field(value, 'external');
  // Compose once wrote `external: {name: ...}`.
  const external = externalValue === true || isMapping(externalValue);
  if (given(externalValue) && typeof externalValue !== 'boolean' && !isMapping(externalValue)) diagnostics.error([...path, 'external'], 'external is true or false');
  const externalName = isMapping(externalValue) ? field(externalValue, 'name') : undefined;
  const nameValue = given(externalName) ? externalName : field(value, 'name');
  if (given(nameValue) && typeof nameValue !== 'string') diagnostics.error([...path, 'name'], 'name is a string');
  const shoalName = shoalNameOf(typeof nameValue === 'string' ? nameValue : composeName);
  let ok = true;
  if (!NAME.test(shoalName)) {
    diagnostics.error(
      given(nameValue) ? [...path, 'name'] : path,
      `the secret becomes Shoal Secret ${JSON.stringify(shoalName.slice(0, 70))}, which is no Shoal name: lower-case letters, digits and -, at most 63; rename it`,
    );
    ok = false;
  }
  if (!SECRET_KEY.test(composeName)) {
    diagnostics.error(path, 'a secret is a file named after it in /run/secrets, and Shoal file names are letters, digits, - _ and . only: rename it');
    ok = false;
  }
  const file = field(value, 'file');
  const environment = field(value, 'environment');
  const sources = [given(file), given(environment), external].filter(Boolean).length;
  if (sources !== 1) {
    diagnostics.error(path, sources === 0 ? 'a secret needs file, environment or external: true' : 'a secret has one of file, environment and external');
    return undefined;
  }
  if (given(file) && typeof file !== 'string') diagnostics.error([...path, 'file'], 'file is a file name');
  else if (given(environment) && typeof environment !== 'string') diagnostics.error([...path, 'environment'], 'environment is the name of a variable');
  else if (ok) {
    const source: Source = external ? { kind: 'external' } : typeof file === 'string' ? { kind: 'file', file } : { kind: 'environment', variable: environment as string };
    return { composeName, shoalName, source, path };
  }
  return undefined;
}

export interface SecretTable {
  /** The declarations that can be used, by compose name. */
  usable: Map<string, SecretDeclaration>;
  /** Every declared name, broken ones too (those were reported where they are declared). */
  declared: Set<string>;
}

/** The top-level `secrets`. */
export function secretTable(value: unknown, scope: Scope): SecretTable {
  const table: SecretTable = { usable: new Map(), declared: new Set() };
  if (!given(value)) return table;
  if (!isMapping(value)) {
    scope.diagnostics.error(['secrets'], 'secrets is a mapping of secret names');
    return table;
  }
  for (const [name, declaration] of Object.entries(value)) {
    if (name.startsWith('x-')) continue;
    table.declared.add(name);
    const read = declarationOf(name, declaration, scope);
    if (read !== undefined) table.usable.set(name, read);
  }
  return table;
}

const SERVICE_SECRET = composeRules({
  handled: ['source', 'target'],
  dropped: verdicts({
    uid: 'uid is dropped: Shoal writes secret files with its own owner and mode, readable in the container',
    gid: 'gid is dropped: Shoal writes secret files with its own owner and mode, readable in the container',
    mode: 'mode is dropped: Shoal writes secret files with its own owner and mode, readable in the container',
  }),
});

export interface SecretMount {
  name: string;
  mountPath: string;
}

/**
 * A service's `secrets` as mounts of their Shoal Secrets in /run/secrets, one per Secret;
 * each compose name it uses is added to `used`.
 */
export function secretMounts(value: unknown, path: SourcePath, table: SecretTable, used: Set<string>, scope: Scope): Located<SecretMount>[] {
  const { diagnostics } = scope;
  if (!Array.isArray(value)) {
    diagnostics.error(path, 'secrets is a list of secret names');
    return [];
  }
  const mounts: Located<SecretMount>[] = [];
  value.forEach((entry, i) => {
    const at = [...path, i];
    let source: unknown = entry;
    if (isMapping(entry)) {
      checkFields(diagnostics, entry, at, SERVICE_SECRET);
      source = field(entry, 'source');
      const target = field(entry, 'target');
      if (typeof source === 'string' && given(target) && target !== source && target !== `${SECRETS_DIR}/${source}`) {
        diagnostics.error(
          [...at, 'target'],
          `Shoal mounts a secret under its own name in ${SECRETS_DIR}; drop target or name the secret ${typeof target === 'string' ? target.replace(/^\/run\/secrets\//, '') : 'as the target'}`,
        );
        return;
      }
    }
    if (typeof source !== 'string') {
      diagnostics.error(isMapping(entry) && given(source) ? [...at, 'source'] : at, `secret ${describe(source)}: expected the name of a secret under the top-level secrets`);
      return;
    }
    const declaration = table.usable.get(source);
    if (declaration === undefined) {
      if (!table.declared.has(source)) diagnostics.error(at, `no secret ${source} is declared: add it under the top-level secrets`);
      return;
    }
    used.add(source);
    if (!mounts.some((m) => m.value.name === declaration.shoalName)) mounts.push({ value: { name: declaration.shoalName, mountPath: SECRETS_DIR }, path: at });
  });
  return mounts;
}

/** The Shoal Secrets the used, non-external declarations become, in declaration order. */
export function secretObjects(table: SecretTable, used: ReadonlySet<string>, scope: Scope): TranslatedObject[] {
  const objects: TranslatedObject[] = [];
  const byShoalName = new Map<string, string>();
  for (const declaration of table.usable.values()) {
    if (!used.has(declaration.composeName)) continue;
    const { composeName, shoalName, source, path } = declaration;
    const other = byShoalName.get(shoalName);
    if (other !== undefined) {
      scope.diagnostics.error(path, `secrets ${other} and ${composeName} both become Shoal Secret ${shoalName}: rename one`);
      continue;
    }
    byShoalName.set(shoalName, composeName);
    if (source.kind === 'external') continue;
    const valuePath = [...path, source.kind];
    const value = source.kind === 'file' ? scope.readFile(source.file) : scope.lookup(source.variable);
    if (value === undefined) {
      scope.diagnostics.error(
        valuePath,
        source.kind === 'file' ? `cannot read ${source.file}: the file must be beside the compose file` : `${source.variable} is not set: set it where Compose would read it`,
      );
      continue;
    }
    objects.push({
      manifest: {
        apiVersion: 'shoal/v1',
        kind: 'Secret',
        metadata: { name: shoalName, namespace: 'default' },
        data: recordOf([[composeName, Buffer.from(value, 'utf8').toString('base64')]]),
      },
      origin: path,
      fieldOrigins: { apiVersion: path, kind: path, 'metadata.name': path, 'metadata.namespace': path, data: valuePath, [`data.${composeName}`]: valuePath },
    });
  }
  return objects;
}
