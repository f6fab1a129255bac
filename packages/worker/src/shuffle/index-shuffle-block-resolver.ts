import { INDEX_ENTRY_BYTES, MAP_MARK_BYTES, SluiceError, indexEntry, indexWords, mapOutputBlockId, wordEntry, writeMapMark } from '@sluice/core/internal';
import type { BlockHandle, BlockManager } from '../storage/block-manager.js';

/**
 * What reading one reduce partition's segments of some map outputs gave: the segments back
 * to back in one buffer of its own (safe to transfer to another thread), or the first map
 * output asked for that is not here, with `unreadable` when it is not here because its
 * spilled files could not be read (what is wrong, naming the block and the file).
 */
export type SegmentsRead = { readonly data: Uint8Array } | { readonly missing: number; readonly unreadable?: string };

/** At most this many map outputs dropped as unreadable are remembered (the oldest forgotten first). */
const UNREADABLE_KEPT = 256;

/** Segments up to this many bytes are copied byte by byte: cheaper than a view and `set`. */
const SMALL_COPY_BYTES = 64;

/**
 * How many reduce partitions a read covers: the one asked for and the next ones, read while
 * the map outputs' index and data lines are still in the cache and kept for their requests
 * (every reduce partition is asked of a worker once, mostly in order). A read of one
 * partition of M map outputs misses the cache on each map output's index and data; the next
 * partitions' entries and segments lie beside them.
 */
export const READ_AHEAD_PARTITIONS = 8;

/** At most this many bytes of read-ahead answers are held by a resolver (past it, partitions are read when asked). */
export const READ_AHEAD_BYTES = 8 << 20;

/** Partitions larger than this are not read ahead (nor after one this large): their copy, not the cache, is their cost. */
const AHEAD_PARTITION_BYTES = 1 << 20;

/** A reduce partition read ahead: its answer, and what it was read from (to tell whether it answers a request). */
interface ReadAhead {
  readonly data: Uint8Array;
  /** The map outputs read, in strictly ascending order. */
  readonly maps: ArrayLike<number>;
  /** By position in `maps`: 1 where that map output's segment is not empty. */
  readonly nonEmpty: Uint8Array;
}

/** One shuffle's map outputs on this worker, by map number. */
interface ShuffleTable {
  readonly handles: (BlockHandle | undefined)[];
  /**
   * By map number: the index (segment 0 of the handle's block) that `words` views, and that
   * view of it as 32-bit words (an entry is two: low, high), made at the map output's first
   * read in memory and not per read; let go when the block is removed (its slot emptied) or
   * read spilled. Made again if the handle's index is another buffer (the store never does
   * that to a held block: a replaced one is removed first; checked all the same).
   */
  readonly indexes: (Uint8Array | undefined)[];
  readonly words: (Uint32Array | undefined)[];
  /** Slots of `handles` that are set. */
  live: number;
  /** Reduce partitions read ahead and not asked for yet (emptied when any map output of the shuffle comes or goes). */
  readonly ahead: Map<number, ReadAhead>;
}

/**
 * A worker's shuffle map outputs, as Spark's IndexShuffleBlockResolver: each map task's
 * consolidated output (MapOutputFile) is one block of the BlockManager,
 * `shuffle_<job>_<shuffle>_<map>`, with two segments, the index and the data (two files
 * once spilled). A block is stored only when its task succeeded (`commit`), replacing what
 * an earlier attempt of the same map task left: its presence is the map output's commit.
 *
 * Reading a reduce partition's segment costs two index entries and one range of the data,
 * from memory or from the files alike; nothing else of the map output is read. The map
 * outputs of a shuffle are found through a table by map number holding the BlockManager's
 * handles (no block id built and looked up per map output and reduce partition: a
 * 2,000 x 2,000 shuffle reads 4,000,000 segments). A handle is only a shortcut: one that
 * reads as removed or spilled, or a slot never filled (a block a decommissioning peer put
 * here), is looked up by id again (a removed block's handle has no segments either).
 *
 * Invariants: a table slot is either empty or a handle of the block with that map number's
 * id (set by `commit` or a look-up by id, cleared when the BlockManager removes that
 * block); a table with no slot set is dropped, so a finished job leaves none behind.
 * Threading: the worker's main thread (the BlockManager's).
 */
export class IndexShuffleBlockResolver {
  /** By `<job>_<shuffle>`: the prefix of its map outputs' block ids, without the map number. */
  private readonly tables = new Map<string, ShuffleTable>();
  /** Bytes of the read-ahead answers held (READ_AHEAD_BYTES at most). */
  private aheadBytes = 0;
  /**
   * By block id: why a map output dropped here was unreadable (its spilled file cut short,
   * gone, or failing to read), so that every later request for it is told so, not only the
   * first (the block is dropped at that read). Forgotten when the map output is committed here
   * again; UNREADABLE_KEPT at most.
   */
  private readonly unreadable = new Map<string, string>();

  constructor(private readonly blocks: BlockManager) {
    blocks.onRemoved((blockId) => this.removed(blockId));
  }

  /** Store a successful map task's output (replacing an earlier attempt's). */
  commit(jobId: string, shuffleId: number, mapPartition: number, index: Uint8Array, data: Uint8Array): void {
    const id = mapOutputBlockId(jobId, shuffleId, mapPartition);
    this.unreadable.delete(id);
    this.blocks.put(id, [index, data], 'SHUFFLE');
    const h = this.blocks.handle(id);
    const t = this.tables.get(`${jobId}_${shuffleId}`);
    if (t !== undefined) this.forgetAhead(t);
    if (h !== undefined) this.set(this.table(jobId, shuffleId), mapPartition, h);
  }

  has(jobId: string, shuffleId: number, mapPartition: number): boolean {
    return this.blocks.has(mapOutputBlockId(jobId, shuffleId, mapPartition));
  }

  /** How many map outputs' indexes the tables hold a words view of (a test's view: none once spilled and read, or removed). */
  get indexViews(): number {
    let n = 0;
    for (const t of this.tables.values()) for (const x of t.indexes) if (x !== undefined) n++;
    return n;
  }

  /** How many shuffles have a table here (a test's view: a finished job leaves none). */
  get tableCount(): number {
    return this.tables.size;
  }

  /** Reduce partitions read ahead and not asked for yet, and their bytes (a test's view). */
  get readAhead(): { readonly partitions: number; readonly bytes: number } {
    let partitions = 0;
    for (const t of this.tables.values()) partitions += t.ahead.size;
    return { partitions, bytes: this.aheadBytes };
  }

  /**
   * Segment `reduce` of each map output in `maps`, in that order, copied back to back into
   * one buffer (read from memory or from the spilled files), each after its map mark (the
   * map's index: a reader takes segments in map order, map-order.ts); empty segments add nothing.
   * Every map output is looked for before any is copied: the first one missing is named
   * and nothing else is returned.
   *
   * When `maps` names every map output held here of the shuffle, in ascending order, and all
   * are in memory, the next
   * reduce partitions (READ_AHEAD_PARTITIONS in all) are read too, while their lines are in
   * the cache, and kept: a later request for one of them is answered from what was kept when
   * that is exactly what a read would give now (the same map outputs with data for it, in
   * the same order; none of the shuffle's map outputs has come or gone since), else read.
   */
  read(jobId: string, shuffleId: number, reduce: number, maps: ArrayLike<number>): SegmentsRead {
    const table = this.tables.get(`${jobId}_${shuffleId}`);
    const kept = table?.ahead.get(reduce);
    if (kept !== undefined) {
      table!.ahead.delete(reduce);
      this.aheadBytes -= kept.data.length;
      if (answers(kept, maps)) return { data: kept.data };
    }
    const spanned = table !== undefined ? this.readSpan(table, reduce, maps) : undefined;
    if (spanned !== undefined) return { data: spanned };
    const got = this.readOne(jobId, shuffleId, reduce, maps, undefined, Infinity);
    if (!('data' in got)) return got;
    if (got.inMemory && got.data.length <= AHEAD_PARTITION_BYTES) this.readAheadOf(jobId, shuffleId, reduce, maps);
    return { data: got.data };
  }

  /**
   * Read partitions reduce + 1 on (up to READ_AHEAD_PARTITIONS in all, within the shuffle's
   * partitions and READ_AHEAD_BYTES) of `maps`, all in memory, and keep the non-empty ones.
   */
  private readAheadOf(jobId: string, shuffleId: number, reduce: number, asked: ArrayLike<number>): void {
    const table = this.tables.get(`${jobId}_${shuffleId}`);
    // Only a request of every map output held here (a dense shuffle's): one that leaves some
    // out (those empty for it) says little of what the next partitions' requests will name.
    if (table === undefined || asked.length === 0 || asked.length !== table.live) return;
    for (let i = 1; i < asked.length; i++) if (!(asked[i] > asked[i - 1])) return;
    const index = table.indexes[asked[0]];
    if (index === undefined) return;
    const partitions = index.length / INDEX_ENTRY_BYTES - 1;
    const last = Math.min(partitions, reduce + READ_AHEAD_PARTITIONS) - 1;
    // A copy: the caller's array is not held.
    const maps = Int32Array.from(asked);
    for (let p = reduce + 1; p <= last; p++) {
      if (table.ahead.has(p)) continue;
      const nonEmpty = new Uint8Array(maps.length);
      const got = this.readOne(jobId, shuffleId, p, maps, nonEmpty, Math.min(AHEAD_PARTITION_BYTES, READ_AHEAD_BYTES - this.aheadBytes));
      if (!('data' in got) || !got.inMemory) return;
      if (got.data.length === 0) continue;
      table.ahead.set(p, { data: got.data, maps, nonEmpty });
      this.aheadBytes += got.data.length;
    }
  }

  /**
   * `read` of a dense request (every map output held here, ascending) whose map outputs are
   * all in memory with a words view of their index: partition `reduce` and the ones read
   * ahead of it (as readAheadOf keeps them) in one pass over the map outputs instead of one
   * pass a partition. Each map output's handle, index and data are reached once, and its
   * READ_AHEAD_PARTITIONS segments, which lie side by side in its data, are copied together.
   * Undefined, having changed nothing, when the request is not such a one (then `read`
   * reads as before).
   */
  private readSpan(table: ShuffleTable, reduce: number, maps: ArrayLike<number>): Uint8Array | undefined {
    const n = maps.length;
    if (n === 0 || n !== table.live) return undefined;
    for (let i = 1; i < n; i++) if (!(maps[i] > maps[i - 1])) return undefined;
    const firstHeld = table.handles[maps[0]]?.segments;
    if (firstHeld === undefined) return undefined;
    const last = Math.min(firstHeld[0].length / INDEX_ENTRY_BYTES - 1, reduce + READ_AHEAD_PARTITIONS) - 1;
    if (last < reduce) return undefined;
    const span = last - reduce + 1;
    const stride = span + 1;
    // First pass: entries reduce .. last + 1 of every map output's index, and each partition's total.
    const offsets = new Float64Array(n * stride);
    const sources = new Array<Uint8Array>(n);
    const totals = new Float64Array(span);
    const needed = (last + 2) * INDEX_ENTRY_BYTES;
    for (let i = 0; i < n; i++) {
      const m = maps[i];
      const held = table.handles[m]?.segments;
      if (held === undefined) return undefined;
      const index = held[0];
      if (needed > index.length) return undefined;
      const words = table.indexes[m] === index ? table.words[m] : this.wordsOf(table, m, index);
      if (words === undefined) return undefined;
      const at = i * stride;
      let prev = wordEntry(words, reduce);
      offsets[at] = prev;
      for (let k = 1; k <= span; k++) {
        const next = wordEntry(words, reduce + k);
        offsets[at + k] = next;
        if (next > prev) totals[k - 1] += MAP_MARK_BYTES + next - prev;
        prev = next;
      }
      sources[i] = held[1];
    }
    // Which partitions are copied: the one asked for; then, as readAheadOf, the next ones not
    // held already, non-empty, each within AHEAD_PARTITION_BYTES and what READ_AHEAD_BYTES leaves.
    const out = new Array<Uint8Array | undefined>(span);
    out[0] = new Uint8Array(totals[0]);
    if (totals[0] <= AHEAD_PARTITION_BYTES) {
      let room = READ_AHEAD_BYTES - this.aheadBytes;
      for (let k = 1; k < span; k++) {
        if (table.ahead.has(reduce + k)) continue;
        if (totals[k] > Math.min(AHEAD_PARTITION_BYTES, room)) break;
        if (totals[k] === 0) continue;
        out[k] = new Uint8Array(totals[k]);
        room -= totals[k];
      }
    }
    // Second pass: each map output's segments into their partitions' buffers.
    const nonEmpty = out.map((o, k) => (k > 0 && o !== undefined ? new Uint8Array(n) : undefined));
    const cursors = new Float64Array(span);
    for (let i = 0; i < n; i++) {
      const src = sources[i];
      const at = i * stride;
      for (let k = 0; k < span; k++) {
        const data = out[k];
        if (data === undefined) continue;
        const start = offsets[at + k];
        const end = offsets[at + k + 1];
        if (end === start) continue;
        let to = writeMapMark(data, cursors[k], maps[i]);
        if (end - start <= SMALL_COPY_BYTES) {
          for (let j = start; j < end; j++) data[to++] = src[j];
        } else {
          data.set(src.subarray(start, end), to);
          to += end - start;
        }
        cursors[k] = to;
        const ne = nonEmpty[k];
        if (ne !== undefined) ne[i] = 1;
      }
    }
    const asked = Int32Array.from(maps);
    for (let k = 1; k < span; k++) {
      const data = out[k];
      if (data === undefined) continue;
      table.ahead.set(reduce + k, { data, maps: asked, nonEmpty: nonEmpty[k]! });
      this.aheadBytes += data.length;
    }
    return out[0];
  }

  /** Let go of a shuffle's read-ahead answers (a map output came or went: they may no longer be what a read gives). */
  private forgetAhead(table: ShuffleTable): void {
    for (const a of table.ahead.values()) this.aheadBytes -= a.data.length;
    table.ahead.clear();
  }

  /**
   * `read` of one partition; `inMemory`: every map output was read from memory; `nonEmpty[i]`
   * set where maps[i]'s segment is not empty. A read of more than `limit` bytes copies
   * nothing and gives an empty answer not `inMemory`.
   */
  private readOne(jobId: string, shuffleId: number, reduce: number, maps: ArrayLike<number>, nonEmpty: Uint8Array | undefined, limit: number): { readonly data: Uint8Array; readonly inMemory: boolean } | { readonly missing: number; readonly unreadable?: string } {
    let table = this.tables.get(`${jobId}_${shuffleId}`);
    let inMemory = true;
    const n = maps.length;
    // First pass: where each segment lies (in memory: a view's source and range; spilled:
    // read now, as a copy), and the total.
    const sources = new Array<Uint8Array | undefined>(n);
    const starts = new Float64Array(n);
    const ends = new Float64Array(n);
    const entryEnd = (reduce + 2) * INDEX_ENTRY_BYTES;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const m = maps[i];
      let h = table?.handles[m];
      if (h === undefined) {
        const id = mapOutputBlockId(jobId, shuffleId, m);
        h = this.blocks.handle(id);
        if (h === undefined) return this.missing(id, m);
        table ??= this.table(jobId, shuffleId);
        this.set(table, m, h);
      }
      const held = h.segments;
      if (held !== undefined) {
        // Entries reduce and reduce + 1 of the index: where the segment starts and ends.
        const index = held[0];
        if (entryEnd > index.length) throw this.outside(jobId, shuffleId, m, reduce, index.length);
        table ??= this.table(jobId, shuffleId);
        const words = table.indexes[m] === index ? table.words[m] : this.wordsOf(table, m, index);
        const start = words !== undefined ? wordEntry(words, reduce) : indexEntry(index, reduce);
        const end = words !== undefined ? wordEntry(words, reduce + 1) : indexEntry(index, reduce + 1);
        sources[i] = held[1];
        starts[i] = start;
        ends[i] = end;
        if (end > start) total += MAP_MARK_BYTES + end - start;
        if (nonEmpty !== undefined && end > start) nonEmpty[i] = 1;
      } else {
        // Spilled: the two index entries, then the segment, each read from its file alone.
        // The index's words view held for it is let go (the spill was to free its memory).
        inMemory = false;
        if (table?.indexes[m] !== undefined) table.indexes[m] = table.words[m] = undefined;
        const id = mapOutputBlockId(jobId, shuffleId, m);
        const entries = this.blocks.readRange(id, 0, reduce * INDEX_ENTRY_BYTES, entryEnd, (file, problem) => this.unreadableFile(id, 'index', file, problem));
        if (entries === undefined) return this.missing(id, m);
        const start = indexEntry(entries, 0);
        const end = indexEntry(entries, 1);
        if (end === start) continue;
        const seg = this.blocks.readRange(id, 1, start, end, (file, problem) => this.unreadableFile(id, 'data', file, problem));
        if (seg === undefined) return this.missing(id, m);
        sources[i] = seg;
        ends[i] = seg.length;
        total += MAP_MARK_BYTES + seg.length;
        if (nonEmpty !== undefined) nonEmpty[i] = 1;
      }
    }
    if (total > limit) return { data: new Uint8Array(0), inMemory: false };
    const data = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const src = sources[i];
      if (src === undefined) continue;
      const start = starts[i];
      const end = ends[i];
      const len = end - start;
      if (len === 0) continue;
      at = writeMapMark(data, at, maps[i]);
      if (len <= SMALL_COPY_BYTES) {
        for (let j = start; j < end; j++) data[at++] = src[j];
      } else {
        data.set(src.subarray(start, end), at);
        at += len;
      }
    }
    return { data, inMemory };
  }

  /** Map output `m` (block `id`) is not here: why, if it was dropped as unreadable. */
  private missing(id: string, m: number): { readonly missing: number; readonly unreadable?: string } {
    const why = this.unreadable.get(id);
    return why === undefined ? { missing: m } : { missing: m, unreadable: why };
  }

  /** Block `id`'s spilled `which` file could not be read (the store dropped the block): remembered for every later request. */
  private unreadableFile(id: string, which: 'index' | 'data', file: string, problem: string): void {
    this.unreadable.delete(id);
    this.unreadable.set(id, `its ${which} file '${file}' (block ${id}) ${problem}`);
    if (this.unreadable.size > UNREADABLE_KEPT) this.unreadable.delete(this.unreadable.keys().next().value!);
  }

  private outside(jobId: string, shuffleId: number, m: number, reduce: number, indexBytes: number): SluiceError {
    return new SluiceError('SLUICE_INTERNAL', `reduce partition ${reduce} is outside map output ${mapOutputBlockId(jobId, shuffleId, m)}'s ${indexBytes / INDEX_ENTRY_BYTES - 1} partitions`);
  }

  private table(jobId: string, shuffleId: number): ShuffleTable {
    const key = `${jobId}_${shuffleId}`;
    let t = this.tables.get(key);
    if (t === undefined) this.tables.set(key, (t = { handles: [], indexes: [], words: [], live: 0, ahead: new Map() }));
    return t;
  }

  /** Map output `m`'s index as 32-bit words (indexWords), kept in its slot; undefined (read by bytes) where there is no such view. */
  private wordsOf(table: ShuffleTable, m: number, index: Uint8Array): Uint32Array | undefined {
    const words = indexWords(index);
    table.indexes[m] = index;
    table.words[m] = words;
    return words;
  }

  private set(table: ShuffleTable, m: number, h: BlockHandle): void {
    if (table.handles[m] === undefined) table.live++;
    table.handles[m] = h;
  }

  /** A block left the store: a map output's slot is emptied (and its table dropped once empty). */
  private removed(blockId: string): void {
    if (!blockId.startsWith('shuffle_')) return;
    // shuffle_<job>_<shuffle>_<map>: job ids hold no '_'.
    const cut = blockId.lastIndexOf('_');
    const t = this.tables.get(blockId.slice(8, cut));
    if (t === undefined) return;
    const m = Number(blockId.slice(cut + 1));
    this.forgetAhead(t);
    if (t.handles[m] === undefined) return;
    t.handles[m] = undefined;
    t.indexes[m] = undefined;
    t.words[m] = undefined;
    if (--t.live === 0) this.tables.delete(blockId.slice(8, cut));
  }
}

/**
 * Whether a partition read ahead is what a read of `maps` gives now: `maps` in ascending
 * order, each among the map outputs it was read from, and the ones left out all empty for
 * it (then the same segments come in the same order).
 */
function answers(kept: ReadAhead, maps: ArrayLike<number>): boolean {
  const from = kept.maps;
  let j = 0;
  for (let i = 0; i < from.length; i++) {
    if (j < maps.length && maps[j] === from[i]) j++;
    else if (kept.nonEmpty[i] === 1) return false;
  }
  return j === maps.length;
}
