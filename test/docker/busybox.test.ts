import type Dockerode from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureBusyboxImage } from '../../testnet/images/busybox-image.js';
import { dockerOrSkip } from './engine.js';

const docker = await dockerOrSkip();

// Without a TTY the engine multiplexes stdout and stderr, each frame behind an 8-byte
// header: [stream, 0, 0, 0, length (uint32 BE)].
function demux(raw: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let at = 0; at + 8 <= raw.length; ) {
    const length = raw.readUInt32BE(at + 4);
    const text = raw.subarray(at + 8, at + 8 + length).toString('utf8');
    if (raw[at] === 2) out.stderr += text;
    else out.stdout += text;
    at += 8 + length;
  }
  return out;
}

async function runOnce(engine: Dockerode, image: string, cmd: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const container = await engine.createContainer({
    Image: image,
    Cmd: cmd,
    Labels: { 'shoal.test': '1' },
    // A shell as PID 1 ignores SIGTERM; Init lets a forced removal end it at once. No
    // network: the default docker0 bridge may be missing where several engines run.
    HostConfig: { Init: true, NetworkMode: 'none', AutoRemove: false },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    return { status: StatusCode, ...demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

(docker === null ? test.skip : test)("an image built from the host's busybox runs a container with no registry", async () => {
  const engine = docker as Dockerode;
  const image = await ensureBusyboxImage(engine);
  const run = await runOnce(engine, image, ['sh', '-c', 'echo hello-shoal']);
  assert.equal(run, { status: 0, stdout: 'hello-shoal\n', stderr: '' });
});

test.run();
