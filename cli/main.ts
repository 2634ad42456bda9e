import { Command, Option } from 'commander';
import { defaultDataDir } from '../node/data-dir.js';
import { UserError } from '../node/errors.js';
import { SHOAL_VERSION } from '../node/version.js';
import { apiUrl, collect, DEFAULT_API, DEFAULT_P2P_PORT } from './options.js';

const program = new Command('shoal')
  .description('A container orchestrator with no control plane.')
  .version(SHOAL_VERSION)
  .showHelpAfterError();

const dataDirOption = () => new Option('--data-dir <dir>', 'the node\'s data directory').default(defaultDataDir());
const portOption = () => new Option('--port <port>', 'the p2p port the token advertises').default(String(DEFAULT_P2P_PORT));

program
  .command('init')
  .description('create a new cluster: its key and this node\'s identity; prints a join token')
  .addOption(dataDirOption())
  .addOption(portOption())
  .action(async (opts: { dataDir: string; port: string }) => {
    const { init } = await import('./commands/init.js');
    await init({ dataDir: opts.dataDir, port: Number(opts.port) });
  });

program
  .command('start')
  .description('run a node')
  .addOption(dataDirOption())
  .option('--listen <multiaddr>', 'p2p listen address (repeatable)', collect, [])
  .option('--api <host:port>', 'HTTP API address', DEFAULT_API)
  .option('--join <token>', 'join the cluster of this token (from `shoal init` or `shoal token`)')
  .option('--seed <multiaddr>', 'another member to join through (repeatable)', collect, [])
  .option('--label <key=value>', 'a label on this node (repeatable)', collect, [])
  .addOption(new Option('--swim-preset <preset>', 'failure-detection timing').choices(['lan', 'edge', 'local']).default('lan'))
  .option('--join-timeout <seconds>', 'give up if no seed answers in this time; 0 waits forever', '60')
  .action(async (opts) => {
    const { start } = await import('./commands/start.js');
    const listen = opts.listen.length > 0 ? opts.listen : [`/ip4/0.0.0.0/tcp/${DEFAULT_P2P_PORT}`];
    await start({ ...opts, listen });
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

program
  .command('nodes')
  .description('list the members as a node sees them')
  .addOption(dataDirOption())
  .option('--api <host:port>', 'the node to ask (default: the node on --data-dir, else 127.0.0.1:7371)')
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (opts: { dataDir: string; api?: string; output: string }) => {
    const { nodes } = await import('./commands/nodes.js');
    await nodes({ api: apiUrl(opts.api, opts.dataDir), output: opts.output });
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
