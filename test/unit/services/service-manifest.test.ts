import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests, SpecError } from '../../../cli/spec-file.js';
import { serviceFromFields } from '../../../protocol/manifests/service.js';

const WEB = `apiVersion: shoal/v1
kind: Service
metadata: {name: web}
spec:
  selector: {workload: web}
  ports:
    - {name: http, port: 8080, targetPort: 80, publish: {port: 30080}}
`;

test('a service manifest becomes document fields, and reads back with its defaults filled in', () => {
  const [manifest] = loadManifests(WEB, 'web.yaml');
  assert.is(manifest?.key, 'Service/default/web');
  const read = serviceFromFields('default', 'web', manifest?.fields ?? {});
  assert.ok(read.ok);
  if (read.ok) assert.equal(read.service.ports, [{ name: 'http', port: 8080, targetPort: 80, protocol: 'tcp', publish: { port: 30080 } }]);
});

test('a port without targetPort targets the same port', () => {
  const [manifest] = loadManifests(WEB.replace(', targetPort: 80', ''), 'web.yaml');
  const read = serviceFromFields('default', 'web', manifest?.fields ?? {});
  assert.ok(read.ok && read.service.ports[0]?.targetPort === 8080);
});

const problems = (text: string): string => {
  try {
    loadManifests(text, 'svc.yaml');
  } catch (e) {
    if (e instanceof SpecError) return e.message;
    throw e;
  }
  return '';
};

test('a selector with both a workload and labels, or with neither, is refused with its line', () => {
  assert.match(problems(WEB.replace('{workload: web}', '{workload: web, labels: {app: web}}')), /svc\.yaml:5:\d+: spec\.selector: a selector names a workload or labels/);
  assert.match(problems(WEB.replace('{workload: web}', '{}')), /spec\.selector: a selector names a workload or labels/);
});

test('two ports on one port and protocol, a port out of range and an unknown field are refused', () => {
  assert.match(problems(WEB.replace('    - {name: http', '    - {port: 8080}\n    - {name: http')), /share a port and protocol/);
  assert.match(problems(WEB.replace('port: 30080', 'port: 70000')), /spec\.ports\.0\.publish\.port/);
  assert.match(problems(WEB.replace('targetPort: 80', 'targetPort: 80, hostNetwork: true')), /spec\.ports\.0\.hostNetwork: unknown field/);
});

test('a service written past the CLI with malformed fields reads as a problem, not a service', () => {
  const read = serviceFromFields('default', 'web', { apiVersion: 'shoal/v1', 'spec.selector': { workload: 'web' }, 'spec.ports': [{ port: 'eighty' }] });
  assert.equal(read.ok, false);
  if (!read.ok) assert.match(read.problem, /^spec\.ports\.0\.port: /);
  assert.equal(serviceFromFields('default', 'web', { apiVersion: 'shoal/v1' }).ok, false);
});

test.run();
