import type { OperatorRole } from '../../crdt/index.js';

/** An operator as `GET /v1/operators` and `shoal operator list` show it; `namespaces` null: every one. */
export interface OperatorJson {
  publicKey: string;
  role: OperatorRole;
  namespaces: string[] | null;
  exec: boolean;
}
