import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { Logger } from 'pino';
import { z } from 'zod';
import { REJOIN_ADDRS_LIMIT, REJOIN_SNAPSHOT_LIMIT, rejoinSnapshot, type RejoinEntry } from '../protocol/swim/rejoin.js';
import type { SwimService } from './swim/service.js';

export const memberSnapshotPath = (dataRoot: string): string => join(dataRoot, 'members.json');

const parses =
  (parse: (text: string) => unknown) =>
  (text: string): boolean => {
    try {
      parse(text);
      return true;
    } catch {
      return false;
    }
  };

// Checked whole, so the redialer never meets an address or peer id it cannot parse.
const snapshotFile = z.object({
  v: z.literal(1),
  members: z
    .array(
      z.object({
        id: z.string().refine(parses(peerIdFromString), 'not a peer id'),
        addrs: z.array(z.string().refine(parses(multiaddr), 'not a multiaddr')).max(REJOIN_ADDRS_LIMIT),
      }),
    )
    .max(REJOIN_SNAPSHOT_LIMIT),
});

const serialize = (members: RejoinEntry[]): string => `${JSON.stringify({ v: 1, members }, null, 2)}\n`;

/** The members the node knew when it last ran; none, with a warning, when the file is unreadable or malformed. */
export function readMemberSnapshot(path: string, log: Logger): RejoinEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ path, error: String(e) }, 'ignoring the member snapshot: cannot read it');
    return [];
  }
  try {
    const parsed = snapshotFile.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.members;
    log.warn({ path, error: parsed.error.message }, 'ignoring the malformed member snapshot');
  } catch (e) {
    log.warn({ path, error: String(e) }, 'ignoring the member snapshot: not JSON');
  }
  return [];
}

/**
 * Keeps `members.json` up to date for the next start: written whole and renamed into
 * place (a crash never leaves half a file), only when it changed, at most every
 * `intervalMs`, and once on stop. A node that sees no other reachable member keeps the
 * old file: it has nothing better to offer its next start.
 */
export class MemberSnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private written: string;

  constructor(
    private readonly path: string,
    private readonly swim: SwimService,
    private readonly intervalMs: number,
    private readonly log: Logger,
    loaded: RejoinEntry[],
  ) {
    this.written = serialize(loaded);
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Once: the daemon stops it before the leave, and again when it unwinds. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private flush(): void {
    const members = rejoinSnapshot(this.swim.members(), this.swim.id);
    const text = serialize(members);
    if (members.length === 0 || text === this.written) return;
    try {
      writeFileSync(`${this.path}.tmp`, text, { mode: 0o600 });
      renameSync(`${this.path}.tmp`, this.path);
      this.written = text;
    } catch (e) {
      this.log.warn({ path: this.path, error: String(e) }, 'could not write the member snapshot');
    }
  }
}
