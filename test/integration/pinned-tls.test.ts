import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PIN_TIMEOUT_MS, pinnedFetch } from '../../cli/pinned-tls.js';
import { loadOrCreateApiTls } from '../../node/api/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'shoal-pinned-'));
const listen = (server: Server, port = 0): Promise<number> =>
  new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a node that takes the connection and never completes the handshake fails the request within the pin timeout, and the next request connects anew', async () => {
  const tls = await loadOrCreateApiTls(dir);
  // What a node that is down looks like to a client whose SYN the kernel keeps retrying: a connection that never gets anywhere.
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket));
  const port = await listen(silent);
  const url = `https://127.0.0.1:${port}/v1/status`;
  const hung = pinnedFetch(tls.fingerprint)(url, {}).then(
    () => 'answered',
    (e: Error) => (e.cause as Error | undefined)?.name ?? e.name,
  );
  const outcome = await Promise.race([hung, new Promise((r) => setTimeout(() => r('still waiting'), 3 * PIN_TIMEOUT_MS))]);
  assert.is(outcome, 'PinTimeoutError');

  // The node is back on the same address: the next request is answered.
  for (const s of held) s.destroy();
  await new Promise((r) => silent.close(r));
  const node = createHttpsServer({ key: tls.key, cert: tls.cert }, (_request, response) => response.end('{"ok":true}'));
  await listen(node, port);
  try {
    const response = await pinnedFetch(tls.fingerprint)(url, { signal: AbortSignal.timeout(3 * PIN_TIMEOUT_MS) });
    assert.equal(await response.json(), { ok: true });
  } finally {
    node.closeAllConnections();
    await new Promise((r) => node.close(r));
  }
});

test.run();
