import type Dockerode from 'dockerode';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { artifactRefusal, DockerRuntime } from '../../../node/agent/docker-runtime.js';
import type { DesiredReplica } from '../../../protocol/agent/replica.js';

const ID = `sha256:${'7'.repeat(64)}`;

test('a Docker node refuses to start a replica that names an artifact, before it pulls or creates anything', async () => {
  const calls: string[] = [];
  // An engine that records whatever is asked of it.
  const docker = new Proxy({} as Dockerode, {
    get: (_target, name) => {
      calls.push(String(name));
      return () => Promise.reject(new Error(`the engine was asked ${String(name)}`));
    },
  });
  const runtime = new DockerRuntime({ docker, log: pino({ level: 'silent' }) });
  const replica: DesiredReplica = {
    workload: 'Workload/default/app',
    slot: 0,
    epoch: 1,
    specVersion: 'v1',
    spec: { image: 'busybox:1', artifact: ID, command: ['./run.sh'], env: {}, ports: [], restartPolicy: 'always', capabilities: [] },
  };
  const error = await runtime.start(replica, { cluster: 'c', node: 'n' }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(error, 'the start should fail');
  assert.is(error.message, artifactRefusal(ID));
  assert.match(error.message, /artifacts run on the process runtime/);
  assert.match(error.message, /--runtime process/);
  assert.equal(calls, []);
});

test.run();
