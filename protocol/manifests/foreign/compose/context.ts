import type { Diagnostics, SourcePath } from '../translation.js';

export interface ComposeContext {
  /** The environment Compose would interpolate from (the CLI passes the shell's env plus a `.env` file beside the compose file). */
  env: Readonly<Record<string, string>>;
  /** A file named in the compose file (env_file, a secret's file), path as written there, relative to the compose file's folder; undefined when it cannot be read. */
  readFile: (path: string) => string | undefined;
}

/** What every part of one translation shares. */
export interface Scope {
  diagnostics: Diagnostics;
  /** A variable of the environment; only its own keys count, so `constructor` is not a variable. */
  lookup: (name: string) => string | undefined;
  /** The file's text, or undefined; a reader that throws counts as one that cannot read. */
  readFile: (path: string) => string | undefined;
}

export function scopeOf(context: ComposeContext, diagnostics: Diagnostics): Scope {
  return {
    diagnostics,
    lookup: (name) => {
      const value = Object.hasOwn(context.env, name) ? context.env[name] : undefined;
      return typeof value === 'string' ? value : undefined;
    },
    readFile: (path) => {
      try {
        const text = context.readFile(path);
        return typeof text === 'string' ? text : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** A value with the place in the compose file it came from. */
export interface Located<T> {
  value: T;
  path: SourcePath;
}
