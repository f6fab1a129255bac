import type { StoredRddInfo } from '@sluice/core/internal';
import type { StoredRdd } from '../scheduler/dag-scheduler.js';

type Block = StoredRdd['blocks'][number];

/** Whether the copy of block `b` on worker `workerId` is on its disk: a DISK_ONLY RDD's, or a MEMORY_AND_DISK block that worker spilled. */
export function blockOnDiskAt(r: StoredRdd, b: Block, workerId: string): boolean {
  return r.storage === 'DISK_ONLY' || b.spilledAt.includes(workerId);
}

/**
 * The bytes a cached RDD's blocks take in the workers' memory and on their disks, every copy
 * counted (AppStatusListener's LiveRDD memoryUsed and diskUsed): what the REST API's
 * storage/rdd and sc.getRDDStorageInfo show.
 */
export function storedRddSizes(r: StoredRdd): { readonly memoryUsed: number; readonly diskUsed: number } {
  let memoryUsed = 0;
  let diskUsed = 0;
  for (const b of r.blocks) {
    const onDisk = b.workerIds.filter((w) => blockOnDiskAt(r, b, w)).length;
    memoryUsed += b.bytes * (b.workerIds.length - onDisk);
    diskUsed += b.bytes * onDisk;
  }
  return { memoryUsed, diskUsed };
}

/** A cached RDD as sc.getRDDStorageInfo is told it (the driver's status answer); undefined for a level stored as NONE. */
export function storedRddInfo(r: StoredRdd): StoredRddInfo | undefined {
  if (r.storage === 'NONE') return undefined;
  const { memoryUsed, diskUsed } = storedRddSizes(r);
  return { id: r.rddId, name: r.name, numPartitions: r.numPartitions, numCachedPartitions: r.blocks.length, storage: r.storage, memSize: memoryUsed, diskSize: diskUsed };
}
