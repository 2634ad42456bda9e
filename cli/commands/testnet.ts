import { Option, type Command } from 'commander';
import { UserError } from '../../node/errors.js';
import type { Testnet } from '../../testnet/docker/testnet.js';
import { loadConfig, saveConfig } from '../contexts.js';
import { table } from '../table.js';

// The Docker testnet's modules load only when a testnet command runs: every other
// command starts as fast as before.
const docker = () => import('../../testnet/docker/docker-testnet.js');
const nameOption = () => new Option('--name <name>', 'the testnet').default('shoal-testnet');
const attach = async (name: string): Promise<Testnet> => (await docker()).attach(name);

/** `node-2` or `2`. */
export function nodeArg(value: string): string {
  if (/^[1-9]\d*$/.test(value)) return `node-${value}`;
  if (/^node-[1-9]\d*$/.test(value)) return value;
  throw new UserError(`invalid node '${value}': expected node-N or N`);
}

/** `1,2 3,4,5`; a single group is cut off from every node not in it. */
export function partitionGroups(args: readonly string[], testnet: Testnet): string[][] {
  const groups = args.map((a) =>
    a
      .split(',')
      .filter((n) => n !== '')
      .map(nodeArg),
  );
  if (groups.length !== 1) return groups;
  const named = new Set(groups[0]);
  return [...groups, testnet.nodes.map((n) => n.name).filter((n) => !named.has(n))];
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `+30s`, `-1m`, `250ms`, `0`: how far ahead (or, negative, behind) the clock goes. */
export function offsetArg(value: string): number {
  const match = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (value === '0') return 0;
  if (match === null) throw new UserError(`invalid offset '${value}': expected a duration such as +30s, -1m, 500ms, or 0`);
  return Math.round((match[1] === '-' ? -1 : 1) * Number(match[2]) * (UNIT_MS[match[3] as string] as number));
}

/** `10%`, `10`, `0`. */
export function percentArg(value: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value);
  const percent = Number(match?.[1]);
  if (match === null || percent > 100) throw new UserError(`invalid loss '${value}': expected a percentage from 0 to 100, such as 10%`);
  return percent;
}

/** A context named after the testnet: its nodes' APIs with their fingerprints, and its operator key. */
function saveTestnetContext(testnet: Testnet): void {
  const config = loadConfig();
  config.contexts[testnet.name] = {
    key: testnet.operatorKey,
    nodes: testnet.nodes.map((n) => ({ api: new URL(n.api.url).host, ...(n.api.fingerprint === undefined ? {} : { fingerprint: n.api.fingerprint }) })),
  };
  config.current ??= testnet.name;
  saveConfig(config);
}

function forgetTestnetContext(name: string): void {
  const config = loadConfig();
  if (config.contexts[name] === undefined) return;
  delete config.contexts[name];
  if (config.current === name) delete config.current;
  saveConfig(config);
}

async function printStatus(testnet: Testnet): Promise<void> {
  const { testnetStatus } = await import('../../testnet/docker/status.js');
  const { observer, rows } = await testnetStatus(testnet);
  const headers = ['NODE', 'CONTAINER', 'IP', 'API', 'PEER ID', 'CONTAINER STATE', `MEMBER STATE (${observer ?? 'no node answers'})`];
  console.log(
    table(
      headers,
      rows.map((r) => [r.node.name, r.node.container, r.node.ip, r.node.api.url, r.node.peerId, r.container, r.member]),
    ),
  );
}

const NODE_ACTIONS = {
  kill: ["SIGKILL the node's container (its data volume stays)", 'killed'],
  restart: ['start a killed node again on its data; waits for its API', 'restarted'],
  pause: ["freeze the node's container (docker pause)", 'paused'],
  unpause: ['thaw a paused node', 'unpaused'],
} as const;

/** `shoal testnet ...`: a Docker testnet on this host, and faults applied to its nodes from the host. */
export function addTestnetCommands(testnet: Command): void {
  testnet
    .command('up')
    .description('start N Shoal nodes in containers on one Docker network (builds the node image locally)')
    .option('--nodes <n>', 'how many nodes', '3')
    .addOption(new Option('--preset <preset>', 'SWIM and scheduler timing of the nodes').choices(['local', 'lan', 'edge']).default('local'))
    .addOption(nameOption())
    .action(async (opts: { nodes: string; preset: 'local' | 'lan' | 'edge'; name: string }) => {
      if (!/^\d+$/.test(opts.nodes)) throw new UserError(`invalid --nodes '${opts.nodes}': expected a whole number`);
      const started = await (await docker()).up({ nodes: Number(opts.nodes), name: opts.name, preset: opts.preset, log: (line) => console.log(line) });
      await printStatus(started);
      saveTestnetContext(started);
      console.log(`\nContext ${started.name} reaches every node with the testnet's operator key: shoal get workloads --context ${started.name}`);
    });
  testnet
    .command('down')
    .description('remove the nodes, their replicas, volumes and network')
    .addOption(nameOption())
    .action(async (opts: { name: string }) => {
      await (await docker()).downByName(opts.name);
      forgetTestnetContext(opts.name);
      console.log(`testnet ${opts.name} removed`);
    });
  testnet
    .command('ps')
    .description('the nodes: container, address, API, peer id, container and member state')
    .addOption(nameOption())
    .action(async (opts: { name: string }) => {
      await printStatus(await attach(opts.name));
    });
  testnet
    .command('partition')
    .description('split the nodes into groups that cannot reach each other: partition 1,2 3,4,5 (one group: it against the rest)')
    .argument('<groups...>', 'comma-separated nodes per group')
    .addOption(nameOption())
    .action(async (args: string[], opts: { name: string }) => {
      const t = await attach(opts.name);
      const groups = partitionGroups(args, t);
      await t.partition(groups);
      console.log(`partitioned: ${groups.map((g) => g.join(',')).join(' | ')}`);
    });
  testnet
    .command('heal')
    .description('end every partition')
    .addOption(nameOption())
    .action(async (opts: { name: string }) => {
      await (await attach(opts.name)).heal();
      console.log('healed');
    });
  for (const [action, [description, done]] of Object.entries(NODE_ACTIONS)) {
    testnet
      .command(action)
      .description(description)
      .argument('<node>', 'node-N or N')
      .addOption(nameOption())
      .action(async (node: string, opts: { name: string }) => {
        await (await attach(opts.name))[action as keyof typeof NODE_ACTIONS](nodeArg(node));
        console.log(`${nodeArg(node)} ${done}`);
      });
  }
  testnet
    .command('skew')
    .description("shift a node's clock: skew 2 +30s (0 ends it)")
    .argument('<node>')
    .argument('<offset>')
    .addOption(nameOption())
    .action(async (node: string, offset: string, opts: { name: string }) => {
      const offsetMs = offsetArg(offset);
      await (await attach(opts.name)).skew(nodeArg(node), offsetMs);
      console.log(`${nodeArg(node)} clock ${offsetMs === 0 ? 'restored' : `offset ${offset}`}`);
    });
  testnet
    .command('loss')
    .description("drop a share of a node's packets: loss 1 10% (0 ends it)")
    .argument('<node>')
    .argument('<percent>')
    .addOption(nameOption())
    .action(async (node: string, percent: string, opts: { name: string }) => {
      const share = percentArg(percent);
      await (await attach(opts.name)).loss(nodeArg(node), share);
      console.log(`${nodeArg(node)} loses ${share}% of its packets`);
    });
}
