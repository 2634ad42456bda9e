import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execOf, logsOf, type SignedMessage } from '../../protocol/replica-requests.js';

const message = (method: string, path: string, body?: string): SignedMessage => ({
  method,
  url: `http://127.0.0.1:7080${path}`,
  headers: {},
  ...(body === undefined ? {} : { body }),
});

test('an exec request is read from its path and its body as signed', () => {
  assert.equal(execOf(message('POST', '/v1/workloads/shop/cart/exec', '{"slot":2,"command":["id"],"timeoutMs":5000}')), {
    ok: true,
    value: { workload: 'Workload/shop/cart', slot: 2, command: ['id'], timeoutMs: 5000 },
  });
  assert.equal(execOf(message('POST', '/v1/workloads/shop/cart/exec', '{"command":["id"]}')), {
    ok: true,
    value: { workload: 'Workload/shop/cart', slot: 0, command: ['id'], timeoutMs: 60_000 },
  });
  const refused = (m: SignedMessage): string => {
    const read = execOf(m);
    return read.ok ? 'ok' : read.error;
  };
  assert.match(refused(message('GET', '/v1/workloads/shop/cart/exec', '{"command":["id"]}')), /no exec request/);
  assert.match(refused(message('POST', '/v1/workloads/shop/cart/logs', '{"command":["id"]}')), /no exec request/);
  assert.match(refused(message('POST', '/v1/deltas', '{"command":["id"]}')), /no exec request/);
  assert.match(refused(message('POST', '/v1/workloads/shop/cart/exec', '{"command":[]}')), /^command/);
  assert.match(refused(message('POST', '/v1/workloads/shop/cart/exec', '{"command":["id"],"user":"root"}')), /body|user/);
  assert.match(refused(message('POST', '/v1/workloads/shop/cart/exec', 'not json')), /not JSON/);
  assert.match(refused(message('POST', '/v1/workloads/%E0%A4%A/cart/exec', '{"command":["id"]}')), /names no workload/);
  assert.match(refused({ ...message('POST', '/x'), url: 'no url' }), /no URL/);
});

test('a logs request is read from its path and query as signed', () => {
  assert.equal(logsOf(message('GET', '/v1/workloads/default/web/logs')), { ok: true, value: { workload: 'Workload/default/web', slot: 0, follow: false } });
  assert.equal(logsOf(message('GET', '/v1/workloads/default/web/logs?slot=3&follow=true&tail=10&sinceMs=5')), {
    ok: true,
    value: { workload: 'Workload/default/web', slot: 3, follow: true, tail: 10, sinceMs: 5 },
  });
  for (const query of ['slot=-1', 'tail=1.5', 'sinceMs=1e3', `slot=${'9'.repeat(20)}`]) {
    const read = logsOf(message('GET', `/v1/workloads/default/web/logs?${query}`));
    assert.ok(!read.ok && /must be a whole number/.test(read.error), query);
  }
  assert.not.ok(logsOf(message('POST', '/v1/workloads/default/web/logs')).ok);
});

test.run();
