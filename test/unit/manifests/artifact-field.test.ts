import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadManifests, SpecError } from '../../../cli/spec-file.js';
import { containerSpecOf, specVersionOf } from '../../../protocol/manifests/container.js';

const ID = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;

const workload = (artifact?: string): string => `apiVersion: shoal/v1
kind: Workload
metadata: {name: app}
spec:
  image: ignored:1
${artifact === undefined ? '' : `  artifact: ${artifact}\n`}  command: [./run.sh]
`;

const problems = (text: string): string => {
  try {
    loadManifests(text, 'app.yaml');
  } catch (e) {
    if (e instanceof SpecError) return e.message;
    throw e;
  }
  return '';
};

test('spec.artifact reaches the container spec, and a new artifact is a new revision', () => {
  const [withArtifact] = loadManifests(workload(ID), 'app.yaml');
  const [withOther] = loadManifests(workload(OTHER), 'app.yaml');
  const [without] = loadManifests(workload(), 'app.yaml');
  assert.is(withArtifact?.fields['spec.artifact'], ID);
  assert.is(containerSpecOf(withArtifact?.fields ?? {}).artifact, ID);
  assert.is(containerSpecOf(without?.fields ?? {}).artifact, undefined);
  const versions = new Set([withArtifact, withOther, without].map((m) => specVersionOf(m?.fields ?? {})));
  assert.is(versions.size, 3);
});

test('a workload without an artifact keeps the spec version it had before the field existed: no replica is replaced', () => {
  const [without] = loadManifests(workload(), 'app.yaml');
  // specVersionOf of these fields before spec.artifact was a container field.
  assert.is(specVersionOf(without?.fields ?? {}), '7d74dbcb6559');
});

test('an artifact that is not sha256 and 64 lower-case hex digits is refused, naming spec.artifact and its line', () => {
  for (const bad of ['sha256:abc', `sha512:${'ab'.repeat(32)}`, `sha256:${'AB'.repeat(32)}`, 'app.tar', `${ID}x`]) {
    assert.match(problems(workload(bad)), /app\.yaml:6:\d+: spec\.artifact: an artifact id as `shoal artifact push` prints it/, bad);
  }
});

test('Jobs and CronJobs take an artifact as workloads do', () => {
  const job = `apiVersion: shoal/v1
kind: Job
metadata: {name: batch}
spec:
  image: ignored:1
  artifact: ${ID}
  command: [./run.sh]
`;
  assert.is(loadManifests(job, 'job.yaml')[0]?.fields['spec.artifact'], ID);
  const cron = job.replace('kind: Job', 'kind: CronJob').replace('  command:', '  schedule: "*/5 * * * *"\n  command:');
  assert.is(loadManifests(cron, 'cron.yaml')[0]?.fields['spec.artifact'], ID);
  assert.match(problems(job.replace(ID, 'nope')), /spec\.artifact/);
});

const noImage = (kind: string, artifact: boolean): string => `apiVersion: shoal/v1
kind: ${kind}
metadata: {name: app}
spec:
${artifact ? `  artifact: ${ID}\n` : ''}${kind === 'CronJob' ? '  schedule: "*/5 * * * *"\n' : ''}  command: [./run.sh]
`;

test('a spec that names an artifact needs no image: none is written, and the process runtime is given none', () => {
  for (const kind of ['Workload', 'Job', 'CronJob']) {
    const [manifest] = loadManifests(noImage(kind, true), 'app.yaml');
    assert.is(manifest?.fields['spec.artifact'], ID, kind);
    assert.not.ok('spec.image' in (manifest?.fields ?? {}), kind);
    assert.is(containerSpecOf(manifest?.fields ?? {}).image, '', kind);
  }
});

test('a spec with neither an image nor an artifact is refused at spec.image, on the line of spec', () => {
  for (const kind of ['Workload', 'Job', 'CronJob']) {
    assert.match(problems(noImage(kind, false)), /^app\.yaml:4:1: spec\.image: a replica runs an image, or an artifact on the process runtime/, kind);
  }
});

test('an artifact field written past the CLI is kept as text, for the runtime to refuse, not dropped', () => {
  assert.is(containerSpecOf({ 'spec.image': 'x', 'spec.artifact': '../../etc' }).artifact, '../../etc');
  assert.is(containerSpecOf({ 'spec.image': 'x', 'spec.artifact': 42 }).artifact, '42');
});

test.run();
