import { z } from 'zod';
import { NAME } from './workload.js';

/** Kubernetes' Secret shape: `data` holds base64, `stringData` plain text; either way a value never leaves a node unsealed. */
export const SECRET_KEY = /^[-._a-zA-Z0-9]{1,100}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const name = z.string().regex(NAME, 'must be lower-case letters, digits and -, at most 63, starting and ending with a letter or digit');
const key = z.string().regex(SECRET_KEY, 'secret keys are letters, digits, - _ and .');

export const secretSchema = z
  .strictObject({
    apiVersion: z.literal('shoal/v1'),
    kind: z.literal('Secret'),
    metadata: z.strictObject({ name, namespace: name.default('default') }),
    data: z.record(key, z.string().regex(BASE64, 'expected base64')).optional(),
    stringData: z.record(key, z.string()).optional(),
  })
  .refine((s) => Object.keys({ ...s.data, ...s.stringData }).length > 0, 'a secret holds at least one key in data or stringData');

export type Secret = z.infer<typeof secretSchema>;

export const secretKey = (namespace: string, secretName: string): string => `Secret/${namespace}/${secretName}`;
export const secretField = (key: string): string => `data.${key}`;

/** Every value as base64 of its bytes; stringData wins over data, as in Kubernetes. */
export function secretValues(secret: Secret): Record<string, string> {
  const out: Record<string, string> = { ...secret.data };
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = Buffer.from(v, 'utf8').toString('base64');
  return out;
}
