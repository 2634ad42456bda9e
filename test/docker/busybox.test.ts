import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();
const it = docker === null ? test.skip : test;

it('an image built from the host\'s busybox runs a container with no registry', async () => {
  const image = await ensureBusyboxImage(docker!);
  const container = await docker!.createContainer({
    Image: image,
    Cmd: ['sh', '-c', 'echo hello-shoal'],
    Labels: { 'shoal.test': '1' },
    HostConfig: { Init: true, NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    assert.is(StatusCode, 0);
    const logs = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    assert.match(logs.toString('utf8'), 'hello-shoal');
  } finally {
    await container.remove({ force: true });
  }
});

test.run();
