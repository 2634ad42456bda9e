import type { Diagnostics, SourcePath } from '../translation.js';
import { withMergedKeys } from './merge-keys.js';
import { isMapping } from './values.js';

export type Lookup = (name: string) => string | undefined;

export interface InterpolationIssue {
  severity: 'error' | 'warning';
  message: string;
}

const NAME_START = /[A-Za-z_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/;
// Defaults nest inside defaults; past this a string is an attack, not a compose file.
const MAX_NESTING = 32;
// A compose file is a few levels deep; this bounds the walk (and stops at a cycle YAML aliases can build).
const MAX_DEPTH = 64;

/** The index of the `}` that closes the `${` at `open`, or -1; `$${` is text, not an opening. */
function closingBrace(text: string, open: number): number {
  let depth = 1;
  for (let i = open + 2; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Compose's interpolation of one string: `$$`, `$VAR`, `${VAR}` and the `:-` `-` `:?` `?`
 * `:+` `+` forms, a default or alternative being interpolated in turn. A `$` that starts
 * none of these stays, as Compose leaves it.
 */
export function interpolateString(text: string, lookup: Lookup, issues: InterpolationIssue[], nesting = 0): string {
  if (nesting > MAX_NESTING) {
    issues.push({ severity: 'error', message: `interpolation nested more than ${MAX_NESTING} deep` });
    return '';
  }
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next !== undefined && NAME_START.test(next)) {
      const name = (NAME.exec(text.slice(dollar + 1)) as RegExpExecArray)[0];
      out += plain(name, lookup, issues);
      i = dollar + 1 + name.length;
    } else if (next === '{') {
      const close = closingBrace(text, dollar);
      if (close === -1) {
        issues.push({ severity: 'error', message: `unterminated \${ in ${JSON.stringify(text.slice(dollar, dollar + 40))}: close it with }, or write $$ for a literal $` });
        return out;
      }
      out += braced(text.slice(dollar + 2, close), lookup, issues, nesting);
      i = close + 1;
    } else {
      out += '$';
      i = dollar + 1;
    }
  }
  return out;
}

function plain(name: string, lookup: Lookup, issues: InterpolationIssue[]): string {
  const value = lookup(name);
  if (value === undefined) issues.push({ severity: 'warning', message: `${name} is not set: an empty string is used` });
  return value ?? '';
}

function braced(body: string, lookup: Lookup, issues: InterpolationIssue[], nesting: number): string {
  const match = BRACED.exec(body);
  if (match === null) {
    issues.push({ severity: 'error', message: `invalid interpolation \${${body}}: expected \${NAME}, \${NAME:-default} and the like, or $$ for a literal $` });
    return '';
  }
  const [, name = '', operator, rest = ''] = match;
  if (operator === undefined) return plain(name, lookup, issues);
  const value = lookup(name);
  const unset = value === undefined;
  const empty = unset || value === '';
  const inner = (): string => interpolateString(rest, lookup, issues, nesting + 1);
  switch (operator) {
    case ':-':
      return empty ? inner() : (value as string);
    case '-':
      return unset ? inner() : value;
    case ':+':
      return empty ? '' : inner();
    case '+':
      return unset ? '' : inner();
    default: {
      // `:?` and `?`: a variable the file requires.
      if (operator === ':?' ? !empty : !unset) return value as string;
      const why = rest === '' ? (unset ? 'it is not set' : 'it is empty') : rest;
      issues.push({ severity: 'error', message: `${name} is required: ${why}` });
      return '';
    }
  }
}

/**
 * The document with every string value interpolated (keys are not), and merge keys
 * applied, as a fresh tree.
 * Extension fields (`x-`) are left as they are: Shoal ignores them, so a variable they
 * name but nothing uses should not stop a translation.
 */
export function interpolateDocument(value: unknown, lookup: Lookup, diagnostics: Diagnostics): unknown {
  const walk = (node: unknown, path: SourcePath): unknown => {
    if (typeof node === 'string') {
      const issues: InterpolationIssue[] = [];
      const text = interpolateString(node, lookup, issues);
      for (const issue of issues) diagnostics[issue.severity](path, issue.message);
      return text;
    }
    if (!Array.isArray(node) && !isMapping(node)) return node;
    if (path.length >= MAX_DEPTH) {
      diagnostics.error(path, `nested more than ${MAX_DEPTH} levels deep: no compose file is`);
      return null;
    }
    if (Array.isArray(node)) {
      const list: unknown[] = [];
      for (let i = 0; i < node.length; i++) list.push(walk(node[i], [...path, i]));
      return list;
    }
    return Object.fromEntries(Object.entries(withMergedKeys(node, path, diagnostics)).map(([key, v]) => [key, key.startsWith('x-') ? v : walk(v, [...path, key])]));
  };
  return walk(value, []);
}
