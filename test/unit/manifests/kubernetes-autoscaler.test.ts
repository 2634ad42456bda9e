import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSpec, SpecError, type LoadedSpec } from '../../../cli/spec-file.js';
import { translateKubernetes } from '../../../protocol/manifests/foreign/kubernetes/index.js';
import { sourcePathOf } from '../../../protocol/manifests/foreign/translation.js';

/** A Deployment `web` of lines 1-13, its container's resources (if any) on line 13. */
const deployment = (resources = '{requests: {cpu: 100m, memory: 64Mi}}', extra = '', kind = 'Deployment', name = 'web'): string => `apiVersion: apps/v1
kind: ${kind}
metadata: {name: ${name}}
spec:${extra}
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - name: app
          image: app:1
          resources: ${resources}
`;

/** An HPA of `web`, starting on line 15 after a Deployment: `spec` is its spec's lines, two spaces in. */
const hpa = (spec: string, apiVersion = 'autoscaling/v2', metadata = '{name: web}'): string => `---
apiVersion: ${apiVersion}
kind: HorizontalPodAutoscaler
metadata: ${metadata}
spec:
${spec
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;

const TARGET = 'scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}';

const autoscaleOf = (loaded: LoadedSpec, key = 'Workload/default/web'): unknown => {
  const manifest = loaded.manifests.find((m) => m.key === key);
  if (manifest === undefined) throw new Error(`no ${key} among ${loaded.manifests.map((m) => m.key).join(', ')}`);
  return manifest.fields['spec.autoscale'];
};

const warningsOf = (loaded: LoadedSpec): string[] => loaded.warnings.map((w) => `${w.line} ${w.field}`);

/** The problems a SpecError lists, as `line field: message`. */
function problemsOf(text: string): string[] {
  try {
    loadSpec(text, 'k8s.yaml');
  } catch (e) {
    if (e instanceof SpecError) return e.problems.map((p) => `${p.line} ${p.field}: ${p.message}`);
    throw e;
  }
  throw new Error('the file loaded without a problem');
}

/** What Shoal's schema fills in when the HPA has no behavior. */
const WINDOWS = { behavior: { scaleUpWindowSeconds: 0, scaleDownWindowSeconds: 300 } };

const linesOf = (problems: string[]): string[] => problems.map((p) => p.split(':')[0] as string);

test('an autoscaling/v2 HPA becomes spec.autoscale of its Deployment, and no object of its own', () => {
  const loaded = loadSpec(
    deployment() +
      hpa(`${TARGET}
minReplicas: 2
maxReplicas: 10
metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Resource
    resource:
      name: memory
      target: {type: Utilization, averageUtilization: 75}
behavior:
  scaleUp: {stabilizationWindowSeconds: 30}
  scaleDown: {stabilizationWindowSeconds: 120, selectPolicy: Max}`),
    'k8s.yaml',
  );
  assert.equal(
    loaded.manifests.map((m) => m.key),
    ['Workload/default/web'],
  );
  assert.equal(autoscaleOf(loaded), {
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [{ cpu: { targetPercent: 60 } }, { memory: { targetPercent: 75 } }],
    behavior: { scaleUpWindowSeconds: 30, scaleDownWindowSeconds: 120 },
  });
  assert.is(loaded.manifests[0]?.fields['spec.replicas'], 2, "the Deployment's replicas stay the count until the first decision");
  assert.equal(loaded.warnings, [], "selectPolicy Max is Kubernetes' default, and moving all the way is what Shoal does");
  assert.equal(
    loaded.documents.map((d) => d.kind),
    ['Workload'],
    'convert prints the workload alone',
  );
});

test('the HPA may come before its target, scale a StatefulSet, and leave the windows and minReplicas to their defaults', () => {
  const loaded = loadSpec(
    `${hpa(`scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}
maxReplicas: 5
metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}`).slice('---\n'.length)}---
${deployment(undefined, '', 'StatefulSet', 'db')}`,
    'k8s.yaml',
  );
  assert.equal(autoscaleOf(loaded, 'Workload/default/db'), { minReplicas: 1, maxReplicas: 5, metrics: [{ cpu: { targetPercent: 50 } }], ...WINDOWS });
});

test("a ContainerResource metric of the target's container is the replica's own", () => {
  const text = (container: string) =>
    deployment() +
    hpa(`${TARGET}
maxReplicas: 4
metrics:
  - type: ContainerResource
    containerResource: {name: cpu, container: ${container}, target: {type: Utilization, averageUtilization: 70}}`);
  assert.equal(autoscaleOf(loadSpec(text('app'), 'k8s.yaml')), { minReplicas: 1, maxReplicas: 4, metrics: [{ cpu: { targetPercent: 70 } }], ...WINDOWS });
  const problems = problemsOf(text('sidecar'));
  assert.equal(linesOf(problems), ['23 spec.metrics.0.containerResource.container']);
  assert.match(problems[0] as string, /has no container sidecar: its container is app/);
});

test("with no metrics, Kubernetes' default: 80% of the cpu request", () => {
  for (const metrics of ['', '\nmetrics: []']) {
    const loaded = loadSpec(deployment() + hpa(`${TARGET}\nmaxReplicas: 3${metrics}`), 'k8s.yaml');
    assert.equal(autoscaleOf(loaded), { minReplicas: 1, maxReplicas: 3, metrics: [{ cpu: { targetPercent: 80 } }], ...WINDOWS });
  }
});

test('autoscaling/v1: targetCPUUtilizationPercentage is the cpu target, 80% when unset; v2 fields are refused', () => {
  const v1 = (rest: string) => deployment() + hpa(`${TARGET}\nminReplicas: 2\nmaxReplicas: 6${rest}`, 'autoscaling/v1');
  assert.equal(autoscaleOf(loadSpec(v1('\ntargetCPUUtilizationPercentage: 65'), 'k8s.yaml')), {
    minReplicas: 2,
    maxReplicas: 6,
    metrics: [{ cpu: { targetPercent: 65 } }],
    ...WINDOWS,
  });
  assert.equal(autoscaleOf(loadSpec(v1(''), 'k8s.yaml')), { minReplicas: 2, maxReplicas: 6, metrics: [{ cpu: { targetPercent: 80 } }], ...WINDOWS });
  const problems = problemsOf(v1('\nmetrics: []\nbehavior: {}'));
  assert.equal(linesOf(problems), ['22 spec.metrics', '23 spec.behavior']);
  assert.match(problems[0] as string, /make it autoscaling\/v2/);
  const v2 = problemsOf(deployment() + hpa(`${TARGET}\nmaxReplicas: 6\ntargetCPUUtilizationPercentage: 65`));
  assert.equal(linesOf(v2), ['21 spec.targetCPUUtilizationPercentage']);
  assert.match(v2[0] as string, /averageUtilization/);
  assert.equal(linesOf(problemsOf(deployment() + hpa(`${TARGET}\nmaxReplicas: 6`, 'autoscaling/v2beta1'))), ['15 apiVersion']);
});

test('an amount instead of a percent, and metrics from a metrics API, are errors at their lines that say what to do', () => {
  const problems = problemsOf(
    deployment() +
      hpa(`${TARGET}
maxReplicas: 10
metrics:
  - type: Resource
    resource: {name: cpu, target: {type: AverageValue, averageValue: 500m}}
  - type: Pods
    pods: {metric: {name: packets-per-second}, target: {type: AverageValue, averageValue: 1k}}
  - type: Object
    object: {metric: {name: requests-per-second}, describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}, target: {type: Value, value: 10k}}
  - type: External
    external: {metric: {name: queue_messages_ready}, target: {type: AverageValue, averageValue: 30}}
  - type: Resource
    resource: {name: ephemeral-storage, target: {type: Utilization, averageUtilization: 50}}
  - type: Resource
    resource: {name: memory, target: {type: Utilization, averageUtilization: 50, averageValue: 1Gi}}
  - type: Resource
    resource: {name: cpu, target: {type: Utilization}}
  - {type: Custom}
  - resource: {name: cpu}`),
  );
  assert.equal(linesOf(problems), [
    '23 spec.metrics.0.resource.target.type',
    '24 spec.metrics.1.type',
    '26 spec.metrics.2.type',
    '28 spec.metrics.3.type',
    '31 spec.metrics.4.resource.name',
    '33 spec.metrics.5.resource.target.averageValue',
    '35 spec.metrics.6.resource.target',
    '36 spec.metrics.7.type',
    '37 spec.metrics.8',
  ]);
  assert.match(problems[0] as string, /percent of the replica's request, not at an amount: use type: Utilization/);
  for (const custom of problems.slice(1, 4))
    assert.match(custom, /reads custom metrics from the replicas themselves.*custom: \{name: <metric>, target: <per replica>, port: <port>, path: \/metrics\}/);
  assert.match(problems[4] as string, /cannot scale on ephemeral-storage/);
  assert.match(problems[6] as string, /needs averageUtilization/);
});

test('behavior: the windows map; policies, selectPolicy Min and a tolerance are dropped with warnings; Disabled is refused', () => {
  const text = (scaleDown: string) =>
    deployment() +
    hpa(`${TARGET}
maxReplicas: 10
behavior:
  scaleUp:
    stabilizationWindowSeconds: 15
    policies: [{type: Percent, value: 100, periodSeconds: 15}]
    selectPolicy: Min
    tolerance: 0.05
  scaleDown:
    ${scaleDown}`);
  const loaded = loadSpec(text('tolerance: 0.1'), 'k8s.yaml');
  assert.equal((autoscaleOf(loaded) as { behavior: unknown }).behavior, { scaleUpWindowSeconds: 15, scaleDownWindowSeconds: 300 });
  assert.equal(warningsOf(loaded), ['24 spec.behavior.scaleUp.policies', '25 spec.behavior.scaleUp.selectPolicy', '26 spec.behavior.scaleUp.tolerance']);
  assert.match(loaded.warnings[0]?.message ?? '', /moves straight to the stabilised count/);
  assert.match(loaded.warnings[2]?.message ?? '', /within 10% of the target/);
  const problems = problemsOf(text('selectPolicy: Disabled'));
  assert.equal(linesOf(problems), ['28 spec.behavior.scaleDown.selectPolicy']);
  assert.match(problems[0] as string, /cannot stop scaling down/);
  assert.equal(linesOf(problemsOf(text('stabilizationWindowSeconds: 60\n    rateLimit: 1'))), ['29 spec.behavior.scaleDown.rateLimit'], 'an unknown field is an error');
});

test('the target must be a Deployment or StatefulSet of the same apply and namespace, and has one autoscaler', () => {
  const missing = problemsOf(deployment() + hpa(`scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\nmaxReplicas: 3`));
  assert.equal(linesOf(missing), ['19 spec.scaleTargetRef.name']);
  assert.match(missing[0] as string, /no Deployment api in namespace default in this apply: .*apply the autoscaler in one file with its Deployment/);

  const daemonSet = deployment(undefined, '', 'DaemonSet', 'agent').replace('  replicas: 2\n', '');
  const daemon = problemsOf(daemonSet + hpa(`scaleTargetRef: {apiVersion: apps/v1, kind: DaemonSet, name: agent}\nmaxReplicas: 3`));
  assert.equal(linesOf(daemon), ['18 spec.scaleTargetRef.kind']);
  assert.match(daemon[0] as string, /a DaemonSet runs one replica a node/);

  const otherNamespace = problemsOf(deployment() + hpa(`${TARGET}\nmaxReplicas: 3`, 'autoscaling/v2', '{name: web, namespace: shop}'));
  assert.equal(linesOf(otherNamespace), ['19 spec.scaleTargetRef.name']);
  assert.match(otherNamespace[0] as string, /is in namespace default, and an autoscaler scales a workload of its own namespace \(shop\)/);

  const wrongKind = problemsOf(deployment() + hpa(`scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: web}\nmaxReplicas: 3`));
  assert.match(wrongKind[0] as string, /web is a Deployment here, not a StatefulSet: set kind: Deployment/);

  const replicaSet = problemsOf(deployment() + hpa(`scaleTargetRef: {apiVersion: apps/v1, kind: ReplicaSet, name: web}\nmaxReplicas: 3`));
  assert.equal(linesOf(replicaSet), ['19 spec.scaleTargetRef.kind']);

  const twice = problemsOf(deployment() + hpa(`${TARGET}\nmaxReplicas: 3`) + hpa(`${TARGET}\nmaxReplicas: 5`, 'autoscaling/v2', '{name: web-again}'));
  assert.equal(linesOf(twice), ['26 spec.scaleTargetRef']);
  assert.match(twice[0] as string, /scaled by the autoscaler web already: one autoscaler per workload/);

  const bare = problemsOf(deployment() + hpa('minReplicas: 1'));
  assert.equal(linesOf(bare), ['18 spec', '18 spec'], 'no scaleTargetRef, no maxReplicas');
  assert.match(bare.join('\n'), /needs a scaleTargetRef/);
  assert.match(bare.join('\n'), /needs maxReplicas/);
});

test('a cpu or memory target without a request is an error at the metric, in Kubernetes terms', () => {
  const problems = problemsOf(
    deployment('{requests: {memory: 64Mi}}') +
      hpa(`${TARGET}
maxReplicas: 3
metrics:
  - type: Resource
    resource: {name: memory, target: {type: Utilization, averageUtilization: 60}}
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}`),
  );
  assert.equal(linesOf(problems), ['24 spec.metrics.1']);
  assert.match(problems[0] as string, /the container of Deployment web requests no cpu: set its resources.requests.cpu/);
  const byDefault = problemsOf(deployment('{requests: {memory: 64Mi}}') + hpa(`${TARGET}\nmaxReplicas: 3`));
  assert.equal(linesOf(byDefault), ['18 spec']);
  assert.match(byDefault[0] as string, /with no metrics Kubernetes aims at 80% of the cpu request/);
});

test("where the request and the limit differ, the percent is converted to Shoal's (of the limit), with a warning", () => {
  const loaded = loadSpec(
    deployment('{requests: {cpu: 100m}, limits: {cpu: 500m}}') +
      hpa(`${TARGET}
maxReplicas: 3
metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}`),
    'k8s.yaml',
  );
  assert.equal((autoscaleOf(loaded) as { metrics: unknown }).metrics, [{ cpu: { targetPercent: 16 } }], '80% of 100m is 16% of 500m');
  assert.equal(warningsOf(loaded), ['13 spec.template.spec.containers.0.resources.requests.cpu', '23 spec.metrics.0.resource.target.averageUtilization']);
  assert.match(loaded.warnings[1]?.message ?? '', /targetPercent 16 aims at the same amount/);
});

test("Shoal's schema refusing the autoscale reports it at the HPA's line, not the Deployment's", () => {
  const problems = problemsOf(
    deployment() +
      hpa(`${TARGET}
minReplicas: 8
maxReplicas: 4
metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 0}}`),
  );
  assert.equal(linesOf(problems), ['20 spec.minReplicas', '24 spec.metrics.0.resource.target.averageUtilization']);
  assert.match(problems[0] as string, /Workload spec.autoscale.minReplicas: minReplicas cannot be above maxReplicas/);
  assert.equal(linesOf(problemsOf(deployment() + hpa(`${TARGET}\nmaxReplicas: 20000`))), ['20 spec.maxReplicas']);
});

test('each translated autoscale field remembers its source path, down to the metric a missing request would be reported at', () => {
  const { objects, diagnostics } = translateKubernetes([
    {
      value: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web', labels: { team: 'a' } },
        spec: {
          scaleTargetRef: { kind: 'Deployment', name: 'web' },
          maxReplicas: 3,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
        },
      },
      path: [0],
    },
    {
      value: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: { replicas: 0, template: { spec: { containers: [{ name: 'a', image: 'a:1', resources: { limits: { cpu: '1' } } }] } } },
      },
      path: [1],
    },
  ]);
  assert.equal(
    diagnostics.map((d) => `${d.severity} ${d.path.join('.')}`),
    ['warning 0.metadata.labels', 'warning 1.spec.replicas'],
    "the HPA's labels go nowhere; Kubernetes would leave a Deployment scaled to 0 alone",
  );
  const [web] = objects;
  assert.ok(web !== undefined && objects.length === 1);
  const at = (...problem: (string | number)[]) => sourcePathOf(web, problem).join('.');
  assert.is(at('spec', 'autoscale', 'metrics', 0, 'cpu'), '0.spec.metrics.0', "Shoal's 'set resources.cpu' lands at the HPA's metric");
  assert.is(at('spec', 'autoscale', 'metrics', 0, 'cpu', 'targetPercent'), '0.spec.metrics.0.resource.target.averageUtilization');
  assert.is(at('spec', 'autoscale', 'metrics'), '0.spec.metrics');
  assert.is(at('spec', 'autoscale', 'minReplicas'), '0.spec', 'minReplicas was not written: the HPA spec');
  assert.is(at('spec', 'autoscale', 'behavior', 'scaleDownWindowSeconds'), '0.spec.behavior.scaleDown.stabilizationWindowSeconds');
  assert.is(at('spec', 'autoscale', 'behavior', 'scaleUpWindowSeconds'), '0.spec.behavior');
  assert.is(at('spec', 'replicas'), '1.spec.replicas', "the workload's own fields keep theirs");
});

test('an HPA with an error writes nothing into its target', () => {
  const { objects } = translateKubernetes([
    { value: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } } }, path: [0] },
    {
      value: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, metrics: [{ type: 'External' }] },
      },
      path: [1],
    },
  ]);
  const [web] = objects;
  assert.ok(web !== undefined, 'the Deployment translates');
  assert.is((web.manifest.spec as Record<string, unknown>).autoscale, undefined);
});

test.run();
