import type { ConnectionGater } from '@libp2p/interface';

type DenyMethod = Exclude<keyof ConnectionGater, 'filterMultiaddrForPeer'>;

/**
 * One gater from several (the partition fault's, removed nodes', the relay's): a
 * connection is denied if any of them denies it, where spreading them into one object
 * would keep only the last one's answer for a check two of them make.
 */
export function anyDenies(...gaters: readonly Partial<ConnectionGater>[]): ConnectionGater {
  const combined: Partial<Record<DenyMethod, (...args: never[]) => Promise<boolean>>> = {};
  const methods = new Set(gaters.flatMap((g) => Object.keys(g) as DenyMethod[]));
  for (const method of methods) {
    const checks = gaters.flatMap((g) => (g[method] === undefined ? [] : [g[method] as (...args: unknown[]) => boolean | Promise<boolean>]));
    combined[method] = async (...args: never[]) => {
      for (const check of checks) if (await check(...args)) return true;
      return false;
    };
  }
  return combined as ConnectionGater;
}
