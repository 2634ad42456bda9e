import { inNamespace, ip } from './ip.js';
import { makeNamespace } from './namespaces.js';

export interface NatSiteOptions {
  /** The namespace holding the bridges (nat-testnet.ts). */
  wire: string;
  /** The public bridge, and this site's own private one, in `wire`. */
  publicBridge: string;
  privateBridge: string;
  router: string;
  host: string;
  /** The router's address on the public bridge, with its prefix: 11.0.0.11/24. */
  wanAddress: string;
  /** The site's /24, as its first three octets: the router is .1, the host .2. */
  lan: string;
  /** What the router does with a connection from outside nobody inside asked for: drop it silently, or refuse it with a reset. */
  unasked: 'drop' | 'refuse';
}

export interface NatSite {
  router: string;
  /** The namespace a node behind this NAT runs in. */
  host: string;
  hostAddress: string;
  /** The router's address on the public bridge: what the site's connections come from. */
  publicAddress: string;
}

/** Links a namespace to a bridge in `wire` through a veth pair: `device` inside the namespace, `port` on the bridge. */
function plug(wire: string, bridge: string, port: string, namespace: string, device: string, address: string): void {
  ip('-n', wire, 'link', 'add', port, 'type', 'veth', 'peer', 'name', device, 'netns', namespace);
  ip('-n', wire, 'link', 'set', port, 'master', bridge, 'up');
  ip('-n', namespace, 'addr', 'add', address, 'dev', device);
  ip('-n', namespace, 'link', 'set', device, 'up');
}

/**
 * A site behind NAT: a router namespace with a leg on the public bridge and one on the
 * site's private bridge, masquerading what leaves by the public leg (a home router's
 * NAT: outbound connections only, nothing dialled from outside gets in), and one host
 * behind it whose default route is the router.
 */
export function makeNatSite(o: NatSiteOptions): NatSite {
  makeNamespace(o.router);
  makeNamespace(o.host);
  plug(o.wire, o.publicBridge, `${o.router.slice(-2)}-wan`, o.router, 'wan', o.wanAddress);
  plug(o.wire, o.privateBridge, `${o.router.slice(-2)}-lan`, o.router, 'lan', `${o.lan}.1/24`);
  plug(o.wire, o.privateBridge, `${o.host.slice(-2)}-eth`, o.host, 'eth0', `${o.lan}.2/24`);
  ip('-n', o.host, 'route', 'add', 'default', 'via', `${o.lan}.1`);
  inNamespace(o.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  // A fresh namespace forwards by default (policy ACCEPT); said here so a host-wide default cannot change it.
  inNamespace(o.router, 'iptables', '-P', 'FORWARD', 'ACCEPT');
  inNamespace(o.router, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE');
  // A connection nobody inside asked for: most home routers drop it without a word; a
  // refusal (a reset, also what a Linux router with no rule answers) ends a hole punch's
  // dial from the other side before this side's own has gone out (node/hole-punch.ts).
  const verdict = o.unasked === 'drop' ? ['DROP'] : ['REJECT', '--reject-with', 'tcp-reset'];
  inNamespace(o.router, 'iptables', '-A', 'INPUT', '-i', 'wan', '-p', 'tcp', '--syn', '-j', ...verdict);
  return { router: o.router, host: o.host, hostAddress: `${o.lan}.2`, publicAddress: o.wanAddress.split('/')[0] ?? o.wanAddress };
}
