import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { DiskFullError, isDiskFull, isNotWritable, isTooManyOpenFiles, notWritableFix, SluiceError, tooManyOpenFilesFix, type StorageLevel } from '@sluice/core/internal';
import { BlockBufferPool } from './block-buffer-pool.js';

/** What a worker's store holds: blocks by kind and bytes in memory and on disk. */
export interface BlockStats {
  readonly inputBlocks: number;
  readonly shuffleBlocks: number;
  readonly rddBlocks: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
  readonly memoryLimitBytes: number;
}

type BlockKind = 'input' | 'shuffle' | 'rdd' | 'other';

/** A block's kind from its id: `input_`, `shuffle_` (a map task's consolidated output), `rdd_`. */
function kindOf(blockId: string): BlockKind {
  if (blockId.startsWith('input_')) return 'input';
  if (blockId.startsWith('shuffle_')) return 'shuffle';
  if (blockId.startsWith('rdd_')) return 'rdd';
  return 'other';
}

/**
 * A stored block as the shuffle resolver keeps it between reads (BlockManager.handle):
 * `segments` while it is held in memory, undefined once spilled or removed. Read-only to
 * its holder; the BlockManager changes it in place.
 */
export interface BlockHandle {
  readonly segments: readonly Uint8Array[] | undefined;
}

interface BlockEntry {
  /** Encoded segments held in memory, or undefined once spilled or removed (a handle held elsewhere then reads it as gone). */
  segments: Uint8Array[] | undefined;
  /** Segment files on local disk, once spilled. */
  files: string[] | undefined;
  size: number;
  level: StorageLevel | 'SHUFFLE';
  lastUse: number;
  readonly kind: BlockKind;
  /** Decoded copies of this block kept by task threads (holdDecoded), by holder: their estimated bytes. Absent while none. */
  decoded: Map<object, number> | undefined;
}

/**
 * A worker's store of blocks: shuffle map outputs (one block per map task: its index and
 * its data, MapOutputFile), cached RDD partitions and received input, each a list of
 * encoded segments. Memory is bounded: past `memoryLimit` bytes the least recently used
 * blocks go to local disk, a file per segment (shuffle outputs, MEMORY_AND_DISK), or are
 * dropped (MEMORY_ONLY: recomputed from lineage when needed). `readRange` reads part of a
 * segment without reading the rest, from memory or from its file.
 *
 * Decoded copies: a task thread that keeps a cached partition of a deserialized level decoded
 * (Spark's MEMORY_ONLY keeps objects) has it counted here (`holdDecoded`: the records' estimated
 * heap size, under the same limit, in memoryUsed as the driver sees it). They are a cache over
 * the bytes, which stay the block: room is made by dropping decoded copies (the least recently
 * kept first) before any block is spilled or dropped, a copy that finds no room that way is not
 * kept, and a block removed or spilled drops its copies. `onDecodedDropped` hears of each copy
 * the store dropped, to tell its thread.
 *
 * Invariants: `counts`, `memoryUsed`, `decodedUsed` and `diskUsed` always equal what a walk over the
 * blocks would sum (stats() is called on every heartbeat and does not walk them). A
 * segment made by `join` (a replica's pieces, in the `pool`'s memory) goes back to the
 * pool when the block is removed or spilled, unless it was handed out by `get`, `handle`
 * or `readRange` meanwhile (then its holder may keep it: the pool forgets it); `borrow`
 * lends the segments for a synchronous read only.
 * Threading: used from the worker's main thread only; task threads reach it by message.
 */
export class BlockManager {
  private readonly blocks = new Map<string, BlockEntry>();
  private readonly counts: Record<BlockKind, number> = { input: 0, shuffle: 0, rdd: 0, other: 0 };
  private diskUsed = 0;
  private memoryUsed = 0;
  /** Bytes of blocks moved from memory to disk for room since the store began (never less): what a task's puts spilled is its change across them. */
  private spilled = 0;
  /** Estimated bytes of the decoded copies held (holdDecoded), counted against the limit beside memoryUsed. */
  private decodedUsed = 0;
  private readonly decodedListeners: ((blockId: string, holder: object) => void)[] = [];
  private useCounter = 0;
  private fileCounter = 0;
  private readonly dir: string;
  private readonly memoryLimit: number;
  private readonly log: Logger;
  private readonly removalListeners: ((blockId: string) => void)[] = [];
  /** Cached partitions dropped (evicted for room, or unreadable) and spilled since the driver was last told. */
  private readonly rddDropped = new Set<string>();
  private readonly rddSpilled = new Set<string>();
  /** The reused memory `join` makes segments in. */
  readonly pool: BlockBufferPool;

  /** Makes the directory again when it is found gone (its parent, the worker's scratch directory, with its owner file). */
  private readonly makeDirAgain: () => void;

  constructor(opts: { dir: string; memoryLimit: number; log: Logger; pool?: BlockBufferPool; makeDirAgain?: () => void }) {
    this.pool = opts.pool ?? new BlockBufferPool();
    this.dir = opts.dir;
    this.makeDirAgain = opts.makeDirAgain ?? (() => fs.mkdirSync(this.dir, { recursive: true }));
    this.memoryLimit = opts.memoryLimit;
    this.log = opts.log.child({ component: 'block-manager' });
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Bytes of blocks this store has moved from memory to disk to make room (evictions of
   * MEMORY_AND_DISK and map output blocks), since it began: it only grows. Not a DISK_ONLY
   * block's own write. What a put spilled is its change across the put (Spark's
   * memoryBytesSpilled and diskBytesSpilled of the task that stored the block).
   */
  get bytesSpilled(): number {
    return this.spilled;
  }

  /** Bytes of the blocks held in memory (not the decoded copies' estimate: stats() adds it). */
  get memoryBytes(): number {
    return this.memoryUsed;
  }

  /** Counts by kind (block ids start with input_, shuffle_, rdd_) and bytes held. */
  stats(): BlockStats {
    return {
      inputBlocks: this.counts.input,
      shuffleBlocks: this.counts.shuffle,
      rddBlocks: this.counts.rdd,
      memoryBytes: this.memoryUsed + this.decodedUsed,
      diskBytes: this.diskUsed,
      memoryLimitBytes: this.memoryLimit,
    };
  }

  /**
   * Store (or replace) a block. Whole or not at all: when the room it needs cannot be made
   * (an older block cannot spill: a full --local-dir), it throws and the block is not held
   * (as Spark's doPut drops a block it could not put), nor the version it replaced.
   */
  put(blockId: string, segments: Uint8Array[], level: StorageLevel | 'SHUFFLE'): void {
    this.remove(blockId);
    this.rddDropped.delete(blockId);
    this.rddSpilled.delete(blockId);
    const size = segments.reduce((a, s) => a + s.length, 0);
    const entry: BlockEntry = { segments, files: undefined, size, level, lastUse: ++this.useCounter, kind: kindOf(blockId), decoded: undefined };
    if (level === 'DISK_ONLY') {
      this.writeToDisk(blockId, entry);
      this.blocks.set(blockId, entry);
      this.counts[entry.kind]++;
    } else {
      this.counts[entry.kind]++;
      this.blocks.set(blockId, entry);
      this.memoryUsed += size;
      try {
        this.evictIfNeeded(blockId);
      } catch (err) {
        this.remove(blockId);
        throw err;
      }
    }
  }

  has(blockId: string): boolean {
    return this.blocks.has(blockId);
  }

  /**
   * One segment of a block to put: `parts` joined, in the pool's reused memory when large
   * (it goes back there when the block is dropped, see the class comment).
   */
  join(parts: readonly Uint8Array[], size: number): Buffer {
    return this.pool.join(parts, size);
  }

  /** The block's segments, read back from disk if it was spilled; undefined if absent. The caller may keep them. */
  get(blockId: string): Uint8Array[] | undefined {
    const segments = this.read(blockId);
    const e = this.blocks.get(blockId);
    if (e?.segments) for (const s of e.segments) this.pool.forget(s);
    return segments;
  }

  /**
   * The block's segments as `get` gives them, for a read that ends before the caller's
   * synchronous turn does: neither they nor a view of them may be kept, posted or written
   * asynchronously (their memory may hold another block afterwards). Copy what is kept.
   */
  borrow(blockId: string): readonly Uint8Array[] | undefined {
    return this.read(blockId);
  }

  private read(blockId: string): Uint8Array[] | undefined {
    const e = this.blocks.get(blockId);
    if (!e) return undefined;
    e.lastUse = ++this.useCounter;
    if (e.segments) return e.segments;
    try {
      return (e.files ?? []).map((f) => fs.readFileSync(f));
    } catch (err) {
      this.log.warn({ err, blockId }, 'spilled block unreadable; dropping it');
      this.drop(blockId);
      return undefined;
    }
  }

  /**
   * The block's entry, kept by a caller that reads it often (the shuffle resolver's table
   * by map number) instead of looking its id up each time: it has no `segments` once the
   * block is spilled or removed. Its use is not recorded.
   */
  handle(blockId: string): BlockHandle | undefined {
    const e = this.blocks.get(blockId);
    if (e?.segments) for (const s of e.segments) this.pool.forget(s);
    return e;
  }

  /**
   * The cached partitions (rdd_ blocks) this store dropped (evicted for room, or unreadable)
   * and spilled to disk since the driver was last told (`told`): what a heartbeat reports.
   */
  rddChanges(): { readonly dropped: string[]; readonly spilled: string[] } {
    return { dropped: [...this.rddDropped], spilled: [...this.rddSpilled] };
  }

  /** The driver got these changes (its heartbeat answered): they are not told again. */
  told(changes: { readonly dropped: readonly string[]; readonly spilled: readonly string[] }): void {
    for (const id of changes.dropped) this.rddDropped.delete(id);
    for (const id of changes.spilled) this.rddSpilled.delete(id);
  }

  /** Remove a block the store itself gave up (its file unreadable); a cached partition's is told to the driver. */
  private drop(blockId: string): void {
    if (this.remove(blockId) && kindOf(blockId) === 'rdd') this.rddDropped.add(blockId);
  }

  /**
   * A task thread (`holder`) keeps block `blockId` decoded, about `bytes` of its heap: counted
   * while the block is held in memory. False when it is not (absent, or spilled), or when the
   * room cannot be made by dropping other decoded copies: the thread is to drop it then.
   */
  holdDecoded(blockId: string, holder: object, bytes: number): boolean {
    const e = this.blocks.get(blockId);
    if (!e?.segments || e.kind !== 'rdd') return false;
    this.releaseDecoded(blockId, holder);
    // Not even with every other block's copy dropped: refused, and none dropped for nothing.
    let sameBlock = 0;
    for (const b of e.decoded?.values() ?? []) sameBlock += b;
    if (this.memoryUsed + sameBlock + bytes > this.memoryLimit) return false;
    if (this.memoryUsed + this.decodedUsed + bytes > this.memoryLimit) this.dropDecodedFor(this.memoryUsed + this.decodedUsed + bytes - this.memoryLimit, e);
    if (this.memoryUsed + this.decodedUsed + bytes > this.memoryLimit) return false;
    (e.decoded ??= new Map()).set(holder, bytes);
    this.decodedUsed += bytes;
    this.decodedOrder.push([blockId, holder]);
    // Entries of copies released or dropped since are skipped where read; compacted once they are most of it.
    if (this.decodedOrder.length > 64 && this.decodedOrder.length > 4 * this.decodedCount()) {
      this.decodedOrder = this.decodedOrder.filter(([id, h]) => this.blocks.get(id)?.decoded?.has(h) === true);
    }
    return true;
  }

  /** The holder dropped its decoded copy of `blockId` (its thread ended): no longer counted. Not heard by onDecodedDropped. */
  releaseDecoded(blockId: string, holder: object): void {
    const e = this.blocks.get(blockId);
    const bytes = e?.decoded?.get(holder);
    if (bytes === undefined) return;
    e!.decoded!.delete(holder);
    if (e!.decoded!.size === 0) e!.decoded = undefined;
    this.decodedUsed -= bytes;
  }

  /** The cached blocks task threads keep decoded: each one's id to its copies' estimated bytes (the driver's storage figures add them). */
  decodedBlockBytes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, e] of this.blocks) {
      if (e.decoded === undefined) continue;
      let bytes = 0;
      for (const b of e.decoded.values()) bytes += b;
      out[id] = bytes;
    }
    return out;
  }

  /** How many decoded copies are held. */
  private decodedCount(): number {
    let n = 0;
    for (const e of this.blocks.values()) n += e.decoded?.size ?? 0;
    return n;
  }

  /** Call `listener` with each decoded copy this store drops (for room, or its block removed or spilled). */
  onDecodedDropped(listener: (blockId: string, holder: object) => void): void {
    this.decodedListeners.push(listener);
  }

  /** Decoded copies in the order they were kept (entries of copies since released or dropped are skipped). */
  private decodedOrder: [string, object][] = [];

  /** Drop decoded copies, the least recently kept first, until `need` bytes are freed or none is left (but `keep`'s). */
  private dropDecodedFor(need: number, keep?: BlockEntry): void {
    let freed = 0;
    let i = 0;
    const order = this.decodedOrder;
    const kept: [string, object][] = [];
    for (; i < order.length && freed < need; i++) {
      const [id, holder] = order[i];
      const e = this.blocks.get(id);
      const bytes = e?.decoded?.get(holder);
      if (bytes === undefined) continue;
      if (e === keep) {
        kept.push(order[i]);
        continue;
      }
      freed += bytes;
      this.dropDecoded(id, holder);
    }
    this.decodedOrder = [...kept, ...order.slice(i)];
  }

  private dropDecoded(blockId: string, holder: object): void {
    this.releaseDecoded(blockId, holder);
    for (const l of this.decodedListeners) l(blockId, holder);
  }

  /** Every decoded copy of a block dropped (it is removed or spilled). */
  private dropAllDecoded(blockId: string, e: BlockEntry): void {
    if (e.decoded === undefined) return;
    for (const holder of [...e.decoded.keys()]) this.dropDecoded(blockId, holder);
  }

  /** Call `listener` with the id of every block removed from now on (replaced, evicted, dropped, released). */
  onRemoved(listener: (blockId: string) => void): void {
    this.removalListeners.push(listener);
  }

  /**
   * Bytes [start, end) of segment `segment` of a block: a view of the segment in memory
   * (no copy), or read from its file alone when the block was spilled. Undefined if the
   * block is absent (or its file is unreadable: the block is dropped, as in `get`, and
   * `unreadable` told the file and what is wrong with it, in words: cut short, gone, or the
   * error). Throws when the range lies outside the segment.
   */
  readRange(blockId: string, segment: number, start: number, end: number, unreadable?: (file: string, problem: string) => void): Uint8Array | undefined {
    const e = this.blocks.get(blockId);
    if (!e) return undefined;
    e.lastUse = ++this.useCounter;
    if (e.segments) {
      const seg = e.segments[segment];
      if (seg === undefined || start < 0 || end < start || end > seg.length) throw this.badRange(blockId, segment, start, end, seg?.length);
      this.pool.forget(seg);
      return seg.subarray(start, end);
    }
    const file = e.files?.[segment];
    if (file === undefined) throw this.badRange(blockId, segment, start, end, undefined);
    const out = Buffer.allocUnsafeSlow(end - start);
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      let at = 0;
      while (at < out.length) {
        const n = fs.readSync(fd, out, at, out.length - at, start + at);
        if (n === 0) throw new FileCutShort(fs.fstatSync(fd).size, end);
        at += n;
      }
      return out;
    } catch (err) {
      const problem = fileProblem(err);
      this.log.warn({ err, blockId, file, problem }, 'spilled block unreadable; dropping it');
      this.drop(blockId);
      unreadable?.(file, problem);
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  private badRange(blockId: string, segment: number, start: number, end: number, length: number | undefined): SluiceError {
    return new SluiceError('SLUICE_INTERNAL', `block ${blockId} has no bytes [${start}, ${end}) in segment ${segment} (${length === undefined ? 'no such segment' : `${length} bytes`})`);
  }

  remove(blockId: string): boolean {
    const e = this.blocks.get(blockId);
    if (!e) return false;
    this.dropAllDecoded(blockId, e);
    this.blocks.delete(blockId);
    this.counts[e.kind]--;
    if (e.segments) this.memoryUsed -= e.size;
    else this.diskUsed -= e.size;
    for (const f of e.files ?? []) {
      // The block is gone whatever its files do: a file that cannot be removed (the directory
      // made read-only) must not fail what removed it (a failed task's clean-up, whose own error
      // it replaced), nor keep the listeners from hearing it. close() removes the directory.
      try {
        fs.rmSync(f, { force: true });
      } catch (err) {
        this.log.warn({ err, blockId, file: f }, "cannot remove a removed block's file; left until the worker stops");
      }
    }
    for (const s of e.segments ?? []) this.pool.giveBack(s);
    // A handle held elsewhere must not keep the bytes alive, nor read them.
    e.segments = undefined;
    for (const l of this.removalListeners) l(blockId);
    return true;
  }

  /** Every block id held now. */
  ids(): string[] {
    return [...this.blocks.keys()];
  }

  /** Ids of the jobs that own blocks here (block ids are `<kind>_<jobId>_...`; job ids hold no '_'). */
  jobIds(): Set<string> {
    const out = new Set<string>();
    for (const id of this.blocks.keys()) {
      const parts = id.split('_');
      if (parts.length > 2) out.add(parts[1]);
    }
    return out;
  }

  /** Remove every block whose id starts with `prefix`; returns how many. */
  removeByPrefix(prefix: string): number {
    let n = 0;
    for (const id of [...this.blocks.keys()]) if (id.startsWith(prefix) && this.remove(id)) n++;
    return n;
  }

  close(): void {
    for (const id of [...this.blocks.keys()]) this.remove(id);
    this.pool.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private evictIfNeeded(keep: string): void {
    // Decoded copies go first: a cache over the bytes, never kept at a block's expense.
    if (this.memoryUsed + this.decodedUsed > this.memoryLimit) this.dropDecodedFor(this.memoryUsed + this.decodedUsed - this.memoryLimit);
    if (this.memoryUsed <= this.memoryLimit) return;
    const inMemory = [...this.blocks.entries()].filter(([id, e]) => e.segments && id !== keep).sort((a, b) => a[1].lastUse - b[1].lastUse);
    for (const [id, e] of inMemory) {
      if (this.memoryUsed <= this.memoryLimit) break;
      if (e.level === 'MEMORY_ONLY') {
        this.log.debug({ blockId: id, size: e.size }, 'evicting cached block');
        this.remove(id);
        if (e.kind === 'rdd') this.rddDropped.add(id);
      } else {
        this.writeToDisk(id, e, keep);
        this.memoryUsed -= e.size;
        this.spilled += e.size;
        if (e.kind === 'rdd') this.rddSpilled.add(id);
      }
    }
  }

  /**
   * Write one spill file. The directory may have been removed from under the worker (a cleaner
   * of /tmp, where --local-dir is by default: Debian's systemd-tmpfiles removes what was not
   * used for 10 days): it is made again, once, and the write tried again, so that the worker
   * can spill again instead of failing every spill for as long as it runs.
   */
  private writeSpillFile(f: string, seg: Uint8Array): void {
    try {
      fs.writeFileSync(f, seg);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || fs.existsSync(this.dir)) throw err;
      this.log.warn(
        { dir: this.dir },
        "this worker's block directory is gone (removed while the worker ran, as a /tmp cleaner such as systemd-tmpfiles does to files unused for days): made again; blocks spilled there before are lost and computed again from their lineage. Start the worker with --local-dir on a directory no cleaner empties",
      );
      this.makeDirAgain();
      fs.writeFileSync(f, seg);
    }
  }

  /**
   * Write block `blockId`'s segments to files on disk and let go of its memory. `forBlock`: the
   * block being stored that this one makes room for (a spill), which an error names beside it,
   * so a task's failure says what the task was storing, not only the older block (perhaps
   * another job's) that could not be moved out; absent for a DISK_ONLY block's own write.
   */
  private writeToDisk(blockId: string, e: BlockEntry, forBlock?: string): void {
    const files: string[] = [];
    try {
      for (const seg of e.segments ?? []) {
        const f = path.join(this.dir, `${++this.fileCounter}.seg`);
        // Listed before it is written: a write the disk cut short leaves a file to remove too.
        files.push(f);
        this.writeSpillFile(f, seg);
      }
    } catch (err) {
      // The write's own error is what the user acts on: a file that cannot be removed either
      // (the directory made read-only meanwhile) is left to close(), which removes the directory.
      for (const f of files) {
        try {
          fs.rmSync(f, { force: true });
        } catch {
          // left behind
        }
      }
      const what = forBlock === undefined ? describeBlock(blockId) : `${describeBlock(blockId)}, moved out of memory to make room for ${describeBlock(forBlock)},`;
      if (isDiskFull(err)) {
        throw new DiskFullError({ path: this.dir, what, where: `worker ${process.pid}'s local directory`, fix: 'start the worker with --local-dir on a larger disk', cause: err });
      }
      const fix = isTooManyOpenFiles(err)
        ? tooManyOpenFilesFix('This worker process')
        : isNotWritable(err)
          ? notWritableFix(this.dir, err, 'start the worker with --local-dir elsewhere')
          : 'Free disk space or set --local-dir to a larger disk';
      throw new SluiceError('SLUICE_IO', `cannot spill block ${blockId} to '${this.dir}'${forBlock === undefined ? '' : ` (to make room for block ${forBlock})`}: ${(err as Error).message}. ${fix}.`, {
        cause: err,
      });
    }
    this.dropAllDecoded(blockId, e);
    e.files = files;
    for (const s of e.segments ?? []) this.pool.giveBack(s);
    e.segments = undefined;
    this.diskUsed += e.size;
    this.log.debug({ blockId, size: e.size }, 'block spilled to disk');
  }
}

/** A spilled file shorter than a read of it needs (it was cut short after it was written). */
class FileCutShort extends Error {
  constructor(
    readonly size: number,
    readonly needed: number,
  ) {
    super(`the file ends before byte ${needed}`);
  }
}

/** What is wrong with a spilled file a read failed on, in words. */
function fileProblem(err: unknown): string {
  if (err instanceof FileCutShort) return `is ${err.size} bytes, cut short of the ${err.needed} this read needs (it was truncated after it was written)`;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'is gone (ENOENT: removed from the local directory after it was written)';
  return `cannot be read: ${(err as Error).message}`;
}

/** What a block holds, in a user's words: "shuffle output of shuffle 0, map task 3 (block shuffle_j1_0_3)". */
function describeBlock(blockId: string): string {
  const p = blockId.split('_');
  if (p[0] === 'shuffle' && p.length >= 4) return `the shuffle output of shuffle ${p[2]}, map task ${p[3]} (block ${blockId})`;
  if (p[0] === 'rdd' && p.length >= 4) return `the cached partition ${p[p.length - 1]} of RDD ${p[2]} (block ${blockId})`;
  return `block ${blockId}`;
}
