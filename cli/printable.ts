/**
 * Control characters (but tab and newline) and Unicode's bidirectional overrides, which
 * a terminal would act on rather than show: an escape sequence can rewrite the screen,
 * set the window title or the clipboard (OSC 52), and an override can make text read
 * other than it is.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds.
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with each such character shown as its escape (`\x1b`, `\u202e`), as the user would want to see it. */
export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });

/**
 * What the CLI prints through `console` comes from the cluster (events, messages, images,
 * names any deployer or a replica's probe output could set) and is shown, not obeyed.
 * `logs`, `exec` and `convert` write their bytes through process.stdout as they are.
 */
export function printOnlyPrintable(): void {
  for (const method of ['log', 'error', 'warn'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => original(...args.map((a) => (typeof a === 'string' ? printable(a) : a)));
  }
}
