// How the dashboard writes quantities, ids and times. Pure: unit-tested in test/unit/ui/.

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/** A number with at most `digits` decimals and no trailing zeros: 1.5, 2, 1.23. */
const decimals = (value: number, digits: number): string => String(Number(value.toFixed(digits)));

/** A node's (or any peer's) id as the CLI shows it: its last 8 characters. */
export const shortId = (id: string): string => (id.length > 8 ? id.slice(-8) : id);

/** The first `length` characters of a long text (a revision, an image digest), marked as cut. */
export const abbreviate = (text: string, length = 12): string => (text.length > length ? `${text.slice(0, length)}…` : text);

/** Whole cores, as a node's capacity: `4 cores`, `0.5 cores`, `1 core`. */
export function coresText(cpuMillis: number): string {
  const cores = decimals(cpuMillis / 1000, 2);
  return `${cores} ${cores === '1' ? 'core' : 'cores'}`;
}

/** CPU in use: millicores below one core (`250m`, as `shoal top`), cores from one up. */
export function cpuText(cpuMillis: number): string {
  const millis = Math.round(cpuMillis);
  return millis < 1000 ? `${millis}m` : coresText(millis);
}

/** Memory in use, in mebibytes as `shoal top` shows it: `128Mi`. */
export const memoryText = (bytes: number): string => `${Math.round(bytes / MIB)}Mi`;

/** Memory capacity, in gibibytes: `7.6Gi`. */
export const capacityMemoryText = (bytes: number): string => `${decimals(bytes / GIB, 1)}Gi`;

const twoDigits = (n: number): string => String(n).padStart(2, '0');

/** A time of day in the browser's time zone: `14:03:07`. */
export function clockText(atMs: number): string {
  const at = new Date(atMs);
  return `${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())}`;
}

/** A node's labels, sorted by key: `disk=ssd, zone=a`. */
export const labelsText = (labels: Record<string, string>): string =>
  Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(', ');

export type Tone = 'good' | 'warn' | 'bad' | 'idle' | 'other';

const TONES = new Map<string, Tone>([
  // A node's, as SWIM has it.
  ['alive', 'good'],
  ['suspect', 'warn'],
  ['dead', 'bad'],
  ['left', 'idle'],
  // A slot's replica, as its node reports it, or the scheduler's word for an unplaced slot.
  ['running', 'good'],
  ['starting', 'warn'],
  ['pending', 'warn'],
  ['scheduling', 'warn'],
  ['exited', 'bad'],
  ['failed', 'bad'],
  ['unschedulable', 'bad'],
  ['not running', 'bad'],
  ['stopped', 'idle'],
  ['completed', 'idle'],
]);

/** How a state is coloured: green, amber, red, grey, or not at all for one unknown here. */
export function stateTone(state: string): Tone {
  if (state.startsWith('waiting')) return 'warn';
  return TONES.get(state) ?? 'other';
}

/** The CSS classes of a state's text. */
export const stateClass = (state: string): string => `state tone-${stateTone(state)}`;
