import type { ImageFinishRequest, ImagePushJson, ImagePushRequest, ImagesJson } from '../../protocol/api/images.js';
import { stat } from 'node:fs/promises';
import { uploadFile } from '../upload.js';
import type { ObjectJson } from '../../protocol/api/objects.js';
import { imageFields, imageKey, MAX_IMAGE_REFERENCES } from '../../protocol/images/image-record.js';
import { loadOperatorKey } from '../../node/operator-key.js';
import { readApiError } from '../../protocol/api/errors.js';
import { UserError } from '../../node/errors.js';
import { ApiClient, writeOps, type ApiTarget } from '../client.js';
import { table } from '../table.js';
import { formatBytes } from '../bytes.js';

const shortId = (id: string): string => id.slice('sha256:'.length, 'sha256:'.length + 12);
const shortPeer = (peer: string): string => peer.slice(-8);

const bytesOrDash = (bytes: number | undefined): string => (bytes === undefined ? '-' : formatBytes(bytes));

/**
 * `shoal image push IMAGE [--file ARCHIVE]`: the image in the engine of the node the CLI
 * talks to (or a `docker save` archive uploaded to it) becomes the cluster's under that
 * name, in the namespace: the node checks it holds it (or checks and loads the archive)
 * and announces it; the operator's signed Image record says which content the name stands
 * for, so a node that lacks it fetches exactly that from a peer and no other.
 */
export async function pushImage(opts: { image: string; namespace: string; file?: string | undefined; api: ApiTarget; key: string }): Promise<void> {
  const client = new ApiClient(opts.api, opts.key);
  const found = opts.file === undefined ? await fromEngine(client, opts.image, opts.namespace) : await fromFile(client, opts.file, opts.image, opts.namespace);
  const key = imageKey(opts.namespace, found.id);
  const existing = await client.get<ObjectJson>(`/v1/objects/${key}`);
  const before = Array.isArray(existing?.fields.references) ? existing.fields.references.filter((r): r is string => typeof r === 'string') : [];
  // Newest last, so a record at its bound drops its oldest name.
  const references = [...before.filter((r) => r !== opts.image), opts.image].slice(-MAX_IMAGE_REFERENCES);
  await writeOps(client, loadOperatorKey(opts.key), [{ key, set: imageFields({ references, sizeBytes: found.sizeBytes }) }]);
  console.log(`image ${opts.image} pushed into ${opts.namespace} as ${found.id} (${formatBytes(found.sizeBytes)}), from node ${shortPeer(found.node)}`);
}

/** The image as the engine of the CLI's node holds it. */
async function fromEngine(client: ApiClient, image: string, namespace: string): Promise<ImagePushJson> {
  const reply = await client.post<ImagePushJson>('/v1/images/push', { image, namespace } satisfies ImagePushRequest);
  if (reply.status !== 200) {
    const refusal = readApiError(reply.body);
    throw new UserError(`cannot push ${image}: ${refusal.detail ?? refusal.error ?? reply.status}`);
  }
  return reply.body;
}

/** A `docker save` archive from this machine, uploaded to the node, which checks it and loads it into its engine. */
async function fromFile(client: ApiClient, file: string, image: string, namespace: string): Promise<ImagePushJson> {
  let sizeBytes: number;
  try {
    sizeBytes = (await stat(file)).size;
  } catch (e) {
    throw new UserError(`cannot read --file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const finish: ImageFinishRequest = { kind: 'image', image, namespace };
  const finished = await uploadFile(client, file, sizeBytes, finish, `the image archive ${file}`);
  return { id: finished.id, sizeBytes: finished.sizeBytes, node: finished.node };
}

/**
 * `shoal get images`: each image the cluster refers to and each artifact (one a workload
 * names, or the node asked holds), by KIND: its names (for an artifact, the workloads
 * that name it), size, the nodes that hold it, and what this node served of it; then
 * this node's transfers.
 */
export async function getImages(opts: { output: string; api: ApiTarget; key: string }): Promise<void> {
  const images = await new ApiClient(opts.api, opts.key).get<ImagesJson>('/v1/images');
  if (images === undefined) return;
  if (opts.output === 'json') {
    console.log(JSON.stringify(images, null, 2));
    return;
  }
  const heldBy = (holders: readonly string[]): string => (holders.length === 0 ? '-' : `${holders.length}: ${holders.map(shortPeer).join(' ')}`);
  const rows = [
    ...images.images.map((i) => [
      'image',
      shortId(i.id),
      i.references.join(', ') || '(by digest)',
      bytesOrDash(i.sizeBytes),
      heldBy(i.holders),
      bytesOrDash(images.servedBytes[i.id]),
    ]),
    // A node older than artifacts in this listing sends none.
    ...(images.artifacts ?? []).map((a) => [
      'artifact',
      shortId(a.id),
      a.workloads.join(', ') || '(named by no workload)',
      bytesOrDash(a.sizeBytes),
      heldBy(a.holders),
      bytesOrDash(images.servedBytes[a.id]),
    ]),
  ];
  console.log(table(['KIND', 'ID', 'REFERENCES', 'SIZE', 'HELD BY', 'SERVED HERE'], rows));
  for (const t of images.transfers) {
    const progress = t.sizeBytes === undefined ? 'starting' : `${formatBytes(t.receivedBytes)} of ${formatBytes(t.sizeBytes)}`;
    console.log(`fetching ${t.kind} ${shortId(t.id)} from ${t.provider === undefined ? '?' : shortPeer(t.provider)}: ${progress} (try ${t.attempts})`);
  }
}
