import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSpec, SpecError, type LoadedSpec } from '../../../cli/spec-file.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../../protocol/manifests/foreign/capabilities.js';
import { translateKubernetes } from '../../../protocol/manifests/foreign/kubernetes/index.js';

const GUESTBOOK = readFileSync(new URL('../../manifests/guestbook.yaml', import.meta.url), 'utf8');

const documentOf = (loaded: LoadedSpec, kind: string, name: string): Record<string, unknown> => {
  const found = loaded.documents.find((d) => d.kind === kind && (d.metadata as { name: string }).name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} among ${loaded.documents.map((d) => `${String(d.kind)}/${(d.metadata as { name: string }).name}`).join(', ')}`);
  return found;
};

const fieldsOf = (loaded: LoadedSpec, key: string): Record<string, unknown> => {
  const manifest = loaded.manifests.find((m) => m.key === key);
  if (manifest === undefined) throw new Error(`no ${key}`);
  return manifest.fields;
};

/** The problems a SpecError lists, as `line field: message`. */
function problemsOf(text: string, strict = false): string[] {
  try {
    loadSpec(text, 'k8s.yaml', { strict });
  } catch (e) {
    if (e instanceof SpecError) return e.problems.map((p) => `${p.line} ${p.field}: ${p.message}`);
    throw e;
  }
  throw new Error('the file loaded without a problem');
}

const deployment = (pod: string, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 4${extra}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
${pod
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
`;

test('the guestbook becomes Shoal workloads, services and secrets, with what it dropped as warnings at their lines', () => {
  const loaded = loadSpec(GUESTBOOK, 'guestbook.yaml');
  assert.equal(loaded.manifests.map((m) => m.key).sort(), [
    'Secret/default/frontend-config',
    'Secret/default/guestbook-admin',
    'Service/default/frontend',
    'Service/default/redis-leader',
    'Workload/default/frontend',
    'Workload/default/node-agent',
    'Workload/default/redis-leader',
  ]);
  const leader = fieldsOf(loaded, 'Workload/default/redis-leader');
  assert.equal(leader['metadata.labels'], { app: 'redis', role: 'leader', tier: 'backend' });
  assert.equal(leader['spec.command'], ['node']);
  assert.equal(leader['spec.ports'], [{ containerPort: 6379, protocol: 'tcp' }]);
  assert.equal(leader['spec.resources'], { cpu: '100m', memory: '100Mi' });
  assert.equal(leader['spec.capabilities'], [...DOCKER_DEFAULT_CAPABILITIES], "a pod's container holds what Docker grants by default");
  assert.equal(fieldsOf(loaded, 'Service/default/redis-leader')['spec.ports'], [{ port: 6379, targetPort: 6379, protocol: 'tcp' }], 'the named targetPort is the container port');

  const frontend = fieldsOf(loaded, 'Workload/default/frontend');
  assert.is(frontend['spec.replicas'], 3);
  assert.equal(
    frontend['spec.autoscale'],
    { minReplicas: 3, maxReplicas: 6, metrics: [{ cpu: { targetPercent: 80 } }], behavior: { scaleUpWindowSeconds: 0, scaleDownWindowSeconds: 300 } },
    'its HorizontalPodAutoscaler, which is no object of its own',
  );
  assert.equal(frontend['spec.env'], [
    { name: 'GREETING', valueFrom: { secretKeyRef: { name: 'frontend-config', key: 'GREETING' } } },
    { name: 'GET_HOSTS_FROM', valueFrom: { secretKeyRef: { name: 'frontend-config', key: 'GET_HOSTS_FROM' } } },
    { name: 'ADMIN_USER', valueFrom: { secretKeyRef: { name: 'guestbook-admin', key: 'user' } } },
  ]);
  assert.equal((frontend['spec.readinessProbe'] as { http: unknown }).http, { path: '/healthz', port: 8080 });
  assert.equal(frontend['spec.rollout'], { maxUnavailable: 0, maxSurge: 1, progressDeadlineSeconds: 600 }, "Kubernetes' 25%/25% of 3 replicas");
  assert.equal(fieldsOf(loaded, 'Service/default/frontend')['spec.ports'], [{ port: 80, targetPort: 8080, protocol: 'tcp', publish: { port: 30080 } }]);
  assert.is(fieldsOf(loaded, 'Workload/default/node-agent')['spec.mode'], 'global');
  assert.equal(documentOf(loaded, 'Secret', 'frontend-config').stringData, { GREETING: 'Welcome to the guestbook', GET_HOSTS_FROM: 'env' });

  assert.equal(
    loaded.warnings.map((w) => `${w.line} ${w.field}`),
    ['29 spec.template.spec.containers.0.imagePullPolicy', '173 spec.template.spec.tolerations'],
  );
  assert.match(loaded.warnings[0]?.message ?? '', /runs the image the node holds/);
});

test('a field Shoal cannot honour is an error at its line, with what to do; nothing loads', () => {
  const problems = problemsOf(
    deployment(`hostNetwork: true
containers:
  - name: app
    image: app:1
    volumeMounts: [{name: data, mountPath: /data}]
  - name: sidecar
    image: proxy:1
volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}`),
  );
  assert.equal(
    problems.map((p) => p.split(':')[0]),
    ['13 spec.template.spec.hostNetwork', '18 spec.template.spec.containers.1', '22 spec.template.spec.volumes.0.persistentVolumeClaim'],
  );
  assert.match(problems[0] as string, /publish the port through a Service/);
  assert.match(problems[1] as string, /one container per replica/);
  assert.match(problems[2] as string, /provides no volumes/);
});

test('an unknown field, an unknown kind and a wrong apiVersion are errors, not silence', () => {
  const problems = problemsOf(`${deployment(`containers: [{name: a, image: a:1, shinyNewField: true}]`)}---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old}
`);
  assert.equal(
    problems.map((p) => p.split(':')[0]),
    ['13 spec.template.spec.containers.0.shinyNewField', '16 kind', '19 apiVersion'],
  );
  assert.match(problems[1] as string, /cannot apply a Kubernetes Ingress/);
});

test('--strict refuses what would only be dropped', () => {
  const text = deployment(`containers: [{name: a, image: a:1, imagePullPolicy: Always}]`);
  assert.is(loadSpec(text, 'k8s.yaml').warnings.length, 1);
  assert.equal(
    problemsOf(text, true).map((p) => p.split(':')[0]),
    ['13 spec.template.spec.containers.0.imagePullPolicy'],
  );
});

test("a translated value Shoal's schema refuses is reported at its source line", () => {
  const problems = problemsOf(deployment(`containers: [{name: a, image: a:1, resources: {limits: {cpu: lots}}}]`).replace('name: web', 'name: Web.App'));
  assert.equal(
    problems.map((p) => p.split(':')[0]),
    ['4 metadata.name', '13 spec.template.spec.containers.0.resources.limits.cpu'],
  );
});

test('securityContext capabilities add to and drop from what Docker grants by default', () => {
  const capabilities = (security: string) =>
    fieldsOf(loadSpec(deployment(`containers: [{name: a, image: a:1, securityContext: ${security}}]`), 'k8s.yaml'), 'Workload/default/web')['spec.capabilities'];
  assert.equal(capabilities('{capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}'), ['NET_BIND_SERVICE']);
  assert.equal(
    capabilities('{capabilities: {add: [CAP_NET_ADMIN], drop: [NET_RAW]}, allowPrivilegeEscalation: false}'),
    [...DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'NET_RAW'), 'NET_ADMIN'].sort(),
  );
  assert.equal(
    problemsOf(deployment(`containers: [{name: a, image: a:1, securityContext: {privileged: true}}]`)).map((p) => p.split(':')[0]),
    ['13 spec.template.spec.containers.0.securityContext.privileged'],
  );
});

test('rollout bounds follow Kubernetes: percentages of the replicas, Recreate as all at once', () => {
  const rollout = (strategy: string) => {
    const loaded = loadSpec(deployment(`containers: [{name: a, image: a:1}]`, `\n  strategy: ${strategy}`), 'k8s.yaml');
    return fieldsOf(loaded, 'Workload/default/web')['spec.rollout'];
  };
  assert.equal(rollout('{rollingUpdate: {maxSurge: 50%, maxUnavailable: 30%}}'), { maxUnavailable: 1, maxSurge: 2, progressDeadlineSeconds: 600 });
  assert.equal(rollout('{rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}'), { maxUnavailable: 1, maxSurge: 0, progressDeadlineSeconds: 600 }, 'never both 0');
  assert.equal(rollout('{type: Recreate}'), { maxUnavailable: 4, maxSurge: 0, progressDeadlineSeconds: 600 });
});

test('node selection becomes placement: nodeSelector and node affinity as constraints, anti-affinity per host as one per node', () => {
  const loaded = loadSpec(
    deployment(`nodeSelector: {disk: ssd}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - {key: zone, operator: In, values: [eu-1, eu-2]}
            - {key: arch, operator: NotIn, values: [arm]}
            - {key: gpu, operator: Exists}
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: web}}
        topologyKey: kubernetes.io/hostname
containers: [{name: a, image: a:1}]`),
    'k8s.yaml',
  );
  assert.equal(fieldsOf(loaded, 'Workload/default/web')['spec.placement'], {
    constraints: [
      { key: 'disk', operator: '==', value: 'ssd' },
      { key: 'zone', operator: 'in', values: ['eu-1', 'eu-2'] },
      { key: 'arch', operator: '!=', value: 'arm' },
      { key: 'gpu', operator: 'exists' },
    ],
    maxPerNode: 1,
  });
  const problems = problemsOf(
    deployment(`affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution: []
containers: [{name: a, image: a:1}]`),
  );
  assert.equal(
    problems.map((p) => p.split(':')[0]),
    ['14 spec.template.spec.affinity.podAffinity'],
  );
});

test('Jobs and CronJobs keep their counts, limits, schedule and restart policy; a CronJob of several runs a tick is refused', () => {
  const loaded = loadSpec(
    `apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 5
  parallelism: 2
  backoffLimit: 4
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: pi, image: perl:5.34, command: [perl, -e, print 1]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: hello, image: busybox, args: [date]}]
`,
    'jobs.yaml',
  );
  const job = fieldsOf(loaded, 'Job/default/pi');
  assert.equal([job['spec.completions'], job['spec.parallelism'], job['spec.backoffLimit'], job['spec.restartPolicy']], [5, 2, 4, 'on-failure']);
  const cron = fieldsOf(loaded, 'CronJob/default/hello');
  assert.equal([cron['spec.schedule'], cron['spec.restartPolicy'], cron['spec.args']], ['*/5 * * * *', 'never', ['date']]);
  const problems = problemsOf(`apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "@hourly"
  jobTemplate:
    spec:
      completions: 3
      template:
        spec:
          restartPolicy: Always
          containers: [{name: hello, image: busybox}]
`);
  assert.equal(
    problems.map((p) => p.split(':')[0]),
    ['8 spec.jobTemplate.spec.completions', '11 spec.jobTemplate.spec.template.spec.restartPolicy'],
  );
});

test('a StatefulSet never runs a replica twice and rolls one at a time; its volume claims are refused', () => {
  const text = (claims: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: db:1}]${claims}
`;
  const db = fieldsOf(loadSpec(text(''), 'db.yaml'), 'Workload/default/db');
  assert.equal(
    [db['spec.replicas'], db['spec.partitionPolicy'], db['spec.rollout']],
    [3, 'majority', { maxUnavailable: 1, maxSurge: 0, progressDeadlineSeconds: 120 }],
    "Shoal's own deadline: a StatefulSet has none",
  );
  assert.equal(
    problemsOf(text('\n  volumeClaimTemplates: [{metadata: {name: data}}]')).map((p) => p.split(':')[0]),
    ['12 spec.volumeClaimTemplates'],
  );
});

test('envFrom needs its ConfigMap in the same apply, and a named targetPort a workload that names it', () => {
  const problems = problemsOf(`${deployment(`containers: [{name: a, image: a:1, envFrom: [{configMapRef: {name: elsewhere}}]}]`)}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`);
  assert.equal(
    problems.map((p) => p.split(':')[0]),
    ['13 spec.template.spec.containers.0.envFrom.0.configMapRef', '20 spec.ports.0.targetPort'],
  );
});

test('a List is its items, and kinds that mean nothing to Shoal are skipped with a warning', () => {
  const { objects, diagnostics } = translateKubernetes([
    {
      value: {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } },
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' }, data: { key: 'c2VjcmV0' } },
        ],
      },
      path: [0],
    },
  ]);
  assert.equal(
    objects.map((o) => o.manifest),
    [{ apiVersion: 'shoal/v1', kind: 'Secret', metadata: { name: 'token', namespace: 'default' }, data: { key: 'c2VjcmV0' } }],
  );
  assert.equal(
    diagnostics.map((d) => [d.severity, d.path.join('.')]),
    [['warning', '0.items.0.kind']],
  );
});

test.run();
