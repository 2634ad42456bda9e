import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { mayDeployIn, NAMESPACE } from '../../crdt/roles.js';
import type { ApiErrorBody } from '../../protocol/api/errors.js';
import type { ImageJson, ImagePushJson, ImagesJson } from '../../protocol/api/images.js';
import { imageHoldings } from '../../protocol/images/holders.js';
import { imageRecords, referencedImageIds } from '../../protocol/images/image-record.js';
import { parseImageReference } from '../../protocol/images/reference.js';
import type { ContentService } from '../content/content-service.js';
import type { DockerImageStore } from '../images/docker-image-store.js';
import type { StateService } from '../state-service.js';
import { inspectArchive } from '../images/image-archive.js';
import { UploadFinishRefusal, type UploadFinisher } from './uploads.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { artifactsListing } from './artifacts-listing.js';

const pushBody = z.strictObject({ image: z.string().min(1).max(512), namespace: z.string().regex(NAMESPACE) });
const finishBody = pushBody.extend({ kind: z.literal('image') });

const firstIssue = (error: z.ZodError): string => `${error.issues[0]?.path.join('.') || 'body'}: ${error.issues[0]?.message ?? 'invalid'}`;

export interface ImageRoutesContext {
  state: StateService;
  content: ContentService;
  /** Undefined on a node without a Docker engine. */
  images: DockerImageStore | undefined;
  /** The process runtime's artifacts, listed beside the images; every node keeps them. */
  artifacts?: ArtifactStore | undefined;
  node: string;
}

/**
 * `GET /v1/images`: the images the cluster refers to, who holds each, the artifacts
 * workloads name or this node holds, and this node's transfers; `POST /v1/images/push`: an image in this node's engine, made known to the
 * cluster (the CLI writes its Image record, signed by its operator).
 */
export function registerImageRoutes(app: FastifyInstance, context: ImageRoutesContext): void {
  app.get('/v1/images', async (): Promise<ImagesJson> => {
    const document = context.state.replica.document;
    const holdings = imageHoldings(document);
    const byId = new Map<string, ImageJson>();
    const entry = (id: string): ImageJson => {
      let image = byId.get(id);
      if (image === undefined) {
        image = { id, references: [], sizeBytes: undefined, holders: [...holdings].flatMap(([node, ids]) => (ids.has(id) ? [node] : [])).sort() };
        byId.set(id, image);
      }
      return image;
    };
    for (const record of imageRecords(document)) {
      const image = entry(record.id);
      image.references.push(...record.references.map((r) => `${record.namespace}/${r}`));
      image.sizeBytes = record.sizeBytes;
    }
    for (const id of referencedImageIds(document)) entry(id);
    return {
      node: context.node,
      images: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
      ...(context.artifacts === undefined ? {} : { artifacts: await artifactsListing(document, context.artifacts, context.content) }),
      transfers: context.content.transfersInProgress(),
      servedBytes: Object.fromEntries(context.content.serving?.servedBytesById ?? []),
    };
  });

  app.post('/v1/images/push', async (request, reply) => {
    const parsed = pushBody.safeParse(request.body);
    const reference = parsed.success ? parseImageReference(parsed.data.image) : undefined;
    if (!parsed.success || reference?.ok !== true) {
      const detail = parsed.success ? `image: ${reference?.ok === false ? reference.error : 'invalid'}` : firstIssue(parsed.error);
      return reply.code(400).send({ error: 'bad-request', detail } satisfies ApiErrorBody);
    }
    const { image, namespace } = parsed.data;
    const grant = request.caller?.grant;
    if (grant === undefined || !mayDeployIn(grant, namespace)) {
      return reply.code(403).send({ error: 'forbidden', detail: `pushing an image into ${namespace} needs a deployer of that namespace` } satisfies ApiErrorBody);
    }
    if (context.images === undefined) {
      return reply
        .code(404)
        .send({ error: 'not-found', detail: `node ${context.node} runs replicas as processes: it has no Docker engine to push ${image} from` } satisfies ApiErrorBody);
    }
    const found = await context.images.inspect(image);
    if (found === undefined) {
      return reply.code(404).send({
        error: 'not-found',
        detail: `the Docker engine of node ${context.node} holds no image ${image}: load it there (docker load), or push from the node that has it`,
      } satisfies ApiErrorBody);
    }
    context.content.announce();
    return { id: found.id, sizeBytes: found.sizeBytes, node: context.node } satisfies ImagePushJson;
  });
}

/**
 * `POST /v1/uploads/:upload/finish` with `{ kind: 'image', image, namespace }` (`shoal
 * image push --file`): the uploaded `docker save` archive is checked by content, as one
 * from a peer is, its id learnt from it, and loaded without its tags; the node announces
 * it, and the CLI writes the Image record naming it `image` in `namespace`.
 */
export function imageFinisher(context: ImageRoutesContext): UploadFinisher {
  return async ({ path, caller, body }) => {
    const parsed = finishBody.safeParse(body);
    if (!parsed.success) throw new UploadFinishRefusal(400, 'bad-request', firstIssue(parsed.error));
    const reference = parseImageReference(parsed.data.image);
    if (!reference.ok) throw new UploadFinishRefusal(400, 'bad-request', `image: ${reference.error}`);
    if (!mayDeployIn(caller.grant, parsed.data.namespace))
      throw new UploadFinishRefusal(403, 'forbidden', `pushing an image into ${parsed.data.namespace} needs a deployer of that namespace`);
    if (context.images === undefined)
      throw new UploadFinishRefusal(404, 'not-found', `node ${context.node} runs replicas as processes: it has no Docker engine to load an image into`);
    const { id } = await inspectArchive(path);
    if (!(await context.images.has(id))) await context.images.accept(id, path);
    const loaded = await context.images.inspect(id);
    context.content.announce();
    return { id, sizeBytes: loaded?.sizeBytes ?? 0 };
  };
}
