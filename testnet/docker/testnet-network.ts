import type Dockerode from 'dockerode';
import { TESTNET_LABEL } from './resources.js';

/** Testnets take /24s from 10.213.0.0/16, far from Docker's default pools (172.17+/16, 192.168.x/20). */
const POOL_PREFIX = '10.213';
const FIRST_NODE_HOST = 10;
export const MAX_NODES = 240;

const toInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

function range(cidr: string): [number, number] {
  const [ip = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = toInt(ip) - (toInt(ip) % size);
  return [start, start + size - 1];
}

const overlaps = (a: string, b: string): boolean => {
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
};

/** The node's fixed address: the same after a restart, so the join token's seed stays right. */
export const nodeIp = (subnet: string, index: number): string => subnet.replace(/\.0\/24$/, `.${FIRST_NODE_HOST + index - 1}`);

async function usedSubnets(docker: Dockerode): Promise<string[]> {
  const networks = await docker.listNetworks();
  return networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')).filter((s) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
}

/**
 * A user-defined bridge named after the testnet on the first free /24 of the pool. Two
 * testnets started at once may pick the same one; the engine refuses the second, which
 * then takes the next.
 */
export async function createTestnetNetwork(docker: Dockerode, name: string): Promise<string> {
  const used = await usedSubnets(docker);
  for (let third = 0; third < 256; third++) {
    const subnet = `${POOL_PREFIX}.${third}.0/24`;
    if (used.some((u) => overlaps(u, subnet))) continue;
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [TESTNET_LABEL]: name },
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: `${POOL_PREFIX}.${third}.1` }] },
      });
      return subnet;
    } catch (e) {
      if (!/overlap/i.test((e as Error).message)) throw e;
    }
  }
  throw new Error(`no free /24 left in ${POOL_PREFIX}.0.0/16 for testnet ${name}`);
}
