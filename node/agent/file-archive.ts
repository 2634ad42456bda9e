import { pack } from 'tar-stream';
import type { ContainerSpec } from '../../protocol/agent/replica.js';

/** The spec's files as a tar archive to unpack at `/`, parent directories included, as the engine's archive API takes them. */
export async function filesArchive(files: NonNullable<ContainerSpec['files']>): Promise<Buffer> {
  const archive = pack();
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.path.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      archive.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
    }
    archive.entry({ name: parts.join('/'), mode: file.mode }, Buffer.from(file.content, 'base64'));
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
