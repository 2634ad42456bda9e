import type Dockerode from 'dockerode';
import { ensureBusyboxImage } from './busybox-image.js';

/**
 * busybox plus a `/marker` file holding `marker` and `fillerBytes` of noise, committed in
 * `engine` as `reference`: an image whose layer nothing else shares (the marker tells two
 * small ones apart), of a size a transfer test or bench chooses. Returns its id.
 */
export async function noiseImage(engine: Dockerode, reference: string, marker: string, fillerBytes = 0): Promise<string> {
  const base = await ensureBusyboxImage(engine);
  const container = await engine.createContainer({
    Image: base,
    Cmd: ['sh', '-c', `echo ${marker} > /marker; head -c ${fillerBytes} /dev/urandom > /filler`],
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    await container.wait();
    const [repo, tag] = reference.split(':');
    await container.commit({ repo, tag });
  } finally {
    await container.remove({ force: true });
  }
  return (await engine.getImage(reference).inspect()).Id;
}
