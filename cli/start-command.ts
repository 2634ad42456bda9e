import { Option, type Command } from 'commander';
import { defaultQuota } from '../protocol/quota/author-quota.js';
import { collect, DEFAULT_API, DEFAULT_P2P_PORT } from './options.js';

/** `shoal start`: a node, and every flag that shapes it (README, "Running a cluster by hand"). */
export function addStartCommand(program: Command, dataDir: Option): void {
  program
    .command('start')
    .description('run a node')
    .addOption(dataDir)
    .option('--listen <multiaddr>', 'p2p listen address (repeatable)', collect, [])
    .option(
      '--advertise <multiaddr>',
      'the address others reach this node at, if not a listen address (a public IP, a port forward; repeatable): members and join tokens carry it',
      collect,
      [],
    )
    .option('--api <host:port>', 'HTTP API address', DEFAULT_API)
    .option('--publish-address <ip>', "the address services' published ports listen on", '0.0.0.0')
    .option('--replicas-network <name>', 'the Docker network replicas join; nodes that share an engine each need their own for DNS and service ports', 'shoal')
    .option('--join <token>', 'join the cluster of this token (from `shoal init` or `shoal token`)')
    .option('--seed <multiaddr>', 'another member to join through (repeatable)', collect, [])
    .option('--label <key=value>', 'a label on this node (repeatable)', collect, [])
    .addOption(new Option('--swim-preset <preset>', 'failure-detection timing').choices(['lan', 'edge', 'local']).default('lan'))
    .option('--join-timeout <seconds>', 'give up if no seed answers in this time; 0 waits forever', '60')
    .addOption(new Option('--enable-fault-injection', 'serve /v1/faults to partition this node (tests and testnets)').default(false))
    .addOption(
      new Option('--runtime <runtime>', 'where replicas run: a Docker engine (DOCKER_HOST or the default socket), plain processes, or auto')
        .choices(['auto', 'docker', 'process'])
        .default('auto'),
    )
    .option(
      '--write-quota <rate/burst>',
      'deltas one key may write through this node: per second, and in one burst',
      `${defaultQuota().deltasPerSecond}/${defaultQuota().burstDeltas}`,
    )
    .option('--log-format <format>', 'json or pretty (default: pretty on a terminal, json otherwise)')
    .option('--log-file <path>', 'append the logs to this file instead of standard output')
    .addOption(
      new Option('--log-level <level>', 'the least severe lines written (default: info, or SHOAL_LOG_LEVEL)').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
    )
    .option('--usage-interval <seconds>', "how often the node samples its replicas' CPU and memory (shoal top); 0 turns it off", '5')
    .option('--image-bandwidth <rate>', 'cap on image and artifact bytes this node sends and receives to and from peers, per second, such as 20MB (default: none)')
    .option(
      '--artifact-store-bytes <size>',
      'bytes the artifact store may hold, such as 20GiB: an artifact no workload names goes after an hour unused, or sooner (least recently used first) to make room (default: 20GiB)',
    )
    .option('--metrics-token-file <path>', 'a file holding the bearer token a Prometheus off this machine sends for /metrics (on loopback it needs none)')
    .action(async (opts) => {
      const { start } = await import('./commands/start.js');
      const listen = opts.listen.length > 0 ? opts.listen : [`/ip4/0.0.0.0/tcp/${DEFAULT_P2P_PORT}`];
      await start({ ...opts, listen });
    });
}
