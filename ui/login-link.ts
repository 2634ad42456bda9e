// The login link `shoal dashboard` prints: `/ui/#login=TOKEN`. The token rides in the
// fragment, which the browser never sends to a server. Pure: unit-tested in test/unit/ui/.

/** The one-time token in a location's hash (`#login=...`), if there is one. */
export function loginTokenFromHash(hash: string): string | undefined {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('login');
  return token === null || token === '' ? undefined : token;
}
