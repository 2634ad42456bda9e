import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Translation } from '../../../protocol/manifests/foreign/translation.js';
import { diagnosticAt, errors, manifestOf, noErrors, schemaChecked, translate, web, webSpec } from './compose-helpers.js';

const servicePorts = (t: Translation): unknown => (manifestOf(t, 'Service', 'web').spec as { ports: unknown }).ports;

test('short port syntaxes: target only, published:target, with a host address, with a protocol', () => {
  const t = translate(web({ ports: ['3000', 9000, '8080:80', '127.0.0.1:8443:443', '53:53/udp', '[::1]:6060:6060', '127.0.0.1::7000/tcp'] }));
  noErrors(t);
  schemaChecked(t);
  assert.equal(servicePorts(t), [
    { port: 53, targetPort: 53, protocol: 'udp', publish: { port: 53 } },
    { port: 80, targetPort: 80, protocol: 'tcp', publish: { port: 8080 } },
    { port: 443, targetPort: 443, protocol: 'tcp', publish: { port: 8443 } },
    { port: 3000, targetPort: 3000, protocol: 'tcp' },
    { port: 6060, targetPort: 6060, protocol: 'tcp', publish: { port: 6060 } },
    { port: 7000, targetPort: 7000, protocol: 'tcp' },
    { port: 9000, targetPort: 9000, protocol: 'tcp' },
  ]);
  assert.equal(webSpec(t).ports, [
    { containerPort: 3000, protocol: 'tcp' },
    { containerPort: 9000, protocol: 'tcp' },
    { containerPort: 80, protocol: 'tcp' },
    { containerPort: 443, protocol: 'tcp' },
    { containerPort: 53, protocol: 'udp' },
    { containerPort: 6060, protocol: 'tcp' },
    { containerPort: 7000, protocol: 'tcp' },
  ]);
  assert.match(diagnosticAt(t, 'warning', ['services', 'web', 'ports', 3]).message, /host_ip 127\.0\.0\.1 is dropped: Shoal publishes on each node's publish address/);
  assert.match(diagnosticAt(t, 'warning', ['services', 'web', 'ports', 5]).message, /host_ip ::1 is dropped/);
});

test('a port range is expanded port by port when both sides have the same length, up to 64', () => {
  const t = translate(web({ ports: ['8000-8002:9000-9002', '7000-7001'] }));
  noErrors(t);
  assert.equal(servicePorts(t), [
    { port: 7000, targetPort: 7000, protocol: 'tcp' },
    { port: 7001, targetPort: 7001, protocol: 'tcp' },
    { port: 9000, targetPort: 9000, protocol: 'tcp', publish: { port: 8000 } },
    { port: 9001, targetPort: 9001, protocol: 'tcp', publish: { port: 8001 } },
    { port: 9002, targetPort: 9002, protocol: 'tcp', publish: { port: 8002 } },
  ]);
  const widest = translate(web({ ports: ['1000-1063:2000-2063'] }));
  noErrors(widest);
  assert.is((servicePorts(widest) as unknown[]).length, 64);
  diagnosticAt(translate(web({ ports: ['1000-1064:2000-2064'] })), 'error', ['services', 'web', 'ports', 0]);
  diagnosticAt(translate(web({ ports: ['8000-8002:9000-9001'] })), 'error', ['services', 'web', 'ports', 0]);
  assert.match(diagnosticAt(translate(web({ ports: ['8000-8002:80'] })), 'error', ['services', 'web', 'ports', 0]).message, /name a single published port/);
});

test('the long port syntax maps target, published, protocol and name; host mode binds on the node instead of publishing', () => {
  const t = translate(
    web({
      ports: [
        { target: 80, published: '8080', protocol: 'tcp', name: 'http', app_protocol: 'http' },
        { target: 9090, published: 9090, mode: 'host' },
        { target: 5353, protocol: 'udp', host_ip: '10.0.0.1' },
      ],
    }),
  );
  noErrors(t);
  schemaChecked(t);
  assert.equal(webSpec(t).ports, [
    { containerPort: 80, protocol: 'tcp' },
    { containerPort: 9090, hostPort: 9090, protocol: 'tcp' },
    { containerPort: 5353, protocol: 'udp' },
  ]);
  assert.equal(servicePorts(t), [
    { name: 'http', port: 80, targetPort: 80, protocol: 'tcp', publish: { port: 8080 } },
    { port: 5353, targetPort: 5353, protocol: 'udp' },
    { port: 9090, targetPort: 9090, protocol: 'tcp' },
  ]);
  assert.match(diagnosticAt(t, 'warning', ['services', 'web', 'ports', 0, 'app_protocol']).message, /plain TCP or UDP/);
  diagnosticAt(t, 'warning', ['services', 'web', 'ports', 2, 'host_ip']);
});

test('protocols other than tcp and udp, malformed ports and bad long-syntax fields are errors at their paths', () => {
  const t = translate(
    web({
      ports: [
        '80/sctp',
        'eighty',
        '70000',
        '1:2:3:4x',
        { published: 80 },
        { target: 80, protocol: 'sctp' },
        { target: 81, mode: 'vip' },
        { target: 82, name: 'Bad_Name' },
        { target: 83, extra: 1 },
        true,
      ],
    }),
  );
  for (const path of [[0], [1], [2], [3], [4], [5, 'protocol'], [6, 'mode'], [7, 'name'], [8, 'extra'], [9]]) {
    diagnosticAt(t, 'error', ['services', 'web', 'ports', ...path]);
  }
  assert.match(diagnosticAt(t, 'error', ['services', 'web', 'ports', 0]).message, /tcp and udp only/);
  diagnosticAt(translate(web({ ports: '80:80' })), 'error', ['services', 'web', 'ports']);
});

test('the same target published on two ports is an error on the second; identical entries collapse', () => {
  const twice = translate(web({ ports: ['8080:80', '9090:80'] }));
  assert.match(diagnosticAt(twice, 'error', ['services', 'web', 'ports', 1]).message, /already published on 8080: a Shoal service port publishes on one port/);
  const same = translate(web({ ports: ['8080:80', '8080:80', '80', { target: 80, published: 8080 }], expose: ['80'] }));
  noErrors(same);
  assert.equal(servicePorts(same), [{ port: 80, targetPort: 80, protocol: 'tcp', publish: { port: 8080 } }]);
  assert.equal(webSpec(same).ports, [{ containerPort: 80, protocol: 'tcp' }]);
  // tcp and udp on one number are two ports.
  noErrors(translate(web({ ports: ['53:53/tcp', '53:53/udp'] })));
});

test('one node port published for two targets, or by two services, is an error', () => {
  assert.match(diagnosticAt(translate(web({ ports: ['8080:80', '8080:81'] })), 'error', ['services', 'web', 'ports', 1]).message, /already published for container port 80/);
  const t = translate({ services: { a: { image: 'x', ports: ['8080:80'] }, b: { image: 'y', ports: ['8080:80'] } } });
  assert.match(diagnosticAt(t, 'error', ['services', 'b', 'ports', 0]).message, /already published for service a/);
});

test('expose gives service ports that are published nowhere, and container ports', () => {
  const t = translate(web({ expose: ['3000', 4000, '5000/udp', '6000-6001'] }));
  noErrors(t);
  assert.equal(servicePorts(t), [
    { port: 3000, targetPort: 3000, protocol: 'tcp' },
    { port: 4000, targetPort: 4000, protocol: 'tcp' },
    { port: 5000, targetPort: 5000, protocol: 'udp' },
    { port: 6000, targetPort: 6000, protocol: 'tcp' },
    { port: 6001, targetPort: 6001, protocol: 'tcp' },
  ]);
  assert.equal((webSpec(t).ports as unknown[]).length, 5);
  diagnosticAt(translate(web({ expose: ['http'] })), 'error', ['services', 'web', 'expose', 0]);
  diagnosticAt(translate(web({ expose: ['80/sctp'] })), 'error', ['services', 'web', 'expose', 0]);
});

test('a service with neither ports nor expose gets no Service', () => {
  const t = translate(web({}));
  assert.equal(
    t.objects.map((o) => o.manifest.kind),
    ['Workload'],
  );
  assert.equal(errors(t), []);
});

test.run();
