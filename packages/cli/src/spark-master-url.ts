import os from 'node:os';
import { driverAddressProblem } from './driver-address.js';

/** The value given to `name` in `argv` (`NAME VALUE` or `NAME=VALUE`), or undefined without one. */
export function optionValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/**
 * What Sluice runs for spark-submit's master URL `url` (the submitting-applications guide's
 * table): local, local[K] and local[*] are `sluice run`'s local cluster of that many worker
 * processes (local[*]: this machine's logical cores), spark://HOST:PORT is a standing
 * driver's address (several, as a standby-masters URL lists them: the one driver), and
 * yarn, mesos:// and k8s:// have no Sluice equivalent.
 */
export function masterUrlFor(url: string): string {
  const local = /^local(?:\[(\d+|\*)(?:,\s*\d+)?\])?$/.exec(url.trim());
  if (local) {
    const n = local[1] === undefined ? '1' : local[1] === '*' ? String(os.availableParallelism()) : local[1];
    return `'sluice run --workers ${n} job.ts'${local[1] === '*' ? ` (${n}: this machine's logical cores)` : ''}`;
  }
  const spark = /^spark:\/\/(.+)$/.exec(url.trim());
  if (spark) {
    const hosts = spark[1].split(',');
    const address = hosts.length === 1 && driverAddressProblem(hosts[0]) === undefined ? hosts[0] : 'HOST:PORT';
    const standby = hosts.length > 1 ? ' (a driver has no standby masters: give the one driver, restarted on its --state-dir if it fails)' : '';
    return `'sluice submit --driver ${address} job.ts'${standby}`;
  }
  if (/^(yarn|mesos:|k8s:)/.test(url.trim())) {
    return `no cluster manager: a driver's workers are processes you start ('sluice worker --driver HOST:PORT'), by hand, Docker Swarm or Kubernetes (README: Running on several hosts)`;
  }
  return `'${url.slice(0, 100)}' is not a master URL Sluice knows (local, local[N], local[*], spark://HOST:PORT)`;
}
