import type { DirectPlacement } from '@sluice/core';

/** What a placement needs of a worker. */
export interface PlacementWorker {
  readonly id: string;
  /** `host:port` (`[v6]:port`). */
  readonly address: string;
}

/** A worker address's host (brackets of an IPv6 address removed). */
export function hostOf(address: string): string {
  const at = address.lastIndexOf(':');
  const host = at < 0 ? address : address.slice(0, at);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The workers in the order a placement indexes them, as Spark's KafkaRDD.executors() sorts
 * its executors (compareExecutors): by host, then by worker id, both descending (string order).
 */
export function placementOrder<W extends PlacementWorker>(workers: Iterable<W>): W[] {
  return [...workers]
    .map((w) => ({ w, host: hostOf(w.address) }))
    .sort((a, b) => (a.host !== b.host ? (a.host > b.host ? -1 : 1) : a.w.id > b.w.id ? -1 : a.w.id < b.w.id ? 1 : 0))
    .map((x) => x.w);
}

/**
 * The worker a direct input's partition prefers, as Spark's KafkaRDD.getPreferredLocations:
 * among `sorted` (placementOrder's), those the placement's hosts name (by id, address or host;
 * all when none matches or none is given), the one at floorMod(hash, their count). Undefined
 * when there is no worker.
 */
export function placedWorker<W extends PlacementWorker>(p: DirectPlacement, sorted: readonly W[]): W | undefined {
  let execs: readonly W[] = sorted;
  const hosts = p.hosts;
  if (hosts !== undefined && hosts.length > 0) {
    const named = sorted.filter((w) => hosts.includes(w.id) || hosts.includes(w.address) || hosts.includes(hostOf(w.address)));
    if (named.length > 0) execs = named;
  }
  if (execs.length === 0) return undefined;
  const n = execs.length;
  return execs[(((p.hash | 0) % n) + n) % n];
}
