import { Command, Option } from 'commander';
import { defaultDataDir } from '../node/data-dir.js';
import { UserError } from '../node/errors.js';
import { defaultOperatorKeyPath } from '../node/operator-key.js';
import { SHOAL_VERSION } from '../node/version.js';
import type { Connection, ConnectionFlags } from './connection.js';
import { addStartCommand } from './start-command.js';
import { collect, DEFAULT_P2P_PORT } from './options.js';
import { printOnlyPrintable } from './printable.js';

printOnlyPrintable();

const program = new Command('shoal').description('A container orchestrator with no control plane.').version(SHOAL_VERSION).showHelpAfterError();

const dataDirOption = () => new Option('--data-dir <dir>', "the node's data directory").default(defaultDataDir());
const keyOption = () => new Option('--key <file>', 'the operator key that signs requests and writes').default(defaultOperatorKeyPath());
const portOption = () => new Option('--port <port>', 'the p2p port the token advertises').default(String(DEFAULT_P2P_PORT));

program
  .command('init')
  .description("create a new cluster: its key, its genesis operator and this node's identity; prints a join token")
  .addOption(dataDirOption())
  .addOption(portOption())
  .addOption(keyOption())
  .action(async (opts: { dataDir: string; port: string; key: string }) => {
    const { init } = await import('./commands/init.js');
    await init({ dataDir: opts.dataDir, port: Number(opts.port), key: opts.key });
  });

addStartCommand(program, dataDirOption());

program
  .command('fence-keeper', { hidden: true })
  .description("started by a node that runs majority replicas: removes them once the node's lease runs out")
  .addOption(dataDirOption())
  .action(async (opts: { dataDir: string }) => {
    const { fenceKeeper } = await import('./commands/fence-keeper.js');
    await fenceKeeper({ dataDir: opts.dataDir });
  });

program
  .command('token')
  .description('print a join token with this node as seed')
  .addOption(dataDirOption())
  .addOption(portOption())
  .action(async (opts: { dataDir: string; port: string }) => {
    const { token } = await import('./commands/token.js');
    await token({ dataDir: opts.dataDir, port: Number(opts.port) });
  });

/**
 * How a command reaches a node and signs: cli/connection.ts. Loaded when a command needs it,
 * since it reads contexts with the YAML parser, which `shoal start` would otherwise load and
 * keep for the life of a node (docs/benchmarks.md, "Footprint").
 */
const connection = async (flags: ConnectionFlags): Promise<Connection> => (await import('./connection.js')).connection(flags);

/** The options of every command that talks to a node. */
const apiOptions = (command: Command): Command =>
  command
    .addOption(dataDirOption())
    .option('--api <host:port>', 'the node to talk to (default: the context, else the node on --data-dir, else 127.0.0.1:7371)')
    .option('--fingerprint <sha256>', "the --api node's certificate fingerprint, for an address other than loopback (as `shoal start` logs it)")
    .option('--context <name>', 'a context from ~/.shoal/config (default: SHOAL_CONTEXT, else the current one)')
    .option('--key <file>', "the operator key that signs requests (default: the context's, else ~/.shoal/operator.key)");

apiOptions(
  program
    .command('nodes')
    .description('list the members as a node sees them, and how it reaches each: direct, relayed or hole-punched')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table')),
).action(async (opts: { output: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { nodes } = await import('./commands/nodes.js');
  await nodes({ ...(await connection(opts)), output: opts.output });
});

apiOptions(
  program
    .command('status')
    .description('what one node holds and has refused: members, desired state, counters by reason')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text')),
).action(async (opts: { output: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { status } = await import('./commands/status.js');
  await status({ ...(await connection(opts)), output: opts.output });
});

apiOptions(
  program
    .command('apply')
    .description('create or update objects from YAML (several documents per file); signs with your operator key')
    .requiredOption('-f, --filename <file>', 'a YAML file (Shoal, Kubernetes or Compose), or - for standard input')
    .option('--dry-run', 'show what would change, write nothing', false)
    .option('--strict', 'refuse a Kubernetes or Compose field Shoal would drop (a warning otherwise)', false),
).action(async (opts: { filename: string; dryRun: boolean; strict: boolean; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { apply } = await import('./commands/apply.js');
  await apply({ file: opts.filename, dryRun: opts.dryRun, strict: opts.strict, ...(await connection(opts)) });
});

program
  .command('convert')
  .description('print the Shoal objects a Kubernetes or Compose file becomes (YAML), writing nothing')
  .requiredOption('-f, --filename <file>', 'a YAML file, or - for standard input')
  .option('--strict', 'refuse a field Shoal would drop (a warning otherwise)', false)
  .action(async (opts: { filename: string; strict: boolean }) => {
    const { convert } = await import('./commands/convert.js');
    convert({ file: opts.filename, strict: opts.strict });
  });

apiOptions(program.command('dashboard').description("a one-time link to the node's dashboard (a live view of nodes, workloads and events), valid for a minute")).action(
  async (opts: { key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
    const { dashboard } = await import('./commands/dashboard.js');
    await dashboard(await connection(opts));
  },
);

apiOptions(
  program
    .command('top')
    .description('what replicas use, CPU and memory, as their nodes last reported them: shoal top nodes | shoal top workloads')
    .argument('<resource>', 'nodes | workloads')
    .option('-n, --namespace <namespace>', 'namespace (workloads)', 'default')
    .option('-A, --all-namespaces', 'every namespace (workloads)', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table')),
).action(
  async (
    resource: string,
    opts: { namespace: string; allNamespaces: boolean; output: 'table' | 'json'; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string },
  ) => {
    if (resource !== 'nodes' && resource !== 'workloads') throw new UserError(`unknown resource '${resource}': expected nodes or workloads`);
    const { top } = await import('./commands/top.js');
    await top({ resource, output: opts.output, namespace: opts.namespace, allNamespaces: opts.allNamespaces, ...(await connection(opts)) });
  },
);

apiOptions(
  program
    .command('get')
    .description('list objects, or show one: shoal get workloads | shoal get workload NAME -o yaml')
    .argument('<resource>', 'workloads | services | placements | jobs | cronjobs | autoscalers | images | secrets')
    .argument('[name]', 'one object')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table')),
).action(
  async (
    resource: string,
    name: string | undefined,
    opts: { namespace: string; allNamespaces: boolean; output: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string },
  ) => {
    const { get } = await import('./commands/get.js');
    await get({ resource, name, namespace: opts.namespace, allNamespaces: opts.allNamespaces, output: opts.output, ...(await connection(opts)) });
  },
);

const image = program.command('image').description('images the nodes hand each other, with no registry');
apiOptions(
  image
    .command('push')
    .description("make an image in the Docker engine of the CLI's node the cluster's, under its name: nodes that lack it fetch it from peers")
    .argument('<image>', 'the image, as the engine names it (name:tag), or the name to give the archive of --file')
    .option('-n, --namespace <namespace>', 'the namespace whose workloads may run it by that name', 'default')
    .option('--file <archive>', "a docker save archive on this machine, uploaded to the node and loaded into its engine (for a node's engine the CLI cannot reach)"),
).action(async (name: string, opts: { namespace: string; file?: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { pushImage } = await import('./commands/images.js');
  await pushImage({ image: name, namespace: opts.namespace, file: opts.file, ...(await connection(opts)) });
});

const artifact = program.command('artifact').description('bundles of files the process runtime runs replicas in, handed from node to node like images');
apiOptions(
  artifact
    .command('push')
    .description("pack a directory (deterministically: the same files, the same id) and upload it to the CLI's node; prints the id a workload's spec.artifact takes")
    .argument('<dir>', 'the directory: files, directories and symbolic links that stay inside it; executable bits are kept'),
).action(async (dir: string, opts: { key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { pushArtifact } = await import('./commands/artifact.js');
  await pushArtifact({ dir, ...(await connection(opts)) });
});

apiOptions(
  program
    .command('delete')
    .description('delete an object: shoal delete workload NAME')
    .argument('<resource>', 'workload')
    .argument('<name>', 'its name')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(async (resource: string, name: string, opts: { namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { remove } = await import('./commands/delete.js');
  await remove({ resource, name, namespace: opts.namespace, ...(await connection(opts)) });
});

apiOptions(
  program
    .command('describe')
    .description('a workload (its slots, where they run, their auctions) or a service (its ports, endpoints, where this node routes) in detail, with recent events')
    .argument('<resource>', 'workload or service')
    .argument('<name>', 'its name')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(async (resource: string, name: string, opts: { namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { describe } = await import('./commands/describe.js');
  await describe({ resource, name, namespace: opts.namespace, ...(await connection(opts)) });
});

apiOptions(
  program
    .command('scale')
    .description('set how many replicas a workload runs: shoal scale NAME --replicas N')
    .argument('<name>', 'the workload')
    .requiredOption('--replicas <n>', 'the number of replicas')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(async (name: string, opts: { replicas: string; namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { scale } = await import('./commands/scale.js');
  await scale({ name, namespace: opts.namespace, replicas: opts.replicas, ...(await connection(opts)) });
});

apiOptions(
  program
    .command('logs')
    .description("a replica's output, from whichever node runs it")
    .argument('<name>', 'the workload')
    .option('--slot <i>', 'which replica', '0')
    .option('-f, --follow', 'keep streaming new output', false)
    .option('--tail <n>', 'only the last N lines')
    .option('--since <duration>', 'only output newer than this, such as 5m (Docker replicas)')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(
  async (
    name: string,
    opts: { slot: string; follow: boolean; tail?: string; since?: string; namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string },
  ) => {
    const { logs } = await import('./commands/logs.js');
    await logs({ name, namespace: opts.namespace, slot: opts.slot, follow: opts.follow, tail: opts.tail, since: opts.since, ...(await connection(opts)) });
  },
);

apiOptions(
  program
    .command('exec')
    .description('run a command in a replica, wherever it runs: shoal exec NAME -- CMD [ARGS...]')
    .argument('<name>', 'the workload')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--slot <i>', 'which replica', '0')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(
  async (name: string, command: string[], opts: { slot: string; namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
    const { exec } = await import('./commands/exec.js');
    await exec({ name, namespace: opts.namespace, slot: opts.slot, command, ...(await connection(opts)) });
  },
);

apiOptions(
  program
    .command('events')
    .description("the cluster's recent events, from every node, in time order")
    .option('-w, --watch', 'keep printing new events', false)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table')),
).action(async (opts: { watch: boolean; output: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { events } = await import('./commands/events.js');
  await events({ watch: opts.watch, output: opts.output, ...(await connection(opts)) });
});

const rollout = program.command('rollout').description('rolling updates: follow one, list revisions, roll back');
apiOptions(
  rollout
    .command('status')
    .description('follow a rollout until it completes (exit 0) or rolls back (exit 1)')
    .argument('<name>', 'the workload')
    .option('--no-watch', 'print the state once')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(async (name: string, opts: { watch: boolean; namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { rolloutStatus } = await import('./commands/rollout.js');
  await rolloutStatus({ name, namespace: opts.namespace, watch: opts.watch, ...(await connection(opts)) });
});
apiOptions(
  rollout
    .command('history')
    .description("a workload's revisions, and why any failed")
    .argument('<name>', 'the workload')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(async (name: string, opts: { namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { rolloutHistory } = await import('./commands/rollout.js');
  await rolloutHistory({ name, namespace: opts.namespace, ...(await connection(opts)) });
});
apiOptions(
  rollout
    .command('undo')
    .description('roll a workload back to the revision before (or --to-revision N)')
    .argument('<name>', 'the workload')
    .option('--to-revision <n>', 'a revision number from `shoal rollout history`')
    .option('-n, --namespace <namespace>', 'namespace', 'default'),
).action(async (name: string, opts: { toRevision?: string; namespace: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { rolloutUndo } = await import('./commands/rollout.js');
  await rolloutUndo({ name, namespace: opts.namespace, toRevision: opts.toRevision, ...(await connection(opts)) });
});

const nodeFlagCommands = [
  ['cordon', 'place no new replicas on NODE (its running replicas stay)'],
  ['uncordon', 'let NODE take new replicas again (also ends a drain)'],
  ['drain', 'move every replica off NODE and place none there'],
] as const;
for (const [action, description] of nodeFlagCommands) {
  apiOptions(program.command(action).description(description).argument('<node>', 'a node id, or a unique suffix of one')).action(
    async (node: string, opts: { key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
      const { setNodeFlags } = await import('./commands/node-flags.js');
      await setNodeFlags({ action, node, ...(await connection(opts)) });
    },
  );
}

const node = program.command('node').description('nodes as members of the cluster');
apiOptions(
  node
    .command('remove')
    .description('revoke NODE: nothing it signs from now on counts, and it cannot be admitted again under that identity')
    .argument('<node>', 'a node id, or a unique suffix of one'),
).action(async (id: string, opts: { key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { removeNode } = await import('./commands/revoke.js');
  await removeNode({ node: id, ...(await connection(opts)) });
});

const context = program.command('context').description('named ways to reach a cluster (nodes, fingerprints, key), as kubeconfig contexts: ~/.shoal/config');
context
  .command('add')
  .description('create a context, or add a node to it: --api HOST:PORT [--fingerprint F], or every API a join token carries')
  .argument('<name>', 'the context')
  .option('--api <host:port>', "a node's API")
  .option('--fingerprint <sha256>', "that node's certificate fingerprint (needed off loopback)")
  .option('--token <token>', 'a join token from `shoal token` on a node whose API is served over TLS')
  .option('--key <file>', 'the operator key to sign with in this context')
  .action(async (name: string, opts: { api?: string; fingerprint?: string; token?: string; key?: string }) => {
    const { addContext } = await import('./commands/context.js');
    addContext({ name, ...opts });
  });
context
  .command('use')
  .description('make NAME the current context')
  .argument('<name>', 'the context')
  .action(async (name: string) => (await import('./commands/context.js')).useContext(name));
context
  .command('list')
  .description('the contexts; * marks the current one')
  .action(async () => (await import('./commands/context.js')).listContexts());
context
  .command('remove')
  .description('forget a context')
  .argument('<name>', 'the context')
  .action(async (name: string) => (await import('./commands/context.js')).removeContext(name));

const { addTestnetCommands } = await import('./commands/testnet.js');
addTestnetCommands(program.command('testnet').description('a testnet of Shoal nodes in Docker containers on this host, and faults to apply to them'));

const operator = program.command('operator').description('operator keys: who may write to the cluster');
operator
  .command('key')
  .description('print your operator public key')
  .option('--new', 'create the key if it does not exist', false)
  .addOption(keyOption())
  .action(async (opts: { new: boolean; key: string }) => {
    const { showKey } = await import('./commands/operator.js');
    showKey({ key: opts.key, create: opts.new });
  });
apiOptions(
  operator
    .command('add')
    .description('add an operator (a public key from `shoal operator key`), or change its role: admin, deployer (of --namespace) or viewer')
    .argument('<public-key>', '64 hex digits')
    .addOption(
      new Option('--role <role>', 'admin: everything; deployer: apply, scale, delete, roll out; viewer: read only').choices(['admin', 'deployer', 'viewer']).default('admin'),
    )
    .option('--namespace <namespace>', 'a namespace a deployer may change (repeatable; default: every one)', collect, [])
    .option('--exec', 'may also run commands in replicas (an admin always may)', false),
).action(
  async (publicKey: string, opts: { role: string; namespace: string[]; exec: boolean; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
    const { changeOperators, grantFromFlags } = await import('./commands/operator.js');
    await changeOperators({ action: 'add', publicKey, grant: grantFromFlags(opts), ...(await connection(opts)) });
  },
);
apiOptions(operator.command('remove').description('remove an operator: revoke its key').argument('<public-key>', '64 hex digits')).action(
  async (publicKey: string, opts: { key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
    const { changeOperators } = await import('./commands/operator.js');
    await changeOperators({ action: 'remove', publicKey, ...(await connection(opts)) });
  },
);
apiOptions(
  operator
    .command('list')
    .description('the operators who may act now, with their roles')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table')),
).action(async (opts: { output: string; key?: string; fingerprint?: string; context?: string; dataDir: string; api?: string }) => {
  const { listOperators } = await import('./commands/operator.js');
  await listOperators({ output: opts.output, ...(await connection(opts)) });
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof UserError || (e instanceof Error && e.name === 'ZodError')) {
    console.error(`shoal: ${e.message}`);
  } else {
    console.error(`shoal: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  process.exit(1);
}
