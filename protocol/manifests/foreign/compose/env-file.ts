export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface EnvFileEntry {
  name: string;
  /** Undefined for a bare `KEY` line: the value comes from the environment. */
  value: string | undefined;
  /** Single-quoted values are literal; the rest are interpolated, as Compose does. */
  quoted: 'single' | 'double' | undefined;
  line: number;
}

export interface EnvFileProblem {
  line: number;
  message: string;
}

const DOUBLE_QUOTED_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function quotedValueOf(raw: string): Pick<EnvFileEntry, 'value' | 'quoted'> {
  const quote = raw[0];
  if ((quote === '"' || quote === "'") && raw.length >= 2 && raw.endsWith(quote)) {
    const inner = raw.slice(1, -1);
    if (quote === "'") return { value: inner, quoted: 'single' };
    return { value: inner.replace(/\\([nrt"\\])/g, (_, c: string) => DOUBLE_QUOTED_ESCAPES[c] as string), quoted: 'double' };
  }
  // Unquoted, a `#` after a space starts a comment, as in Compose's dotenv files.
  return { value: raw.replace(/\s+#.*$/, ''), quoted: undefined };
}

/** An env_file: `KEY=VALUE` lines (an `export ` before is allowed), `#` comments and blank lines skipped. */
export function parseEnvFile(text: string): { entries: EnvFileEntry[]; problems: EnvFileProblem[] } {
  const entries: EnvFileEntry[] = [];
  const problems: EnvFileProblem[] = [];
  text.split(/\r?\n/).forEach((source, index) => {
    const line = index + 1;
    const trimmed = source.trim().replace(/^export\s+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const equals = trimmed.indexOf('=');
    const name = (equals === -1 ? trimmed : trimmed.slice(0, equals)).trim();
    if (!ENV_NAME.test(name)) {
      problems.push({ line, message: `${JSON.stringify(name.slice(0, 40))} is not a variable name: letters, digits and _, not starting with a digit` });
      return;
    }
    entries.push({ name, line, ...(equals === -1 ? { value: undefined, quoted: undefined } : quotedValueOf(trimmed.slice(equals + 1).trim())) });
  });
  return { entries, problems };
}
