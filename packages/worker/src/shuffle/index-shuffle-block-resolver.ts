import { INDEX_ENTRY_BYTES, SluiceError, indexEntry, mapOutputBlockId } from '@sluice/core/internal';
import type { BlockManager } from '../storage/block-manager.js';

/** What reading one reduce partition's segments of some map outputs gave. */
export type SegmentsRead = { readonly segments: Uint8Array[]; readonly bytes: number } | { readonly missing: number };

/**
 * A worker's shuffle map outputs, as Spark's IndexShuffleBlockResolver: each map task's
 * consolidated output (MapOutputFile) is one block of the BlockManager,
 * `shuffle_<job>_<shuffle>_<map>`, with two segments, the index and the data (two files
 * once spilled). A block is stored only when its task succeeded (`commit`), replacing what
 * an earlier attempt of the same map task left: its presence is the map output's commit.
 *
 * Reading a reduce partition's segment costs two index entries and one range of the data,
 * from memory or from the files alike; nothing else of the map output is read.
 * Threading: the worker's main thread (the BlockManager's).
 */
export class IndexShuffleBlockResolver {
  constructor(private readonly blocks: BlockManager) {}

  /** Store a successful map task's output (replacing an earlier attempt's). */
  commit(jobId: string, shuffleId: number, mapPartition: number, index: Uint8Array, data: Uint8Array): void {
    this.blocks.put(mapOutputBlockId(jobId, shuffleId, mapPartition), [index, data], 'SHUFFLE');
  }

  has(jobId: string, shuffleId: number, mapPartition: number): boolean {
    return this.blocks.has(mapOutputBlockId(jobId, shuffleId, mapPartition));
  }

  /**
   * Segment `reduce` of each map output in `maps`, in that order, as views (in memory) or
   * copies (read from disk); empty segments are left out. Every map output is looked for
   * before any is read: the first one missing is named and nothing else is returned.
   */
  readSegments(jobId: string, shuffleId: number, reduce: number, maps: readonly number[]): SegmentsRead {
    // One block id and one look-up per map output (a reduce task of a 2,000-map shuffle
    // asks a worker for 1,000 of them): the in-memory ones' segments are kept from it.
    const prefix = mapOutputBlockId(jobId, shuffleId, 0).slice(0, -1);
    const ids = new Array<string>(maps.length);
    const held = new Array<readonly Uint8Array[] | undefined>(maps.length);
    for (let i = 0; i < maps.length; i++) {
      const id = (ids[i] = prefix + maps[i]);
      held[i] = this.blocks.memorySegments(id);
      if (held[i] === undefined && !this.blocks.has(id)) return { missing: maps[i] };
    }
    const segments: Uint8Array[] = [];
    let bytes = 0;
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i];
      const id = ids[i];
      const inMemory = held[i];
      let seg: Uint8Array | undefined;
      if (inMemory !== undefined) {
        // Entries reduce and reduce + 1 of the index: where the segment starts and ends.
        const [index, data] = inMemory;
        if ((reduce + 2) * INDEX_ENTRY_BYTES > index.length) throw new SluiceError('SLUICE_INTERNAL', `reduce partition ${reduce} is outside map output ${id}'s ${index.length / INDEX_ENTRY_BYTES - 1} partitions`);
        const start = indexEntry(index, reduce);
        const end = indexEntry(index, reduce + 1);
        if (end === start) continue;
        seg = data.subarray(start, end);
      } else {
        // Spilled: the two index entries, then the segment, each read from its file alone.
        const entries = this.blocks.readRange(id, 0, reduce * INDEX_ENTRY_BYTES, (reduce + 2) * INDEX_ENTRY_BYTES);
        if (entries === undefined) return { missing: m };
        const start = indexEntry(entries, 0);
        const end = indexEntry(entries, 1);
        if (end === start) continue;
        seg = this.blocks.readRange(id, 1, start, end);
        if (seg === undefined) return { missing: m };
      }
      segments.push(seg);
      bytes += seg.length;
    }
    return { segments, bytes };
  }
}
