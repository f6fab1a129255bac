import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import type { ReceivedBlock } from '../streaming/streaming-backend.js';
import { DEFAULT_FENCE_KEEP_MS, beginWalIncarnation, currentWalIncarnationSync, parseSealFileName, readWalSeal, sealFileName, fenceFileName, sealWriter, walWriterIncarnation, type WalSeal } from './wal-seal.js';
import { parseReceivedBlockId, parseSegmentFileName, scanWalSegment, type DamagedWalSpan, type ScannedBlock } from './wal-segment.js';

/** Ended writers a log remembers having sealed, or hearing were released (a placement each: thousands over a run of days). */
const SEALED_WRITERS_KEPT = 10_000;

/** A segment of an ended writer that ends in a torn record: its bytes from `offset` to `size` are not a complete record and are skipped. */
export interface TornWalTail {
  readonly segment: string;
  readonly writer: string;
  readonly offset: number;
  readonly size: number;
}

/**
 * Bytes inside an ended writer's segment that hold no readable record (changed after they
 * were written), with complete records after them, which are read. The blocks in those bytes
 * are lost: `seqs` (inclusive) names them when the blocks around them tell, `positions`
 * ([from, to)) their records' source positions when those blocks carry positions.
 */
export interface DamagedWalRecords {
  readonly segment: string;
  readonly writer: string;
  readonly offset: number;
  readonly end: number;
  readonly why: string;
  readonly seqs?: readonly [number, number];
  readonly positions?: readonly [number, number];
  /** Complete records read after the damage in this segment. */
  readonly recordsAfter: number;
  /** Every block in the bytes went to a batch before (seq at most the writer's high-water mark): nothing is lost unless a batch run again reads it. */
  readonly handedOut: boolean;
}

/** What a ReceivedBlockLog keeps across a driver restart (plain JSON). */
export interface ReceivedBlockLogData {
  /** Per writer: the highest block sequence number handed to a batch. */
  readonly allocated: Record<string, number>;
  /** Per writer: the highest block sequence number of a batch that completed and is forgotten. */
  readonly cleared: Record<string, number>;
  /** Source positions handed to batches, as merged [from, to) ranges (receivers that give positions). */
  readonly positions?: [number, number][];
}

/**
 * The driver's view of one receiver stream's blocks, as Spark's ReceivedBlockTracker
 * with its write-ahead log: which blocks went to a batch, which batches are forgotten,
 * and (with the log on) the log itself.
 *
 * Every block a writer (one receiver placement) stores has a sequence number, and a
 * writer's blocks reach the driver in that order — by report while the writer runs; by
 * reading its segments once it ended (its worker died after logging a block but before
 * reporting it, or the blocks were logged after the last metadata checkpoint of a driver
 * that died). So per writer the blocks handed to batches are the ones up to a high-water
 * mark (`allocated`), and a block is handed to a batch at most once however it arrives.
 * Batches are forgotten in time order, so the blocks of forgotten batches are, per
 * writer, the ones up to `cleared`; a segment whose blocks are all cleared is deleted.
 *
 * Receivers that give source positions (`store(records, { position })`) are counted
 * exactly once even when their source sends records again (a receiver that died after its
 * records became durable but before it acknowledged them): the positions handed to
 * batches are kept as merged ranges, and a block's records at positions already counted
 * are left out of the batch (`ReceivedBlock.take`; a block left with none stays in the
 * batch with an empty `take`, so its segment is still deleted when the batch is forgotten).
 *
 * A writer the tracker ended (`endedWriters`: its placement was replaced) is sealed before
 * its log is read (wal-seal.ts): only the records it had completed by then are its blocks,
 * so a placement that wakes after a freeze or a partition adds nothing (its stores are
 * refused, and the source sends their records to the placement that replaced it).
 * A writer of an earlier driver instance (its incarnation, in its name, older than this log's:
 * beginIncarnation) is sealed likewise, all at once (sealOlderIncarnations) before this log
 * is read; one first seen after that (a placement frozen across the restart, woken) gets an
 * empty seal: nothing it appends after the restart counts.
 *
 * Invariants: cleared <= allocated per writer; a segment of a live writer is deleted only
 * once the next one exists (its blocks are then known by their sequence numbers); a sealed
 * writer's blocks are the records inside its seal.
 * Threading: the job's driver thread; one call at a time (the JobGenerator awaits each).
 */
export class ReceivedBlockLog {
  private readonly allocated = new Map<string, number>();
  private readonly cleared = new Map<string, number>();
  /** Positions handed to batches: sorted, disjoint, non-adjacent [from, to) ranges. */
  private positions: [number, number][] = [];
  /** Segments of ended writers read so far: the offset after their last complete record and their last block's sequence number. */
  private readonly scanned = new Map<string, { offset: number; lastSeq: number | undefined; positionEnd?: number }>();
  /** Per ended writer seen: its seal, or null when it has none (not ended by this driver). */
  private readonly seals = new Map<string, WalSeal | null>();
  /** Torn tails already reported (`<file>@<offset>`): each is said once. */
  private readonly tornSaid = new Set<string>();
  /**
   * Ended writers this log sealed, in order (the last SEALED_WRITERS_KEPT): each is sealed once,
   * at the first take() that knows it ended, whether or not segments of it remain; their
   * blocks are then the log's (read inside the seal), never a late report's.
   */
  private readonly sealedWriters = new Set<string>();
  /**
   * Ended writers whose placement is known to have stopped (BlockAllocation.releasedWriters), and
   * when this log first heard so (the last SEALED_WRITERS_KEPT). Only such a writer's fence is
   * ever deleted: one whose placement may still run (its worker declared lost, frozen, woken
   * minutes later) keeps it, or, woken, it would store and acknowledge again beside its replacement.
   */
  private readonly releasedAt = new Map<string, number>();
  /** This driver instance's incarnation in the log (beginIncarnation); undefined: not begun (the log off, or no receiver started). */
  private incarnation: number | undefined;
  /** Whether the writers of older incarnations found in the log were sealed (sealOlderIncarnations): one seen later has appended only since. */
  private olderSealed = false;

  /**
   * `dir`: the stream's log directory, or undefined when the log is off. `onTornTail`: told
   * once of each segment found ending in a torn record (its writer died while appending it).
   * `onDamaged`: told once of each run of damaged bytes inside a segment (see DamagedWalRecords).
   */
  constructor(
    private readonly streamId: number,
    private readonly dir: string | undefined,
    private readonly onTornTail?: (torn: TornWalTail) => void,
    private readonly onDamaged?: (damaged: DamagedWalRecords) => void,
    /** How long a released writer's fence and seal outlive its segments (writeAheadLog.fenceKeep). */
    private readonly fenceKeepMs = DEFAULT_FENCE_KEEP_MS,
  ) {}

  /**
   * With the log on, as the stream starts (before its receiver is placed): takes the log's next
   * driver incarnation (wal-seal.ts's beginWalIncarnation), which fences every placement of an
   * earlier driver instance, and returns it for this instance's placements to be named with.
   * Undefined with the log off. If it cannot be written (a full or read-only disk), `onFail` is
   * told and the incarnation stays the one the log holds: this instance's placements are not
   * fenced by it, and an earlier instance's placements of that incarnation are not either (as
   * before incarnations were kept). A damaged file (not a number) counts as the highest
   * incarnation the log's writers name (its file names and this log's restored marks), and
   * `onDamaged` is told (wal-seal.ts's currentWalIncarnationSync).
   */
  beginIncarnation(onFail?: (err: SluiceError) => void, onDamaged?: (message: string) => void): number | undefined {
    if (!this.dir) return undefined;
    this.olderSealed = false;
    const known = [...this.allocated.keys(), ...this.cleared.keys()];
    try {
      this.incarnation = beginWalIncarnation(this.dir, known, onDamaged);
    } catch (err) {
      let now = 0;
      try {
        now = currentWalIncarnationSync(this.dir, known);
      } catch {
        // unreadable: as none
      }
      this.incarnation = now;
      onFail?.(err as SluiceError);
    }
    return this.incarnation;
  }

  /**
   * Seals every writer of an older incarnation found in the log (its segments, or a fence or
   * seal of it), to be run at once after beginIncarnation: a placement of an earlier instance
   * still running (its worker not yet registered with this driver) waits for its seal after
   * each append, and an acknowledged record is then one this log reads.
   */
  async sealOlderIncarnations(): Promise<void> {
    if (!this.dir || this.incarnation === undefined) return;
    const names = await this.listDir();
    const writers = new Set<string>();
    for (const n of names) {
      const w = parseSegmentFileName(n)?.writer ?? parseSealFileName(n)?.writer;
      if (w !== undefined && this.isOlder(w)) writers.add(w);
    }
    const segs = this.segments(names);
    for (const w of writers) {
      if (this.seals.get(w)) continue;
      this.seals.set(
        w,
        await sealWriter(
          this.dir,
          w,
          segs.filter((s) => s.writer === w).map((s) => s.name),
        ),
      );
    }
    this.olderSealed = true;
  }

  /** Whether `writer` was placed by an earlier driver instance than this log's. */
  private isOlder(writer: string): boolean {
    return this.incarnation !== undefined && walWriterIncarnation(writer) < this.incarnation;
  }

  /**
   * The blocks to hand to the next batch: those of `reported` not handed out before, and
   * (log on) those that ended writers logged and never reported; in sequence order per
   * writer. Marks them handed out. `endedWriters`: writers whose placement the tracker
   * replaced; each is sealed before its log is read. `releasedWriters`: ended writers whose
   * placement is known to have stopped (their fences may go once the log holds nothing of them).
   */
  async take(reported: readonly ReceivedBlock[], liveWriters: readonly string[], endedWriters: readonly string[] = [], releasedWriters: readonly string[] = []): Promise<ReceivedBlock[]> {
    const now = Date.now();
    for (const w of releasedWriters) {
      if (this.releasedAt.has(w)) continue;
      this.releasedAt.set(w, now);
      if (this.releasedAt.size > SEALED_WRITERS_KEPT) this.releasedAt.delete(this.releasedAt.keys().next().value!);
    }
    const byWriter = new Map<string, { seq: number; block: ReceivedBlock }[]>();
    const add = (seq: number, writer: string, block: ReceivedBlock): void => {
      let list = byWriter.get(writer);
      if (!list) byWriter.set(writer, (list = []));
      list.push({ seq, block });
    };
    for (const b of reported) {
      const id = parseReceivedBlockId(b.blockId);
      if (!id) throw new SluiceError('SLUICE_INTERNAL', `received block id '${b.blockId}' does not name its writer and sequence number`);
      // A sealed writer's blocks are those inside its seal, all read from its log by the take()
      // that sealed it: a report that comes after (a woken placement sending again what the
      // driver had not answered) is one of them, or outside the seal (never to count). Its marks
      // may be forgotten by then (its segments cleared), so the report is not checked against them.
      if (this.dir && this.sealedWriters.has(id.writer)) continue;
      add(id.seq, id.writer, b);
    }
    if (this.dir) {
      const live = new Set(liveWriters);
      const ended = new Set(endedWriters);
      const segs = this.segments(await this.listDir());
      // Every writer the tracker ended is fenced at once, segments of it left or not. One whose
      // log was read unsealed (its worker declared lost, its receiver not yet placed again: then
      // neither live nor ended) and cleared had no segment left to seal it by, and its
      // placement, woken from a freeze, found no fence: it stored and reported new blocks, and
      // they were counted again beside what its source had sent its replacement.
      for (const w of ended) {
        if (live.has(w) || this.sealedWriters.has(w)) continue;
        await this.sealOf(w, ended, segs);
        this.sealedWriters.add(w);
        if (this.sealedWriters.size > SEALED_WRITERS_KEPT) this.sealedWriters.delete(this.sealedWriters.values().next().value!);
      }
      // Per writer, the last block read before the segment at hand (its sequence number and the source position after its records): what a damaged span at a segment's start follows.
      const lastOf = new Map<string, { seq: number | undefined; positionEnd: number | undefined }>();
      for (const seg of segs) {
        if (live.has(seg.writer)) continue;
        const seal = await this.sealOf(seg.writer, ended, segs);
        const sealedEnd = seal ? seal.segments[seg.name] : undefined;
        if (seal && sealedEnd === undefined) continue; // Opened after the seal: none of it counts.
        const file = path.join(this.dir, seg.name);
        const from = this.scanned.get(file);
        if (sealedEnd !== undefined && (from?.offset ?? 0) >= sealedEnd) continue;
        const scan = await scanWalSegment(file, from?.offset ?? 0);
        const blocks = sealedEnd === undefined ? scan.blocks : scan.blocks.filter((b) => b.place.offset + b.place.length <= sealedEnd);
        const endOffset = sealedEnd === undefined ? scan.endOffset : Math.min(scan.endOffset, sealedEnd);
        if (scan.size > scan.endOffset && !this.tornSaid.has(`${file}@${scan.endOffset}`)) {
          this.tornSaid.add(`${file}@${scan.endOffset}`);
          this.onTornTail?.({ segment: file, writer: seg.writer, offset: scan.endOffset, size: scan.size });
        }
        for (const d of scan.damaged) {
          if ((sealedEnd !== undefined && d.offset >= sealedEnd) || this.tornSaid.has(`${file}@${d.offset}`)) continue;
          this.tornSaid.add(`${file}@${d.offset}`);
          const nextSeg = segs.filter((o) => o.writer === seg.writer && o.firstSeq > seg.firstSeq).sort((a, b) => a.firstSeq - b.firstSeq)[0];
          const prior = from ? { seq: from.lastSeq, positionEnd: from.positionEnd } : lastOf.get(seg.writer);
          this.onDamaged?.(this.describeDamage(file, seg, d, blocks, prior, nextSeg?.firstSeq));
        }
        let lastSeq = from?.lastSeq;
        for (const s of blocks) {
          const id = parseReceivedBlockId(s.blockId);
          if (!id) continue;
          lastSeq = id.seq;
          add(id.seq, id.writer, {
            blockId: s.blockId,
            streamId: this.streamId,
            numRecords: s.numRecords,
            locations: [],
            wal: s.place,
            ...(s.firstPosition === undefined ? {} : { firstPosition: s.firstPosition }),
          });
        }
        const lastBlock = blocks.at(-1);
        const positionEnd = lastBlock ? (lastBlock.firstPosition === undefined ? undefined : lastBlock.firstPosition + lastBlock.numRecords) : from?.positionEnd;
        this.scanned.set(file, { offset: endOffset, lastSeq, ...(positionEnd === undefined ? {} : { positionEnd }) });
        lastOf.set(seg.writer, { seq: lastSeq, positionEnd });
      }
    }
    const out: ReceivedBlock[] = [];
    for (const [writer, list] of byWriter) {
      list.sort((a, b) => a.seq - b.seq);
      let high = this.allocated.get(writer) ?? -1;
      for (const { seq, block } of list) {
        if (seq <= high) continue; // Already in a batch (reported and read from the log, or reported twice).
        high = seq;
        out.push(this.uncounted(block));
      }
      if (high >= 0) this.allocated.set(writer, high);
    }
    return out;
  }

  /** Which blocks a damaged span of `seg` held, from the complete blocks around it. */
  private describeDamage(
    file: string,
    seg: { writer: string; firstSeq: number },
    d: DamagedWalSpan,
    blocks: readonly ScannedBlock[],
    prior: { seq: number | undefined; positionEnd: number | undefined } | undefined,
    nextSegFirstSeq: number | undefined,
  ): DamagedWalRecords {
    const before = blocks.filter((b) => b.place.offset < d.offset).at(-1);
    const after = blocks.find((b) => b.place.offset >= d.end);
    // Before the first block of a segment: the writer's block before it (a segment is named after its first block's sequence number).
    const prevSeq = before ? parseReceivedBlockId(before.blockId)?.seq : d.offset === 0 ? seg.firstSeq - 1 : prior?.seq;
    const nextSeq = after ? parseReceivedBlockId(after.blockId)?.seq : nextSegFirstSeq;
    const seqs: [number, number] | undefined = prevSeq !== undefined && nextSeq !== undefined && nextSeq - 1 >= prevSeq + 1 ? [prevSeq + 1, nextSeq - 1] : undefined;
    const from = before ? (before.firstPosition === undefined ? undefined : before.firstPosition + before.numRecords) : prior?.positionEnd;
    const positions: [number, number] | undefined = from !== undefined && after?.firstPosition !== undefined && after.firstPosition > from ? [from, after.firstPosition] : undefined;
    const high = this.allocated.get(seg.writer);
    return {
      segment: file,
      writer: seg.writer,
      offset: d.offset,
      end: d.end,
      why: d.why,
      ...(seqs ? { seqs } : {}),
      ...(positions ? { positions } : {}),
      recordsAfter: blocks.filter((b) => b.place.offset >= d.end).length,
      handedOut: seqs !== undefined && high !== undefined && seqs[1] <= high,
    };
  }

  /** An ended writer's seal (sealed now if the tracker ended it and it has none yet); undefined for a writer not sealed. */
  private async sealOf(writer: string, ended: ReadonlySet<string>, segs: readonly { name: string; writer: string }[]): Promise<WalSeal | undefined> {
    let seal = this.seals.get(writer);
    if (seal === undefined || (seal === null && ended.has(writer))) {
      const older = this.isOlder(writer);
      seal =
        ended.has(writer) || older
          ? await sealWriter(
              this.dir!,
              writer,
              segs.filter((s) => s.writer === writer).map((s) => s.name),
              // Of an earlier driver instance and not found when those were sealed (or its seal gone since): appended after this instance began.
              { empty: older && this.olderSealed },
            )
          : ((await readWalSeal(this.dir!, writer)) ?? null);
      this.seals.set(writer, seal);
    }
    return seal ?? undefined;
  }

  /** The block with its records at positions already counted left out, and those positions counted. */
  private uncounted(block: ReceivedBlock): ReceivedBlock {
    const a = block.firstPosition;
    if (a === undefined || block.numRecords === 0) return block;
    const b = a + block.numRecords;
    const take: [number, number][] = [];
    let at = a;
    for (const [from, to] of this.positions) {
      if (to <= at) continue;
      if (from >= b) break;
      if (from > at) take.push([at - a, from - a]);
      at = Math.max(at, to);
      if (at >= b) break;
    }
    if (at < b) take.push([at - a, b - a]);
    this.countPositions(a, b);
    if (take.length === 1 && take[0][0] === 0 && take[0][1] === block.numRecords) return block;
    return { ...block, take };
  }

  private countPositions(from: number, to: number): void {
    const merged: [number, number][] = [];
    let cur: [number, number] = [from, to];
    let placed = false;
    for (const r of this.positions) {
      if (r[1] < cur[0]) merged.push(r);
      else if (r[0] > cur[1]) {
        if (!placed) merged.push(cur);
        placed = true;
        merged.push(r);
      } else cur = [Math.min(cur[0], r[0]), Math.max(cur[1], r[1])];
    }
    if (!placed) merged.push(cur);
    this.positions = merged;
  }

  /**
   * The batches holding `blocks` completed and are forgotten: with the log on, delete the
   * segments whose blocks are all in forgotten batches, and forget ended writers that
   * have nothing left in the log.
   */
  async clear(blocks: readonly ReceivedBlock[], liveWriters: readonly string[]): Promise<number> {
    for (const b of blocks) {
      const id = parseReceivedBlockId(b.blockId);
      if (id && id.seq > (this.cleared.get(id.writer) ?? -1)) this.cleared.set(id.writer, id.seq);
    }
    const live = new Set(liveWriters);
    if (!this.dir) {
      for (const [w, c] of this.cleared) {
        if (!live.has(w) && this.allocated.get(w) === c) {
          this.cleared.delete(w);
          this.allocated.delete(w);
        }
      }
      return 0;
    }
    const names = await this.listDir();
    const segs = this.segments(names);
    let deleted = 0;
    const remaining = new Set<string>();
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i];
      const next = segs[i + 1]?.writer === seg.writer ? segs[i + 1] : undefined;
      const file = path.join(this.dir, seg.name);
      const cleared = this.cleared.get(seg.writer) ?? -1;
      const seal = live.has(seg.writer) ? undefined : this.seals.get(seg.writer);
      let done: boolean;
      if (seal) {
        // A sealed writer's blocks are the records inside its seal, whatever it appended after.
        const end = seal.segments[seg.name];
        const s = this.scanned.get(file);
        done = end === undefined || (s !== undefined && s.offset >= end && (s.lastSeq === undefined || s.lastSeq <= cleared));
      } else if (next) done = next.firstSeq - 1 <= cleared;
      else if (live.has(seg.writer)) done = false;
      else {
        // An ended writer's last segment: its blocks are known once it was read to the end
        // (or to a torn last record that has not changed for a while: its writer died
        // writing it, before it was acknowledged).
        const s = this.scanned.get(file);
        done = s !== undefined && (s.lastSeq === undefined || s.lastSeq <= cleared) && (await readToEnd(file, s.offset));
      }
      if (!done) {
        remaining.add(seg.writer);
        continue;
      }
      await fs.promises.rm(file, { force: true });
      this.scanned.delete(file);
      deleted++;
    }
    for (const w of [...this.allocated.keys()]) {
      if (!live.has(w) && !remaining.has(w) && (this.cleared.get(w) ?? -1) >= (this.allocated.get(w) ?? -1)) {
        this.allocated.delete(w);
        this.cleared.delete(w);
      }
    }
    await this.dropOldSeals(remaining, names);
    return deleted;
  }

  /**
   * A fence and seal whose writer has nothing left in the log and whose placement is known to
   * have stopped, fenceKeepMs after the later of its seal and that news; `names`: the directory
   * as clear() listed it (seals are written only by take(), never while clear() runs).
   * A writer this log sealed and never heard was released keeps its fence: its placement may be
   * frozen still (a worker declared lost is not a worker dead), and woken without a fence it
   * would store and acknowledge what its source also sent its replacement. A seal left by an
   * earlier driver instance (whose placements this one cannot hear of) goes fenceKeepMs after it
   * was written, as every seal did before: its writer stays fenced by the log's driver
   * incarnation, newer than its own (wal-seal.ts), and anything it appends later is sealed empty.
   */
  private async dropOldSeals(remaining: ReadonlySet<string>, names: readonly string[]): Promise<void> {
    for (const name of names) {
      const p = parseSealFileName(name);
      if (!p || p.kind !== 'sealed' || remaining.has(p.writer) || this.allocated.has(p.writer)) continue;
      const released = this.releasedAt.get(p.writer);
      if (released === undefined && this.sealedWriters.has(p.writer)) continue;
      const st = await fs.promises.stat(path.join(this.dir!, name)).catch(() => undefined);
      if (!st || Date.now() - Math.max(st.mtimeMs, released ?? 0) < this.fenceKeepMs) continue;
      await fs.promises.rm(path.join(this.dir!, fenceFileName(p.writer)), { force: true });
      await fs.promises.rm(path.join(this.dir!, sealFileName(p.writer)), { force: true });
      this.seals.delete(p.writer);
    }
  }

  data(): ReceivedBlockLogData {
    return {
      allocated: Object.fromEntries(this.allocated),
      cleared: Object.fromEntries(this.cleared),
      ...(this.positions.length > 0 ? { positions: this.positions.map(([f, t]): [number, number] => [f, t]) } : {}),
    };
  }

  restore(d: ReceivedBlockLogData): void {
    for (const [w, s] of Object.entries(d.allocated)) this.allocated.set(w, s);
    for (const [w, s] of Object.entries(d.cleared)) this.cleared.set(w, s);
    this.positions = (d.positions ?? []).map(([f, t]): [number, number] => [f, t]);
  }

  /** The log's segments, by writer then first sequence number. */
  /** The log directory's file names; none when it does not exist yet. */
  private async listDir(): Promise<string[]> {
    try {
      return await fs.promises.readdir(this.dir!);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot list the write-ahead log directory '${this.dir}': ${(err as Error).message}`, { cause: err });
    }
  }

  /** The segments among `names`, by writer then first sequence number. */
  private segments(names: readonly string[]): { name: string; writer: string; firstSeq: number }[] {
    const out: { name: string; writer: string; firstSeq: number }[] = [];
    for (const name of names) {
      const p = parseSegmentFileName(name);
      if (p) out.push({ name, ...p });
    }
    return out.sort((a, b) => (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : a.firstSeq - b.firstSeq));
  }
}

/** A segment a writer no longer appends to was read up to `offset`, its end or a torn record left for 30 s. */
async function readToEnd(file: string, offset: number): Promise<boolean> {
  try {
    const st = await fs.promises.stat(file);
    return st.size === offset || Date.now() - st.mtimeMs > 30_000;
  } catch {
    return true;
  }
}
