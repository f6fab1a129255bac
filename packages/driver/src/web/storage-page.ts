import type { DriverJob } from '../job/driver-job.js';
import { bytes, escapeHtml, link, page, table, type Cell } from './html.js';
import { jobTabs } from './job-tabs.js';
import type { RddStorageView } from './rest-views.js';

/** Spark's StoragePage "Fraction Cached": the cached partitions' share, "%.0f%%". */
export function fractionCached(r: Pick<RddStorageView, 'numCachedPartitions' | 'numPartitions'>): string {
  return `${r.numPartitions === 0 ? 0 : Math.round((100 * r.numCachedPartitions) / r.numPartitions)}%`;
}

function rddHref(j: DriverJob, rddId: number): string {
  return `/jobs/${encodeURIComponent(j.id)}/storage/rdd/?id=${rddId}`;
}

/**
 * `/jobs/{id}/storage/`: Spark's Storage tab (StoragePage's RDDs table) from the REST API's
 * `storage/rdd`: each RDD with cached partitions, its storage level, cached partitions,
 * fraction cached and sizes in memory and on disk, linking to its page. Size in Memory is
 * the blocks' bytes and the decoded copies task threads keep of them (their estimated heap),
 * the memory the cache takes, as Spark's is a MEMORY_ONLY RDD's objects' estimated size.
 */
export function storagePage(j: DriverJob, rdds: readonly RddStorageView[]): string {
  const rows: Cell[][] = rdds.map((r) => [link(rddHref(j, r.id), r.id), link(rddHref(j, r.id), r.name), r.storageLevel, r.numCachedPartitions, fractionCached(r), bytes(r.memoryUsed), bytes(r.diskUsed)]);
  const body = `${jobTabs(j, 'storage')}
<h2>RDDs (${rdds.length})</h2>${
    rdds.length === 0
      ? `<p id="no-rdds">${escapeHtml('No RDD of this job has cached partitions: an RDD is listed once an action has cached one (persist or cache), until unpersist or the job ends.')}</p>`
      : table(['ID', 'RDD Name', 'Storage Level', 'Cached Partitions', 'Fraction Cached', 'Size in Memory', 'Size on Disk'], rows, ' id="rdds"')
  }`;
  return page(`Storage: ${j.name} (${j.id})`, body, { head: j.state === 'running' ? '<meta http-equiv="refresh" content="5">' : '' });
}

/**
 * `/jobs/{id}/storage/rdd/?id=N`: Spark's RDDPage from `storage/rdd/{id}`: the RDD's summary,
 * its data distribution on the workers holding its blocks (memory used and remaining, disk)
 * and its partitions (block name, storage level, sizes, the workers holding each).
 */
export function rddPage(j: DriverJob, r: RddStorageView): string {
  const summary = [
    ['Storage Level', r.storageLevel],
    ['Cached Partitions', String(r.numCachedPartitions)],
    ['Total Partitions', String(r.numPartitions)],
    ['Memory Size', bytes(r.memoryUsed)],
    // Sluice's: how much of it is decoded copies (the rest the blocks' bytes, kept beside them).
    ['Decoded Copies in Memory', bytes(r.decodedMemoryUsed)],
    ['Disk Size', bytes(r.diskUsed)],
  ]
    .map(([k, v]) => `<li><strong>${escapeHtml(k)}:</strong> <span data-field="${escapeHtml(k)}">${escapeHtml(v)}</span></li>`)
    .join('');
  const dist = r.dataDistribution ?? [];
  const parts = r.partitions ?? [];
  const body = `${jobTabs(j, 'storage')}
<p><a href="/jobs/${escapeHtml(encodeURIComponent(j.id))}/storage/">Back to Storage</a></p>
<ul id="rdd-summary">${summary}</ul>
<h2>Data Distribution on ${dist.length} Worker${dist.length === 1 ? '' : 's'}</h2>${table(
    ['Worker address', 'Memory Usage', 'Memory Remaining', 'Disk Usage'],
    dist.map((x) => [x.address ?? '-', bytes(x.memoryUsed), bytes(x.memoryRemaining), bytes(x.diskUsed)]),
    ' id="data-distribution"',
  )}
<h2>${parts.length} Partition${parts.length === 1 ? '' : 's'}</h2>${table(
    ['Block Name', 'Storage Level', 'Size in Memory', 'Size on Disk', 'Workers'],
    parts.map((p) => [p.blockName, p.storageLevel, bytes(p.memoryUsed), bytes(p.diskUsed), p.executors.join(', ')]),
    ' id="partitions"',
  )}`;
  return page(`RDD Storage Info for ${r.name}`, body);
}
