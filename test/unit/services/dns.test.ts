import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Service } from '../../../protocol/manifests/service.js';
import { answerQuestion } from '../../../protocol/services/dns.js';
import { serviceEnv } from '../../../protocol/services/service-env.js';

const web: Service = {
  namespace: 'default',
  name: 'web-api',
  selector: { workload: 'web' },
  ports: [
    { name: 'http', port: 80, targetPort: 8080, protocol: 'tcp' },
    { port: 9090, targetPort: 9090, protocol: 'tcp' },
  ],
};

test("a service's name answers with the node's service address, in any case and with a trailing dot", () => {
  assert.equal(
    answerQuestion({ name: 'Web-API.default.svc.shoal.', type: 'A' }, [web], () => '172.18.0.1'),
    {
      kind: 'answer',
      records: [{ type: 'A', name: 'Web-API.default.svc.shoal.', ttl: 5, data: '172.18.0.1' }],
    },
  );
  assert.equal(
    answerQuestion({ name: 'web-api.default.svc.shoal', type: 'AAAA' }, [web], () => '172.18.0.1'),
    { kind: 'answer', records: [] },
  );
});

test('a named port has an SRV record; an unnamed one, another namespace or another name does not exist', () => {
  assert.equal(
    answerQuestion({ name: '_http._tcp.web-api.default.svc.shoal', type: 'SRV' }, [web], () => '10.0.0.1'),
    {
      kind: 'answer',
      records: [{ type: 'SRV', name: '_http._tcp.web-api.default.svc.shoal', ttl: 5, data: { priority: 0, weight: 0, port: 80, target: 'web-api.default.svc.shoal' } }],
    },
  );
  for (const name of ['_http._udp.web-api.default.svc.shoal', 'web-api.other.svc.shoal', 'db.default.svc.shoal', 'svc.shoal', 'a.b.web-api.default.svc.shoal']) {
    assert.equal(
      answerQuestion({ name, type: 'A' }, [web], () => '10.0.0.1'),
      { kind: 'nxdomain' },
      name,
    );
  }
});

test('any other name is passed on', () => {
  assert.equal(
    answerQuestion({ name: 'example.org', type: 'A' }, [web], () => '10.0.0.1'),
    { kind: 'forward' },
  );
  assert.equal(
    answerQuestion({ name: 'svc.shoal.example.org', type: 'A' }, [web], () => '10.0.0.1'),
    { kind: 'forward' },
  );
});

test("a replica's environment names each service of its namespace as Kubernetes does", () => {
  assert.equal(
    serviceEnv([web, { ...web, namespace: 'other', name: 'db' }], 'default', (id) => (id === 'default/web-api' ? '127.64.1.2' : '127.64.9.9')),
    {
      WEB_API_SERVICE_HOST: '127.64.1.2',
      WEB_API_SERVICE_PORT: '80',
      WEB_API_SERVICE_PORT_HTTP: '80',
    },
  );
});

test.run();
