/**
 * The value of one metric in a Prometheus text exposition (format 0.0.4): the sum of its
 * samples over every label set, as a replica that reports one number per worker would
 * want it added. Undefined where no sample line names it or a value is not a number.
 * Only `name` and `name{...}` lines count: a histogram's `name_bucket` is another name.
 */
export function metricValue(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) {
      const close = closingBrace(rest);
      if (close === -1) return undefined;
      rest = rest.slice(close + 1);
    } else if (!/^[ \t]/.test(rest)) continue;
    // The value, then an optional timestamp.
    const fields = rest.trim().split(/[ \t]+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') return undefined;
    const value = parseValue(fields[0] as string);
    if (value === undefined) return undefined;
    sum = (sum ?? 0) + value;
  }
  // Finite samples can still add up past what a double holds.
  return sum === undefined || Number.isFinite(sum) ? sum : undefined;
}

/** Where a label set ends: the first } outside a quoted label value, which may hold escaped quotes and braces. */
function closingBrace(text: string): number {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '}') return i;
  }
  return -1;
}

function parseValue(text: string): number | undefined {
  if (!/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
