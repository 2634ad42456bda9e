import { err, ok, type Result } from '../../base/result.js';
import { IMAGE_ID } from './image-record.js';

/**
 * An image reference as Docker reads one (distribution's `reference` grammar):
 * `[registry[:port]/]path[:tag][@sha256:<hex>]`, or a bare content id `sha256:<hex>`.
 * Fields are as written: `nginx` stays `nginx` (no `docker.io/library/`) and a missing
 * tag stays missing (the engine reads it as `latest`).
 */
export interface ImageReference {
  /** Registry and path: `registry.example.com:5000/team/web`. Absent for a bare id. */
  name?: string;
  tag?: string;
  /** The content id after `@`, or the bare id. */
  id?: string;
}

/** Docker's bound on a name (registry and path); the tag and digest come on top. */
export const MAX_NAME_CHARS = 255;
/** `[\w][\w.-]{0,127}`: Docker's tag. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_TAG_CHARS = 128;
/** A name, a tag, an `@` and a digest at their longest: nothing longer is read at all. */
export const MAX_REFERENCE_CHARS = MAX_NAME_CHARS + 1 + MAX_TAG_CHARS + 1 + 'sha256:'.length + 64;

// Written without Docker's `[-]*` separator (which may be empty): in a backtracking
// engine that nests two unbounded repeats, and a long run of letters before a bad
// character would take exponential time. Dashes of any number, or `.`, `_`, `__`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9._-]+)?\]$/;
const PORT = /^[0-9]{1,5}$/;
const HEX_64 = /^[0-9a-f]{64}$/;

/**
 * The first component names a registry, as Docker decides: it holds a `.` or a `:`, is
 * `localhost`, or has an uppercase letter (a path never may). `foo/bar` is a path on
 * Docker Hub, `foo.io/bar` a path on foo.io.
 */
const isRegistry = (component: string): boolean => /[.:]/.test(component) || component === 'localhost' || component !== component.toLowerCase();

function checkRegistry(registry: string): string | undefined {
  const colon = registry.startsWith('[') ? registry.indexOf(':', registry.indexOf(']')) : registry.indexOf(':');
  const host = colon < 0 ? registry : registry.slice(0, colon);
  const port = colon < 0 ? undefined : registry.slice(colon + 1);
  if (port !== undefined && !(PORT.test(port) && Number(port) <= 65_535)) return `registry ${registry}: the port must be a number up to 65535`;
  if (host.startsWith('[')) return IPV6.test(host) ? undefined : `registry ${registry}: not an IPv6 address in brackets`;
  if (!host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) return `registry ${registry}: not a host name (letters, digits and inner dashes, parts joined by dots)`;
  return undefined;
}

function checkPath(components: readonly string[]): string | undefined {
  for (const component of components) {
    if (component === '') return 'a path component is empty (a leading, trailing or doubled /)';
    if (component !== component.toLowerCase()) return `repository name must be lowercase: ${component}`;
    if (!PATH_COMPONENT.test(component)) return `path component ${component}: lowercase letters and digits, joined by one '.', one or two '_', or dashes`;
  }
  return undefined;
}

function checkName(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.length > MAX_NAME_CHARS) return `the name is ${name.length} characters; at most ${MAX_NAME_CHARS}`;
  const components = name.split('/');
  const registry = components.length > 1 && isRegistry(components[0] as string) ? components.shift() : undefined;
  if (registry !== undefined) {
    const wrong = checkRegistry(registry);
    if (wrong !== undefined) return wrong;
  } else if (components.length === 1 && HEX_64.test(name)) {
    return `${name} is 64 hex digits, which Docker reads as an id, never a name: write sha256:${name}`;
  }
  return checkPath(components);
}

/**
 * Reads `text` as Docker would, or says what is wrong with it. A digest must be a
 * content id, `sha256:` and 64 lowercase hex digits: that is what Shoal names images
 * by. Where Docker would read `sha256:<something else>` as the repository `sha256`
 * with a tag, this refuses it: what was meant is an id, and a malformed one.
 */
export function parseImageReference(text: string): Result<ImageReference, string> {
  if (text === '') return err('the image reference is empty');
  if (text.length > MAX_REFERENCE_CHARS) return err(`the image reference is ${text.length} characters; at most ${MAX_REFERENCE_CHARS}`);
  if (IMAGE_ID.test(text)) return ok({ id: text });
  if (text.startsWith('sha256:') && !text.includes('/') && !text.includes('@')) return err(`${text} is not an image id: sha256: and 64 lowercase hex digits`);
  const at = text.indexOf('@');
  const id = at < 0 ? undefined : text.slice(at + 1);
  if (id !== undefined && !IMAGE_ID.test(id)) return err(`digest ${id || '(empty)'}: expected sha256: and 64 lowercase hex digits`);
  const named = at < 0 ? text : text.slice(0, at);
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const name = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : undefined;
  const wrongName = checkName(name);
  if (wrongName !== undefined) return err(wrongName);
  if (tag !== undefined) {
    if (tag === '') return err(`the tag after ${name}: is empty`);
    if (tag.length > MAX_TAG_CHARS) return err(`the tag is ${tag.length} characters; at most ${MAX_TAG_CHARS}`);
    if (!TAG.test(tag)) return err(`tag ${tag}: letters, digits, '_', '.' and '-', not starting with '.' or '-'`);
  }
  return ok({ name, ...(tag === undefined ? {} : { tag }), ...(id === undefined ? {} : { id }) });
}

/**
 * What to name when asking the engine for a container of `reference`, whose content is
 * `id`. A digest reference becomes the id: the digest is the config's (Shoal's content
 * id), which Docker, expecting a registry manifest's digest after `@`, cannot resolve.
 * A name and tag stay as written: the node has tagged the loaded image with them.
 */
export function containerImage(reference: string, id: string): string {
  const parsed = parseImageReference(reference);
  return parsed.ok && parsed.value.id !== undefined ? id : reference;
}
