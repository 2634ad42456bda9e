import { parse } from 'shell-quote';

export type Words = { ok: true; words: string[] } | { ok: false; problem: string };

const LIST_FORM = 'use the list form, or ["sh", "-c", "..."]';

/**
 * Readies text for shell-quote: an unquoted `#` made literal (Compose splits words
 * without a shell, so `#` starts no comment, and shell-quote would cut even `a#b`), and a
 * quote left open found, since shell-quote silently drops it.
 */
function prepared(text: string): string | undefined {
  let out = '';
  let quote: "'" | '"' | "$'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === undefined) {
      if (c === '\\') {
        out += c + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '#') out += '\\#';
      else out += c;
      if (c === "'" || c === '"') quote = c;
      else if (c === '$' && text[i + 1] === "'") {
        out += "'";
        i++;
        quote = "$'";
      }
    } else {
      out += c;
      if (c === '\\' && quote !== "'") {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === quote || (quote === "$'" && c === "'")) quote = undefined;
    }
  }
  return quote === undefined ? out : undefined;
}

/**
 * What interpolation left of a `$` is text the user escaped as `$$`: shell-quote must give
 * it back as written, not expand it. Braces keep `$A` next to letters one variable.
 */
const asWritten = (name: string): string | undefined => {
  if (name === '') return undefined;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !/^[\d*@#?$!-]/.test(name) ? `\${${name}}` : `$${name}`;
};

/** Splits a command string into words as a shell would (quotes, escapes), without running one. */
export function shellWords(text: string): Words {
  const ready = prepared(text);
  if (ready === undefined) return { ok: false, problem: 'a quote is never closed' };
  let entries: ReturnType<typeof parse<string>>;
  try {
    entries = parse<string>(ready, asWritten);
  } catch (e) {
    return { ok: false, problem: `${e instanceof Error ? e.message : 'unreadable'}: ${LIST_FORM}` };
  }
  const words: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') words.push(entry);
    else if ('op' in entry && entry.op === 'glob') words.push(entry.pattern);
    else if ('op' in entry) return { ok: false, problem: `the shell operator ${entry.op} is outside quotes, and Shoal runs no shell: ${LIST_FORM}` };
    else return { ok: false, problem: `a comment is outside quotes: ${LIST_FORM}` };
  }
  return { ok: true, words };
}
