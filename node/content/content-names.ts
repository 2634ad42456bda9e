/** A content id as events and messages show it: the first 12 hex digits of a sha256 id, else its last 8 characters. */
export const shortId = (id: string): string => (id.startsWith('sha256:') ? id.slice(7, 19) : id.slice(-8));

/** A size in bytes as people read it: 512 B, 3.4 KiB, 1.2 GiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
