/** One object of the desired state as the API returns it (`GET /v1/objects`, `GET /v1/objects/:kind/:namespace/:name`). */
export interface ObjectJson {
  key: string;
  kind: string;
  namespace: string;
  name: string;
  fields: Record<string, unknown>;
  lastWrite: { wallMs: number; author: string } | null;
}
