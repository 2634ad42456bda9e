import { ip } from './ip.js';
import { makeNatSite, type NatSite, type NatSiteOptions } from './nat-site.js';
import { makeNamespace, removeNamespace } from './namespaces.js';
import { namespaceName } from './run-names.js';

/**
 * Addresses on the "internet" bridge. libp2p takes every documentation range (TEST-NET-1
 * to 3, 198.18.0.0/15) for a private network, and DCUtR dials no private address; these
 * namespaces reach nothing outside them, so a public range is safe here.
 */
const INTERNET = '11.0.0';

export interface NatTestnet {
  /** The namespace of the public node, on the internet bridge. */
  public: { namespace: string; address: string };
  /** Two sites, each a host behind a NAT router of its own. */
  sites: [NatSite, NatSite];
  /** Every namespace it made, in the order made. */
  namespaces: string[];
  /** Removes everything: the processes in its namespaces, then the namespaces, with their links, bridges and rules. */
  remove(): void;
}

/**
 * One public host and two hosts behind two different NATs, in network namespaces of
 * this process (run-names.ts). The bridges sit in a namespace of their own ("wire"),
 * so nothing touches the host's links or iptables (where dockerd sets FORWARD to DROP).
 * `unasked`: what both routers do with a connection from outside nobody inside asked
 * for (nat-site.ts), which decides whether a hole punch between the sites can succeed.
 */
export function makeNatTestnet(unasked: NatSiteOptions['unasked'], pid = process.pid): NatTestnet {
  const made: string[] = [];
  const name = (role: string): string => {
    const n = namespaceName(pid, role);
    made.push(n);
    return n;
  };
  const remove = (): void => {
    for (const n of [...made].reverse()) {
      try {
        removeNamespace(n);
      } catch {
        // Never made, or gone already.
      }
    }
  };
  try {
    const wire = name('wire');
    makeNamespace(wire);
    for (const bridge of ['internet', 'lan-a', 'lan-b']) {
      ip('-n', wire, 'link', 'add', bridge, 'type', 'bridge');
      ip('-n', wire, 'link', 'set', bridge, 'up');
    }
    const pub = name('pub');
    makeNamespace(pub);
    ip('-n', wire, 'link', 'add', 'pub-eth', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pub);
    ip('-n', wire, 'link', 'set', 'pub-eth', 'master', 'internet', 'up');
    ip('-n', pub, 'addr', 'add', `${INTERNET}.1/24`, 'dev', 'eth0');
    ip('-n', pub, 'link', 'set', 'eth0', 'up');
    const site = (letter: 'a' | 'b', octet: number): NatSite =>
      makeNatSite({
        wire,
        publicBridge: 'internet',
        privateBridge: `lan-${letter}`,
        router: name(`r${letter}`),
        host: name(`h${letter}`),
        wanAddress: `${INTERNET}.${10 + octet}/24`,
        lan: `10.${octet}.0`,
        unasked,
      });
    const sites: [NatSite, NatSite] = [site('a', 1), site('b', 2)];
    return { public: { namespace: pub, address: `${INTERNET}.1` }, sites, namespaces: made, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
