import type { Logger } from 'pino';
import type { ClusterDocument } from '../../crdt/document.js';
import { heldImagesField, heldImagesOf, IMAGE_HOLDERS_KEY, imageHoldersField, MAX_HELD_IMAGES } from '../../protocol/images/holders.js';
import { referencedImageIds } from '../../protocol/images/image-record.js';
import type { ContentStore } from '../content/content-store.js';
import type { NodeWriter } from '../node-writer.js';
import type { StateService } from '../state-service.js';
import { onceATurn } from '../once-a-turn.js';

/** How often the node compares what it holds with what its field in the document says. */
const INTERVAL_MS = 15_000;

/**
 * Writes this node's field of the image holders object (protocol/images/holders.ts): the
 * images the cluster refers to that the engine holds, so the auction can prefer holders
 * and `shoal get images` can say who has what. Written only when it changes.
 */
export class ImageHoldings {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The ids the document refers to, sorted and joined, as the last look at a change found them. */
  private referenced = '';

  constructor(
    private readonly options: {
      store: Pick<ContentStore, 'list'>;
      state: Pick<StateService, 'replica' | 'onChange'>;
      writer: Pick<NodeWriter, 'write'>;
      node: string;
      log: Logger;
    },
  ) {}

  start(): void {
    this.referenced = referencedKey(this.options.state.replica.document);
    this.options.state.onChange(() => this.documentChanged());
    this.kick();
    this.timer = setInterval(() => this.kick(), INTERVAL_MS);
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    return this.running;
  }

  /** Compares now: after a transfer, or when the document changed what it refers to. */
  kick(): void {
    if (this.stopped) return;
    this.running = this.running.then(() => this.publish()).catch((e) => this.options.log.warn({ err: e }, 'publishing image holdings failed'));
  }

  /**
   * What the cluster refers to changed (an image pushed, a workload naming another):
   * compared at once, not at the next interval, so the cluster lists this node among
   * the holders as soon as it can. Most changes are statuses and decisions: the engine
   * is listed only when the set of ids changed, and a burst of merges (anti-entropy) is
   * looked at once.
   */
  private readonly lookAtReferences = onceATurn(() => {
    const referenced = referencedKey(this.options.state.replica.document);
    if (referenced === this.referenced) return;
    this.referenced = referenced;
    this.kick();
  });

  private documentChanged(): void {
    if (!this.stopped) this.lookAtReferences();
  }

  private async publish(): Promise<void> {
    const { store, state, writer, node } = this.options;
    const document = state.replica.document;
    const referenced = referencedImageIds(document);
    const held = heldImagesField((await store.list()).filter((id) => referenced.has(id))).slice(0, MAX_HELD_IMAGES);
    const field = imageHoldersField(node);
    const current = heldImagesOf(document.get(IMAGE_HOLDERS_KEY)?.[field]);
    if (current !== undefined && current.join() === held.join()) return;
    if (current === undefined && held.length === 0) return;
    await writer.write([{ key: IMAGE_HOLDERS_KEY, set: { [field]: held } }]);
  }
}

const referencedKey = (document: ClusterDocument): string => [...referencedImageIds(document)].sort().join();
