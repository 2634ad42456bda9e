import type { MemberId } from './member.js';

/**
 * Interns member ids as dense integers so a node's member table is a handful of typed
 * arrays rather than one object per member: 10,000 simulated nodes that each know
 * 10,000 members fit in memory only this way. The simulator shares one directory
 * among its nodes; it holds names, never membership state.
 */
export class MemberDirectory {
  private readonly indexes = new Map<MemberId, number>();
  private readonly ids: MemberId[] = [];

  intern(id: MemberId): number {
    let index = this.indexes.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.ids.push(id);
      this.indexes.set(id, index);
    }
    return index;
  }

  lookup(id: MemberId): number | undefined {
    return this.indexes.get(id);
  }

  id(index: number): MemberId {
    const id = this.ids[index];
    if (id === undefined) throw new RangeError(`no member at index ${index}`);
    return id;
  }

  get size(): number {
    return this.ids.length;
  }
}
