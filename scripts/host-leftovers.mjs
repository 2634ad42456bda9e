// What a test run leaves on the host's Docker engine: replicas' containers (their label)
// and networks named shoal… (a node's replicas network, a testnet's). Each test must end
// its own; the runner compares the engine before and after the run and fails on the new.
import { execFileSync } from 'node:child_process';

/** `2026-12-04 20:52:51.761799755 +0000 UTC` (Docker's CreatedAt) as epoch ms; NaN if it is not that. */
const parseCreatedAt = (text) => {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?\d* ([+-]\d{2})(\d{2})/.exec(text);
  return m === null ? Number.NaN : Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}${m[4]}:${m[5]}`);
};

const docker = (args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 15_000 });

/** Each leftover as `{ what, createdAtMs }`; an empty list where no engine answers. */
export function hostLeftovers() {
  try {
    const rows = (args, kind) =>
      docker(args)
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [name, created] = line.split('|');
          return { what: `${kind} ${name}`, createdAtMs: parseCreatedAt(created ?? '') };
        });
    return [
      ...rows(['ps', '-a', '--filter', 'label=io.shoal.cluster', '--format', '{{.Names}}|{{.CreatedAt}}'], 'container'),
      ...rows(['network', 'ls', '--filter', 'name=shoal', '--format', '{{.Name}}|{{.CreatedAt}}'], 'network'),
    ];
  } catch {
    return [];
  }
}
