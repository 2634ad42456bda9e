import { compareHlc, type Hlc } from './hlc.js';

/**
 * Orders every write in the cluster: hybrid logical clock, then author, then the
 * delta's id, so even two deltas one author stamped alike (two terminals, or an
 * equivocation) resolve the same way on every replica.
 */
export interface Stamp {
  hlc: Hlc;
  author: string;
  id: string;
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareStamp(a: Stamp, b: Stamp): number {
  return compareHlc(a.hlc, b.hlc) || compareText(a.author, b.author) || compareText(a.id, b.id);
}

export const maxStamp = (a: Stamp | undefined, b: Stamp): Stamp => (a === undefined || compareStamp(b, a) > 0 ? b : a);
