import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLocalCluster, waitForMembers, type LocalCluster } from '../../testnet/local/cluster.js';
import { LocalReplicas } from '../../testnet/local/replicas.js';
import { runShoal, type ShoalNodeProcess } from '../../testnet/local/shoal-process.js';
import { poll } from '../../testnet/poll.js';

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against
 * three nodes running a workload: it lists the nodes and the replicas, and shows a node
 * killed with kill -9 dead, live, as SWIM detects it. A screenshot goes to
 * test-output/. Its login is a one-time link from `shoal dashboard`; nothing else opens it.
 */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const OUTPUT = new URL('../../test-output/', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'shoal-it-dashboard-'));
let cluster: LocalCluster | undefined;
let browser: Browser | undefined;
const replicas = new LocalReplicas('process');

test.after(async () => {
  await browser?.close();
  await cluster?.stop(0);
  if (cluster !== undefined) await replicas.removeAll(cluster.nodes);
  rmSync(root, { recursive: true, force: true });
});

/** Waits until `count` elements match `selector`; the page's own policy forbids evaluating strings in it. */
const until = (page: Page, what: string, selector: string, count: number, timeoutMs: number): Promise<true> =>
  poll(what, async () => ((await page.locator(selector).count()) === count ? true : undefined), timeoutMs);

const shoal = (node: ShoalNodeProcess, ...args: string[]) => runShoal([...args, '--api', node.apiAddress, '--key', (cluster as LocalCluster).operatorKey]);

test('the dashboard lists the nodes and replicas, and shows a killed node dead, live', async () => {
  if (CHROMIUM === undefined) {
    // CI installs it (scripts/ensure-docker.sh) and requires it, as it requires Docker.
    assert.ok(process.env.SHOAL_REQUIRE_DOCKER !== '1', 'chromium is not installed (Debian: apt-get install chromium)');
    console.log('chromium is not installed (Debian: apt-get install chromium): the dashboard test is skipped');
    return;
  }
  cluster = await startLocalCluster({ dir: join(root, 'c'), nodes: 3, args: ['--runtime', 'process'] });
  const [first, , third] = cluster.nodes as [ShoalNodeProcess, ShoalNodeProcess, ShoalNodeProcess];
  for (const node of cluster.nodes) await waitForMembers(node.api, cluster.operatorKey, (m) => m.filter((x) => x.state === 'alive').length === 3, 60_000);
  const file = join(root, 'web.yaml');
  writeFileSync(file, 'apiVersion: shoal/v1\nkind: Workload\nmetadata: {name: web}\nspec:\n  image: none\n  command: [sleep, "3600"]\n  replicas: 3\n');
  const applied = await shoal(first, 'apply', '-f', file);
  assert.is(applied.code, 0, applied.stderr);

  const link = await shoal(first, 'dashboard');
  assert.is(link.code, 0, link.stderr);
  const url = link.stdout.trim();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/ui\/#login=[A-Za-z0-9_-]{43}$/);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(url);
  // Generous: a busy machine is slow, not broken (the stream sends every 2 s).
  await until(page, 'three nodes alive', '#nodes tr[data-node][data-state="alive"]', 3, 60_000);
  await until(page, 'three replicas of web running', 'tr[data-workload="Workload/default/web"][data-state="running"]', 3, 90_000);
  assert.not.match(page.url(), /login=/, 'the login token leaves the address bar');
  // The cluster's events, as `shoal events` gathers them: the auctions' placements among them.
  await page.locator('#events', { hasText: 'placed' }).waitFor({ timeout: 30_000 });

  // The same link again buys nothing: it was spent.
  const again = await (await browser.newContext()).newPage();
  await again.goto(url);
  await again.waitForSelector('[data-login-needed]', { timeout: 30_000 });

  third.child.kill('SIGKILL');
  await page.waitForSelector(`#nodes tr[data-node="${third.peerId}"][data-state="dead"]`, { timeout: 60_000 });
  mkdirSync(OUTPUT, { recursive: true });
  const shot = join(OUTPUT, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`dashboard screenshot: ${shot}`);
});

test('the stream and the login need what they need: a session, a fresh token', async () => {
  if (cluster === undefined) return;
  const first = cluster.nodes[0] as ShoalNodeProcess;
  assert.is((await fetch(`${first.api}/ui/stream`)).status, 401, 'no session');
  assert.is((await fetch(`${first.api}/ui/stream`, { headers: { cookie: `shoal_ui=${'A'.repeat(43)}` } })).status, 401, 'a made-up session');
  const login = await fetch(`${first.api}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'B'.repeat(43) }) });
  assert.is(login.status, 401, 'a made-up token');
  assert.is((await fetch(`${first.api}/v1/ui/login`, { method: 'POST' })).status, 401, 'a login link needs a signed request');
  // One operator holds at most two streams on a node (the browser above holds one).
  const link = await shoal(first, 'dashboard');
  const token = /#login=([A-Za-z0-9_-]{43})$/.exec(link.stdout.trim())?.[1];
  const session = await fetch(`${first.api}/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  assert.is(session.status, 204);
  const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const held = await fetch(`${first.api}/ui/stream`, { headers: { cookie } });
  assert.is(held.status, 200);
  const refused = await fetch(`${first.api}/ui/stream`, { headers: { cookie } });
  assert.is(refused.status, 429);
  assert.match(((await refused.json()) as { detail: string }).detail, /this operator already has 2/);
  await held.body?.cancel();
  const page = await fetch(`${first.api}/ui/`);
  assert.is(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.is(page.headers.get('x-frame-options'), 'DENY');
});

test.run();
