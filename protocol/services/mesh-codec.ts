import { z } from 'zod';
import { decodeJson, type JsonDecodeError } from '../../base/json-decode.js';
import { MAX_NESTING_DEPTH } from '../../base/limits.js';
import type { Result } from '../../base/result.js';

/**
 * A mesh stream (node/services/mesh.ts) opens with one request frame, answered by one
 * header frame (`{}` or `{"error":...}`); after `{}` it carries the connection's bytes
 * both ways, or for UDP one datagram per frame. The request names a replica of a service,
 * never an address: the node that runs the replica finds where it answers, so a peer
 * cannot use it to reach anything else.
 */
export const MAX_MESH_REQUEST_BYTES = 1024;
const MAX_ERROR_CHARS = 512;

const request = z.strictObject({
  service: z.string().max(128),
  port: z.number().int().min(1).max(65535),
  /** udp: after the header, each frame both ways is one datagram. */
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  workload: z.string().max(512),
  slot: z.number().int().min(0),
  epoch: z.number().int().min(0),
});
const header = z.strictObject({ error: z.string().max(MAX_ERROR_CHARS).optional() });

export type MeshRequest = z.input<typeof request>;
export type DecodedMeshRequest = z.output<typeof request>;
export type MeshHeader = z.output<typeof header>;

const utf8 = new TextEncoder();

export const encodeMeshRequest = (r: MeshRequest): Uint8Array => utf8.encode(JSON.stringify(r));

export const decodeMeshRequest = (bytes: Uint8Array): Result<DecodedMeshRequest, JsonDecodeError> =>
  decodeJson(bytes, request, { maxBytes: MAX_MESH_REQUEST_BYTES, maxDepth: MAX_NESTING_DEPTH });

export const encodeMeshHeader = (h: MeshHeader): Uint8Array => utf8.encode(JSON.stringify(h.error === undefined ? {} : { error: h.error.slice(0, MAX_ERROR_CHARS) }));

export const decodeMeshHeader = (bytes: Uint8Array): Result<MeshHeader, JsonDecodeError> =>
  decodeJson(bytes, header, { maxBytes: MAX_MESH_REQUEST_BYTES, maxDepth: MAX_NESTING_DEPTH });
