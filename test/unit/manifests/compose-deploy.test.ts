import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diagnosticAt, errors, noErrors, translate, warnings, web, webSpec } from './compose-helpers.js';

const deployed = (deploy: Record<string, unknown>, fields: Record<string, unknown> = {}) => translate(web({ deploy, ...fields }));
const DEPLOY = ['services', 'web', 'deploy'];

test('deploy.replicas and the older scale set spec.replicas, deploy.replicas winning', () => {
  assert.is(webSpec(deployed({ replicas: 4 })).replicas, 4);
  assert.is(webSpec(translate(web({ scale: 2 }))).replicas, 2);
  const both = deployed({ replicas: 4 }, { scale: 2 });
  assert.is(webSpec(both).replicas, 4);
  assert.match(diagnosticAt(both, 'warning', ['services', 'web', 'scale']).message, /deploy\.replicas is used/);
  diagnosticAt(deployed({ replicas: -1 }), 'error', [...DEPLOY, 'replicas']);
  diagnosticAt(deployed({ replicas: 'three' }), 'error', [...DEPLOY, 'replicas']);
});

test('global mode sets spec.mode global; replicas with it are ignored with a warning', () => {
  const global = deployed({ mode: 'global' });
  noErrors(global);
  assert.equal(warnings(global), []);
  assert.is(webSpec(global).mode, 'global');
  const withReplicas = deployed({ mode: 'global', replicas: 3 });
  assert.match(diagnosticAt(withReplicas, 'warning', [...DEPLOY, 'replicas']).message, /one replica on every node/);
  assert.is(webSpec(withReplicas).replicas, undefined);
  assert.is(webSpec(deployed({ mode: 'replicated', replicas: 2 })).mode, 'replicated');
  diagnosticAt(deployed({ mode: 'replicated-job' }), 'error', [...DEPLOY, 'mode']);
  diagnosticAt(deployed({ mode: 'daemon' }), 'error', [...DEPLOY, 'mode']);
});

test('resource limits set spec.resources: cpus as millicores, memory as a Shoal quantity', () => {
  const t = deployed({ resources: { limits: { cpus: '0.5', memory: '512M' } } });
  noErrors(t);
  assert.equal(webSpec(t).resources, { cpu: '500m', memory: '512Mi' });
  assert.equal(webSpec(deployed({ resources: { limits: { cpus: 2, memory: 52428800 } } })).resources, { cpu: '2000m', memory: '50Mi' });
  assert.equal(webSpec(deployed({ resources: { limits: { memory: '1000b' } } })).resources, { memory: 1000 });
  assert.equal(webSpec(translate(web({ cpus: 1.5, mem_limit: '1g' }))).resources, { cpu: '1500m', memory: '1Gi' });
});

test('reservations count only without limits, and a reservation unlike its limit is a warning', () => {
  assert.equal(webSpec(deployed({ resources: { reservations: { cpus: '0.25', memory: '128m' } } })).resources, { cpu: '250m', memory: '128Mi' });
  const both = deployed({ resources: { limits: { cpus: '1', memory: '1g' }, reservations: { cpus: '0.5', memory: '1g' } } });
  assert.equal(webSpec(both).resources, { cpu: '1000m', memory: '1Gi' });
  assert.equal(diagnosticAt(both, 'warning', [...DEPLOY, 'resources', 'reservations', 'cpus']).message, 'Shoal reserves and limits the same amount: limits used');
  assert.is(warnings(both).length, 1);
  const mixed = deployed({ resources: { limits: { memory: '1g' }, reservations: { cpus: '0.5' } } });
  assert.equal(webSpec(mixed).resources, { cpu: '500m', memory: '1Gi' });
  assert.equal(warnings(mixed), []);
});

test('cpus that are 0 or finer than a thousandth, memory that is 0 or malformed, pids and devices are errors', () => {
  diagnosticAt(deployed({ resources: { limits: { cpus: '0' } } }), 'error', [...DEPLOY, 'resources', 'limits', 'cpus']);
  diagnosticAt(deployed({ resources: { limits: { cpus: '0.0001' } } }), 'error', [...DEPLOY, 'resources', 'limits', 'cpus']);
  diagnosticAt(deployed({ resources: { limits: { memory: '0' } } }), 'error', [...DEPLOY, 'resources', 'limits', 'memory']);
  diagnosticAt(deployed({ resources: { limits: { memory: 'lots' } } }), 'error', [...DEPLOY, 'resources', 'limits', 'memory']);
  assert.match(diagnosticAt(deployed({ resources: { limits: { pids: 100 } } }), 'error', [...DEPLOY, 'resources', 'limits', 'pids']).message, /pids/);
  diagnosticAt(deployed({ resources: { reservations: { devices: [{ capabilities: ['gpu'] }] } } }), 'error', [...DEPLOY, 'resources', 'reservations', 'devices']);
  diagnosticAt(deployed({ resources: { reservations: { generic_resources: [{ discrete_resource_spec: { kind: 'gpu', value: 1 } }] } } }), 'error', [
    ...DEPLOY,
    'resources',
    'reservations',
    'generic_resources',
  ]);
  diagnosticAt(translate(web({ cpus: 'many' })), 'error', ['services', 'web', 'cpus']);
});

test('legacy cpus and mem_limit yield to deploy limits, and mem_reservation, cpu_shares, cpu_quota and cpuset are warnings', () => {
  const t = deployed({ resources: { limits: { cpus: '1', memory: '1g' } } }, { cpus: 2, mem_limit: '2g', mem_reservation: '1g', cpu_shares: 512, cpu_quota: 50000, cpuset: '0-1' });
  assert.equal(webSpec(t).resources, { cpu: '1000m', memory: '1Gi' });
  for (const key of ['cpus', 'mem_limit', 'mem_reservation', 'cpu_shares', 'cpu_quota', 'cpuset']) diagnosticAt(t, 'warning', ['services', 'web', key]);
  noErrors(t);
});

test('restart maps to spec.restartPolicy; on-failure:N drops the count with a warning; none given leaves the default', () => {
  for (const [restart, policy] of [
    ['no', 'never'],
    [false, 'never'],
    ['always', 'always'],
    ['unless-stopped', 'always'],
    ['on-failure', 'on-failure'],
  ] as const) {
    const t = translate(web({ restart }));
    assert.equal(t.diagnostics, [], String(restart));
    assert.is(webSpec(t).restartPolicy, policy, String(restart));
  }
  const counted = translate(web({ restart: 'on-failure:5' }));
  assert.is(webSpec(counted).restartPolicy, 'on-failure');
  assert.match(diagnosticAt(counted, 'warning', ['services', 'web', 'restart']).message, /retry count 5 is dropped/);
  assert.is(webSpec(translate(web({}))).restartPolicy, undefined);
  diagnosticAt(translate(web({ restart: 'sometimes' })), 'error', ['services', 'web', 'restart']);
});

test('deploy.restart_policy maps its condition and wins over restart; its timings are warnings', () => {
  for (const [condition, policy] of [
    ['none', 'never'],
    ['on-failure', 'on-failure'],
    ['any', 'always'],
  ] as const) {
    assert.is(webSpec(deployed({ restart_policy: { condition } })).restartPolicy, policy);
  }
  assert.is(webSpec(deployed({ restart_policy: {} })).restartPolicy, 'always');
  const both = deployed({ restart_policy: { condition: 'none', delay: '5s', max_attempts: 3, window: '1m' } }, { restart: 'always' });
  assert.is(webSpec(both).restartPolicy, 'never');
  for (const key of ['delay', 'max_attempts', 'window']) diagnosticAt(both, 'warning', [...DEPLOY, 'restart_policy', key]);
  diagnosticAt(both, 'warning', ['services', 'web', 'restart']);
  diagnosticAt(deployed({ restart_policy: { condition: 'never' } }), 'error', [...DEPLOY, 'restart_policy', 'condition']);
});

test('placement constraints on node labels become spec.placement.constraints', () => {
  const t = deployed({
    placement: { constraints: ['node.labels.zone==eu-1', 'node.labels.disk != hdd'], max_replicas_per_node: 2, preferences: [{ spread: 'node.labels.rack' }] },
  });
  noErrors(t);
  assert.equal(webSpec(t).placement, {
    constraints: [
      { key: 'zone', operator: '==', value: 'eu-1' },
      { key: 'disk', operator: '!=', value: 'hdd' },
    ],
    spreadBy: 'rack',
    maxPerNode: 2,
  });
  assert.is(webSpec(deployed({ placement: { max_replicas_per_node: 0 } })).placement, undefined);
});

test('constraints on node attributes Shoal lacks are errors telling how to label nodes', () => {
  const constraints = ['node.role==manager', 'node.hostname==a', 'node.id!=x', 'node.platform.os==linux', 'engine.labels.ssd==true', 'node.color==red', 'zone=eu'];
  const t = deployed({ placement: { constraints } });
  for (let i = 0; i < 5; i++) assert.match(diagnosticAt(t, 'error', [...DEPLOY, 'placement', 'constraints', i]).message, /shoal start --label KEY=VALUE/);
  diagnosticAt(t, 'error', [...DEPLOY, 'placement', 'constraints', 5]);
  diagnosticAt(t, 'error', [...DEPLOY, 'placement', 'constraints', 6]);
  assert.is(errors(t).length, 7);
});

test('more than one spread preference, or a spread on anything but a node label, is an error', () => {
  diagnosticAt(deployed({ placement: { preferences: [{ spread: 'node.labels.a' }, { spread: 'node.labels.b' }] } }), 'error', [...DEPLOY, 'placement', 'preferences', 1]);
  diagnosticAt(deployed({ placement: { preferences: [{ spread: 'node.id' }] } }), 'error', [...DEPLOY, 'placement', 'preferences', 0]);
});

test('update_config order stop-first takes N down first, start-first starts N first; 0 is all replicas', () => {
  assert.equal(webSpec(deployed({ update_config: { parallelism: 2 } })).rollout, { maxUnavailable: 2, maxSurge: 0 });
  assert.equal(webSpec(deployed({ update_config: { parallelism: 2, order: 'stop-first' } })).rollout, { maxUnavailable: 2, maxSurge: 0 });
  assert.equal(webSpec(deployed({ update_config: { parallelism: 3, order: 'start-first' } })).rollout, { maxUnavailable: 0, maxSurge: 3 });
  assert.equal(webSpec(deployed({ update_config: { order: 'start-first' } })).rollout, { maxUnavailable: 0, maxSurge: 1 });
  assert.equal(webSpec(deployed({ replicas: 5, update_config: { parallelism: 0 } })).rollout, { maxUnavailable: 5, maxSurge: 0 });
  assert.equal(webSpec(deployed({ replicas: 0, update_config: { parallelism: 0 } })).rollout, { maxUnavailable: 1, maxSurge: 0 });
  assert.is(webSpec(deployed({ update_config: { delay: '10s' } })).rollout, undefined);
  diagnosticAt(deployed({ update_config: { order: 'random' } }), 'error', [...DEPLOY, 'update_config', 'order']);
  diagnosticAt(deployed({ update_config: { parallelism: -1 } }), 'error', [...DEPLOY, 'update_config', 'parallelism']);
});

test('update_config timings, rollback_config, deploy labels and endpoint_mode are warnings', () => {
  const t = deployed({
    update_config: { parallelism: 1, delay: '10s', failure_action: 'rollback', monitor: '30s', max_failure_ratio: 0.1 },
    rollback_config: { parallelism: 1 },
    labels: { a: 'b' },
    endpoint_mode: 'dnsrr',
  });
  noErrors(t);
  for (const key of ['delay', 'failure_action', 'monitor', 'max_failure_ratio']) diagnosticAt(t, 'warning', [...DEPLOY, 'update_config', key]);
  for (const key of ['rollback_config', 'labels', 'endpoint_mode']) diagnosticAt(t, 'warning', [...DEPLOY, key]);
  assert.is(warnings(t).length, 7);
});

test('an unknown deploy key is an unknown-field error', () => {
  assert.match(diagnosticAt(deployed({ replics: 3 }), 'error', [...DEPLOY, 'replics']).message, /unknown field/);
  diagnosticAt(translate(web({ deploy: 'fast' })), 'error', DEPLOY);
});

test.run();
