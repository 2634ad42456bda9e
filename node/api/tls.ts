import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** A node's API certificate, self-signed: operators pin its fingerprint (context, join token) instead of trusting a CA. */
export interface ApiTls {
  key: string;
  cert: string;
  /** SHA-256 of the certificate, 64 lower-case hex digits. */
  fingerprint: string;
}

/** Any way a fingerprint is written (Node's `AB:CD:…`, hex of either case) as 64 lower-case hex digits. */
export const normalFingerprint = (text: string): string => text.replaceAll(':', '').toLowerCase();
export const FINGERPRINT = /^[0-9a-f]{64}$/;

export const fingerprintOf = (certPem: string): string => normalFingerprint(new X509Certificate(certPem).fingerprint256);

/** Loopback is served in plain HTTP (the local CLI); any other address only over TLS. */
export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

const paths = (dataRoot: string) => ({ key: join(dataRoot, 'api-tls.key'), cert: join(dataRoot, 'api-tls.crt') });

/**
 * The node's API certificate, made on first need and kept in the data directory, so its
 * fingerprint stays what operators pinned across restarts. P-256, ten years: it is
 * trusted by its fingerprint alone, so its names and dates do not matter to clients.
 */
export async function loadOrCreateApiTls(dataRoot: string): Promise<ApiTls> {
  const { key, cert } = paths(dataRoot);
  if (!existsSync(key) || !existsSync(cert)) {
    // Loaded only to make one: the X.509 library is large, and the CLI imports this module too.
    // A CommonJS module: imported dynamically from the bundle, its exports sit on `default`.
    const selfsigned = await import('selfsigned');
    const { generate } = (selfsigned as unknown as { default?: typeof selfsigned }).default ?? selfsigned;
    const made = await generate([{ name: 'commonName', value: 'shoal node API' }], { keyType: 'ec', curve: 'P-256', notAfterDate: new Date(Date.now() + 10 * 365 * 86_400_000) });
    writeFileSync(key, made.private, { mode: 0o600 });
    writeFileSync(cert, made.cert);
  }
  const pem = readFileSync(cert, 'utf8');
  return { key: readFileSync(key, 'utf8'), cert: pem, fingerprint: fingerprintOf(pem) };
}
