import { peerIdOfPublicKey } from '../base/peer-id.js';

/** Peer ids of Ed25519 keys, cached: every node write needs its author's. */
export class PeerIds {
  private readonly ids = new Map<string, string | undefined>();

  of(author: string): string | undefined {
    if (!this.ids.has(author)) {
      let id: string | undefined;
      try {
        id = peerIdOfPublicKey(author);
      } catch {
        id = undefined;
      }
      this.ids.set(author, id);
    }
    return this.ids.get(author);
  }
}
