/** The dashboard's session cookie, scoped to /ui. */
export const UI_COOKIE = 'shoal_ui';

/** The session id a request's Cookie header carries, if any. */
export function sessionOf(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === UI_COOKIE && value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return undefined;
}
