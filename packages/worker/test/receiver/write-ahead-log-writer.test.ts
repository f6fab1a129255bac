import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ReceivedBlockLog, WAL_INCARNATION_FILE, parseSegmentFileName, readWalRecord, scanWalSegment, walRecordFenced, walWriterIncarnation, type ReceivedBlock, type WalPlace } from '@sluice/core/internal';
import { WriteAheadLogWriter } from '../../src/receiver/write-ahead-log-writer.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

test('the writer rolls segments by size, each record is read back whole, and a corrupt or torn record is a clear error or the end of the scan', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-writer-'));
  try {
    const w = new WriteAheadLogWriter({ dir, writer: 'wA', rollingIntervalMs: 60_000, maxSegmentBytes: 250 });
    const places: WalPlace[] = [];
    for (let seq = 0; seq < 6; seq++) places.push(await w.append(`input_j_0_wA_${seq}`, seq, seq + 1, bytes(100, seq)));
    await w.close();
    // 100-byte payloads (+ ~35 bytes of header): two records a segment, named by their first block.
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names.map((n) => parseSegmentFileName(n)?.firstSeq), [0, 2, 4]);
    for (let seq = 0; seq < 6; seq++) {
      const r = await readWalRecord(places[seq]);
      assert.equal(r.blockId, `input_j_0_wA_${seq}`);
      assert.equal(r.numRecords, seq + 1);
      assert.deepEqual(new Uint8Array(r.data), bytes(100, seq));
    }
    const scan = await scanWalSegment(path.join(dir, names[1]), 0);
    assert.deepEqual(scan.blocks.map((b) => b.blockId), ['input_j_0_wA_2', 'input_j_0_wA_3']);
    assert.equal(scan.endOffset, fs.statSync(path.join(dir, names[1])).size);

    // One flipped byte in block 3's data: its CRC no longer matches.
    const f = places[3].path;
    const buf = fs.readFileSync(f);
    buf[places[3].offset + places[3].length - 1] ^= 0xff;
    fs.writeFileSync(f, buf);
    await assert.rejects(readWalRecord(places[3]), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SLUICE_CHECKPOINT');
      assert.match(err.message, new RegExp(`segment '${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is corrupt at offset ${places[3].offset}.*CRC`));
      return true;
    });
    // Cut the last segment inside its second record: the scan ends before it; reading it says where.
    const last = places[5].path;
    fs.truncateSync(last, places[5].offset + 20);
    const torn = await scanWalSegment(last, 0);
    assert.deepEqual(torn.blocks.map((b) => b.blockId), ['input_j_0_wA_4']);
    assert.equal(torn.endOffset, places[5].offset);
    assert.equal(torn.size, places[5].offset + 20, 'the scan says how far the file goes past its last complete record');
    await assert.rejects(readWalRecord(places[5]), /is corrupt at offset .* ends after 20 bytes/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an ended writer\'s segment that ends in a torn record: its complete blocks are taken, the torn tail is told once with its segment and bytes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-torn-'));
  try {
    const w = new WriteAheadLogWriter({ dir, writer: 'wA', rollingIntervalMs: 60_000, maxSegmentBytes: 1 << 20 });
    const places: WalPlace[] = [];
    for (let seq = 0; seq < 3; seq++) places.push(await w.append(`input_j_0_wA_${seq}`, seq, 1, bytes(50, seq)));
    await w.close();
    // Block 2 cut 7 bytes into its record, as a worker killed while appending leaves it.
    fs.truncateSync(places[2].path, places[2].offset + 7);
    const told: unknown[] = [];
    const log = new ReceivedBlockLog(0, dir, (t) => told.push(t));
    assert.deepEqual((await log.take([], [])).map((b) => b.blockId), ['input_j_0_wA_0', 'input_j_0_wA_1']);
    assert.deepEqual(await log.take([], []), []);
    assert.deepEqual(told, [{ segment: places[2].path, writer: 'wA', offset: places[2].offset, size: places[2].offset + 7 }], 'told once, though scanned twice');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an append a full disk refuses part way leaves nothing of its record: the segment ends at the last logged block, a fresh segment it opened is removed, and a recovery finds no torn record', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-full-'));
  // A disk that fills up under the writer: its next write takes `take` bytes (a short write, as
  // a full tmpfs takes what fits in the record's last page), the one after fails with ENOSPC.
  const probe = await fs.promises.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { write: (this: unknown, buf: Uint8Array, off: number, len: number, pos: number) => Promise<{ bytesWritten: number }> };
  await probe.close();
  fs.rmSync(path.join(dir, 'probe'));
  const write = proto.write;
  let full: { take: number } | undefined;
  proto.write = async function (this: unknown, buf: Uint8Array, off: number, len: number, pos: number) {
    if (full === undefined) return write.call(this, buf, off, len, pos);
    if (full.take > 0) {
      const take = Math.min(full.take, len);
      full.take = 0;
      return write.call(this, buf, off, take, pos);
    }
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  };
  try {
    const w = new WriteAheadLogWriter({ dir, writer: 'wA', rollingIntervalMs: 60_000, maxSegmentBytes: 1 << 20 });
    const append = (seq: number): Promise<WalPlace> => w.append(`input_j_0_wA_${seq}`, seq, 1, bytes(300, seq));
    const kept = [await append(0), await append(1)];
    full = { take: 120 };
    await assert.rejects(append(2), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SLUICE_DISK_FULL');
      assert.match(err.message, /disk full: cannot write received block input_j_0_wA_2 \(write-ahead log\) to '.*wA\.000000000000\.wal'/);
      return true;
    });
    assert.equal(fs.statSync(kept[1].path).size, kept[1].offset + kept[1].length, 'the 120 bytes the disk took of block 2 are cut off');
    // Still full: block 3 goes to a fresh segment, which the disk refuses from its first byte.
    full = { take: 0 };
    await assert.rejects(append(3), /disk full: cannot write received block input_j_0_wA_3 .*wA\.000000000003\.wal/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['wA.000000000000.wal'], 'the fresh segment holding nothing is removed');
    full = undefined;
    const after = await append(4);
    assert.equal(path.basename(after.path), 'wA.000000000004.wal');
    await w.close();
    const told: unknown[] = [];
    const log = new ReceivedBlockLog(0, dir, (t) => told.push(t));
    assert.deepEqual((await log.take([], [])).map((b) => b.blockId), ['input_j_0_wA_0', 'input_j_0_wA_1', 'input_j_0_wA_4']);
    assert.deepEqual(told, [], 'no torn record to warn of: the writer did not die');
  } finally {
    proto.write = write;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the block log hands every logged block to one batch: reported ones, and those an ended writer logged but never reported; segments go once their batches are forgotten', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-log-'));
  try {
    // Writer wA ended after logging blocks 0..4 and reporting 0..2; wB runs and logs 0..3.
    const a = new WriteAheadLogWriter({ dir, writer: 'wA', rollingIntervalMs: 60_000, maxSegmentBytes: 1 });
    const b = new WriteAheadLogWriter({ dir, writer: 'wB', rollingIntervalMs: 60_000, maxSegmentBytes: 1 });
    const blk = async (w: WriteAheadLogWriter, name: string, seq: number): Promise<ReceivedBlock> => {
      const id = `input_j_0_${name}_${seq}`;
      return { blockId: id, streamId: 0, numRecords: 1, locations: [], wal: await w.append(id, seq, 1, bytes(10, seq)) };
    };
    const aBlocks = [];
    for (let i = 0; i < 5; i++) aBlocks.push(await blk(a, 'wA', i));
    const bBlocks = [];
    for (let i = 0; i < 4; i++) bBlocks.push(await blk(b, 'wB', i));
    await a.close();
    const log = new ReceivedBlockLog(0, dir);
    // Batch 1: wA's reports 0..1 while it ran.
    assert.deepEqual((await log.take(aBlocks.slice(0, 2), ['wA', 'wB'])).map((x) => x.blockId), ['input_j_0_wA_0', 'input_j_0_wA_1']);
    // Batch 2: wA ended (its report of 2 arrives late, twice); its log gives 2..4 once. wB reports 0..1.
    const second = await log.take([aBlocks[2], aBlocks[2], bBlocks[0], bBlocks[1]], ['wB']);
    assert.deepEqual(second.map((x) => x.blockId).sort(), ['input_j_0_wA_2', 'input_j_0_wA_3', 'input_j_0_wA_4', 'input_j_0_wB_0', 'input_j_0_wB_1']);
    assert.deepEqual(await log.take([aBlocks[3]], ['wB']), [], 'nothing twice');
    // Recovery from these marks finds nothing new in the log but wB's unreported 2..3.
    const restored = new ReceivedBlockLog(0, dir);
    restored.restore(JSON.parse(JSON.stringify(log.data())));
    assert.deepEqual((await restored.take([], [])).map((x) => x.blockId), ['input_j_0_wB_2', 'input_j_0_wB_3']);
    // Batch 1 forgotten: wA's segments 0 and 1 go; nothing of wB (none of its blocks is cleared).
    await log.clear(aBlocks.slice(0, 2), ['wB']);
    const left = (): string[] => fs.readdirSync(dir).sort();
    assert.deepEqual(left().map((n) => n.slice(0, 2) + parseSegmentFileName(n)!.firstSeq), ['wA2', 'wA3', 'wA4', 'wB0', 'wB1', 'wB2', 'wB3']);
    // Batch 2 forgotten: all of ended wA goes; wB's 0 and 1 go, its last segment stays while it runs.
    await log.clear(second, ['wB']);
    assert.deepEqual(left().map((n) => n.slice(0, 2) + parseSegmentFileName(n)!.firstSeq), ['wB2', 'wB3']);
    // wA ended and has nothing left in the log: its marks are forgotten (bounded over a run of days).
    assert.deepEqual(Object.keys(log.data().allocated), ['wB']);
    assert.deepEqual(Object.keys(log.data().cleared), ['wB']);
    await b.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a writer the tracker ended is sealed before its log is read: what it appends after (a woken zombie) is fenced, never taken, and deleted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-seal-'));
  try {
    // wA logs blocks 0..2 (two segments), then its placement is replaced (wB) while it is frozen.
    const a = new WriteAheadLogWriter({ dir, writer: 'wA', rollingIntervalMs: 60_000, maxSegmentBytes: 70 });
    const append = (seq: number): Promise<WalPlace> => a.append(`input_j_0_wA_${seq}`, seq, 1, bytes(10, seq));
    const before = [await append(0), await append(1), await append(2)];
    assert.deepEqual(await Promise.all(before.map((p) => walRecordFenced(p, 'wA', 0))), [false, false, false], 'no fence: every append stands');
    const log = new ReceivedBlockLog(0, dir);
    const first = await log.take([], ['wB'], ['wA']);
    assert.deepEqual(first.map((x) => x.blockId), ['input_j_0_wA_0', 'input_j_0_wA_1', 'input_j_0_wA_2']);
    assert.ok(fs.existsSync(path.join(dir, 'wA.fence')) && fs.existsSync(path.join(dir, 'wA.sealed')));
    assert.deepEqual(await Promise.all(before.map((p) => walRecordFenced(p, 'wA', 0))), [false, false, false], 'records inside the seal are counted: their stores stand');
    // Woken: it appends block 3 to its open segment and rolls a new one for 4.
    const late = [await append(3), await append(4)];
    assert.equal(new Set(late.map((p) => p.path)).size, 2, 'the late blocks are in the sealed segment and a new one');
    assert.deepEqual(await Promise.all(late.map((p) => walRecordFenced(p, 'wA', 0))), [true, true], 'records outside the seal are refused');
    assert.deepEqual(await log.take([], ['wB'], ['wA']), [], 'nothing it appended after the seal is taken');
    // A driver restarted from these marks honours the seal too.
    const restored = new ReceivedBlockLog(0, dir);
    restored.restore(JSON.parse(JSON.stringify(log.data())));
    assert.deepEqual(await restored.take([], ['wB']), []);
    await a.close();
    // Its batch forgotten: every segment of wA goes, the one opened after the seal included.
    await log.clear(first, ['wB']);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.wal')), []);
    // The fence and the seal outlive the segments while a zombie may still look for them: as long
    // as the placement is not known to have stopped (its worker declared lost may be frozen, and
    // woken after any time), then fenceKeep (120 s by default) after the driver hears it stopped.
    const wA = (): string[] => fs.readdirSync(dir).filter((n) => n.startsWith('wA.')).sort();
    assert.deepEqual(wA(), ['wA.fence', 'wA.sealed'], 'a fresh seal is kept');
    const old = new Date(Date.now() - 121_000);
    fs.utimesSync(path.join(dir, 'wA.sealed'), old, old);
    await log.clear([], ['wB']);
    assert.deepEqual(wA(), ['wA.fence', 'wA.sealed'], 'a seal 121 s old is kept while its placement may still run');
    assert.deepEqual(await log.take([], ['wB'], ['wA'], ['wA']), [], 'released: its placement stopped');
    await log.clear([], ['wB']);
    assert.deepEqual(wA(), ['wA.fence', 'wA.sealed'], 'kept for fenceKeep after the release');
    // fenceKeep after the release (a log of the same directory whose fenceKeep is 1 ms):
    const short = new ReceivedBlockLog(0, dir, undefined, undefined, 1);
    assert.deepEqual(await short.take([], ['wB'], ['wA']), [], 'wA ended: sealed already');
    await short.clear([], ['wB']);
    assert.deepEqual(wA(), ['wA.fence', 'wA.sealed'], 'not released: kept however short fenceKeep is');
    await short.take([], ['wB'], ['wA'], ['wA']);
    await new Promise((r) => setTimeout(r, 5));
    await short.clear([], ['wB']);
    assert.deepEqual(wA(), [], 'released and fenceKeep past: the seal and its fence are deleted');
    // A seal an earlier driver instance left (this one never sealed that writer, and cannot hear of its placement) goes once fenceKeep old.
    const earlier = new ReceivedBlockLog(0, dir);
    fs.writeFileSync(path.join(dir, 'wZ.fence'), '');
    fs.writeFileSync(path.join(dir, 'wZ.sealed'), JSON.stringify({ segments: {} }));
    await earlier.clear([], ['wB']);
    assert.ok(fs.existsSync(path.join(dir, 'wZ.fence')), "an earlier instance's fresh seal is kept");
    fs.utimesSync(path.join(dir, 'wZ.sealed'), old, old);
    await earlier.clear([], ['wB']);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('wZ.')), [], "an earlier instance's seal 121 s old is deleted with its fence");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a writer whose log was read and cleared before the tracker ended it (its worker declared lost, its receiver not yet placed again) is fenced once ended: woken, its appends are refused, and a late report of a counted block is not taken again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-seal-cleared-'));
  try {
    const a = new WriteAheadLogWriter({ dir, writer: 'wA', rollingIntervalMs: 60_000, maxSegmentBytes: 70 });
    const append = (seq: number): Promise<WalPlace> => a.append(`input_j_0_wA_${seq}`, seq, 1, bytes(10, seq));
    const logged: ReceivedBlock[] = [];
    for (let seq = 0; seq < 3; seq++) logged.push({ blockId: `input_j_0_wA_${seq}`, streamId: 0, numRecords: 1, locations: [{ workerId: 'A', address: 'a:1' }], wal: await append(seq) });
    const log = new ReceivedBlockLog(0, dir);
    // wA frozen: declared lost, its receiver waits to be placed again, so it is neither live nor
    // ended; a batch reads its log (block 0 was reported, 1 and 2 were not).
    const first = await log.take([logged[0]!], [], []);
    assert.deepEqual(first.map((x) => x.blockId), ['input_j_0_wA_0', 'input_j_0_wA_1', 'input_j_0_wA_2']);
    // That batch forgotten: every segment of wA goes, and its marks with them.
    await log.clear(first, []);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('wA.')), []);
    // Placed again (wB): the tracker ends wA, which has nothing left in the log: it is fenced all the same.
    assert.deepEqual(await log.take([], ['wB'], ['wA']), []);
    assert.ok(fs.existsSync(path.join(dir, 'wA.fence')) && fs.existsSync(path.join(dir, 'wA.sealed')), `wA fenced and sealed: ${fs.readdirSync(dir).join(' ')}`);
    // Woken: what it appends now (a new segment) is refused...
    const late = await append(3);
    assert.equal(await walRecordFenced(late, 'wA', 0), true, 'the woken writer\'s append is outside its seal');
    // ...and its report of block 2, sent again as its answer never came, is not a block for a second batch.
    assert.deepEqual(await log.take([logged[2]!], ['wB'], ['wA']), [], 'a late report of a block the log gave a batch is not taken again');
    await a.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a writer of an earlier driver incarnation (a placement the restarted driver cannot know) is sealed at the restart: what it appends after is refused and never taken, also once its own fence and seal are gone', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-incarnation-'));
  try {
    // Driver instance 1 places wA (named with its incarnation); wA logs blocks 0 and 1 and is never ended by it.
    const d1 = new ReceivedBlockLog(0, dir);
    assert.equal(d1.beginIncarnation(), 1);
    assert.equal(walWriterIncarnation('wA-inc1'), 1);
    assert.equal(walWriterIncarnation('wA'), 0, 'a name without an incarnation is of the oldest');
    const a = new WriteAheadLogWriter({ dir, writer: 'wA-inc1', rollingIntervalMs: 60_000, maxSegmentBytes: 70 });
    const append = (seq: number): Promise<WalPlace> => a.append(`input_j_0_wA-inc1_${seq}`, seq, 1, bytes(10, seq));
    const before = [await append(0), await append(1)];
    assert.deepEqual(await Promise.all(before.map((p) => walRecordFenced(p, 'wA-inc1', 0))), [false, false], 'its own driver instance: no fence');
    assert.deepEqual(await d1.take([], ['wA-inc1']), [], 'live: its blocks come as reports');
    // Instance 1 dies; instance 2 starts from its marks, takes incarnation 2 and seals every older writer at once.
    const d2 = new ReceivedBlockLog(0, dir, undefined, undefined, 1);
    d2.restore(JSON.parse(JSON.stringify(d1.data())));
    assert.equal(d2.beginIncarnation(), 2);
    assert.equal(fs.readFileSync(path.join(dir, WAL_INCARNATION_FILE), 'utf8').trim(), '2');
    await d2.sealOlderIncarnations();
    assert.ok(fs.existsSync(path.join(dir, 'wA-inc1.fence')) && fs.existsSync(path.join(dir, 'wA-inc1.sealed')), `wA-inc1 sealed: ${fs.readdirSync(dir).join(' ')}`);
    assert.deepEqual(await Promise.all(before.map((p) => walRecordFenced(p, 'wA-inc1', 0))), [false, false], 'records inside the seal stand');
    const first = await d2.take([], ['wB-inc2']);
    assert.deepEqual(first.map((x) => x.blockId), ['input_j_0_wA-inc1_0', 'input_j_0_wA-inc1_1'], 'what it logged before the restart is read, inside the seal');
    // Woken from a freeze: block 2 (a new segment) is refused and not taken.
    const late = await append(2);
    assert.equal(await walRecordFenced(late, 'wA-inc1', 0), true, 'an append after the seal is refused');
    assert.deepEqual(await d2.take([], ['wB-inc2']), [], 'nothing appended after the seal is taken');
    await d2.clear(first, ['wB-inc2']);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.wal')), [], 'its segments go with the batch');
    // Its fence and seal go fenceKeep (1 ms here) after they were written, as an earlier instance's do...
    await new Promise((r) => setTimeout(r, 5));
    await d2.clear([], ['wB-inc2']);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('wA-inc1.')), [], 'its fence and seal are gone');
    // ...and the placement, woken later still, is fenced by the newer incarnation alone: its append is refused,
    // (its rolling interval long past, it opens a new segment: a writer of the same name here)
    await a.close();
    const rolled = new WriteAheadLogWriter({ dir, writer: 'wA-inc1', rollingIntervalMs: 60_000, maxSegmentBytes: 70 });
    const later = await rolled.append('input_j_0_wA-inc1_3', 3, 1, bytes(10, 3));
    assert.ok(fs.existsSync(later.path), later.path);
    assert.equal(await walRecordFenced(later, 'wA-inc1', 300), true, 'an older incarnation with no seal: refused');
    // and the segment it wrote, found after the restart's seals, is sealed empty: never taken, then deleted.
    assert.deepEqual(await d2.take([], ['wB-inc2']), [], 'a segment of an older incarnation that appeared after the restart is not read');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'wA-inc1.sealed'), 'utf8')), { segments: {} });
    await d2.clear([], ['wB-inc2']);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.wal')), []);
    await rolled.close();
    // The restarted instance's own placement is not fenced.
    const b = new WriteAheadLogWriter({ dir, writer: 'wB-inc2', rollingIntervalMs: 60_000, maxSegmentBytes: 70 });
    assert.equal(await walRecordFenced(await b.append('input_j_0_wB-inc2_0', 0, 1, bytes(10, 9)), 'wB-inc2', 0), false);
    await b.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('blocks with source positions: a position is handed to one batch however often the source sent it, across writers and a restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-pos-'));
  try {
    // wA logged positions 0-9 and 10-19, acknowledged only 0-9, and died; the source sent
    // 10-29 again to wB, which logged 10-24 and 25-29.
    const a = new WriteAheadLogWriter({ dir, writer: 'wA', rollingIntervalMs: 60_000, maxSegmentBytes: 1 << 20 });
    const b = new WriteAheadLogWriter({ dir, writer: 'wB', rollingIntervalMs: 60_000, maxSegmentBytes: 1 << 20 });
    const blk = async (w: WriteAheadLogWriter, name: string, seq: number, pos: number, n: number): Promise<ReceivedBlock> => {
      const id = `input_j_0_${name}_${seq}`;
      return { blockId: id, streamId: 0, numRecords: n, firstPosition: pos, locations: [], wal: await w.append(id, seq, n, bytes(n, seq), pos) };
    };
    const a0 = await blk(a, 'wA', 0, 0, 10);
    await blk(a, 'wA', 1, 10, 10); // logged, never reported
    await a.close();
    const b0 = await blk(b, 'wB', 0, 10, 15);
    const b1 = await blk(b, 'wB', 1, 25, 5);
    const log = new ReceivedBlockLog(0, dir);
    assert.deepEqual((await log.take([a0], ['wA', 'wB'])).map((x) => [x.blockId, x.take]), [['input_j_0_wA_0', undefined]]);
    // wB reports 10-24 before wA's log is read: all of it counts; wA's 10-19 then counts for nothing.
    const second = await log.take([b0], ['wA', 'wB']);
    assert.deepEqual(second.map((x) => [x.blockId, x.take]), [['input_j_0_wB_0', undefined]]);
    const third = await log.take([b1], ['wB']);
    assert.deepEqual(third.map((x) => [x.blockId, x.take]).sort(), [['input_j_0_wA_1', []], ['input_j_0_wB_1', undefined]]);
    // A restart from these marks: wB sent 20-34 again (logged after the checkpoint); only 30-34 are new.
    const restored = new ReceivedBlockLog(0, dir);
    restored.restore(JSON.parse(JSON.stringify(log.data())));
    await b.append('input_j_0_wB_2', 2, 15, bytes(15, 2), 20);
    await b.close();
    assert.deepEqual((await restored.take([], [])).map((x) => [x.blockId, x.take]), [['input_j_0_wB_2', [[10, 15]]]]);
    assert.deepEqual(restored.data().positions, [[0, 35]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged driver incarnation file counts as the highest incarnation the log\'s writers name: the next is one more, a warning names the file and what it held, and an older placement stays fenced', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-incarnation-damaged-'));
  try {
    // A placement of incarnation 3 logged a block; the file is then damaged (not a number).
    const a = new WriteAheadLogWriter({ dir, writer: 'wA-inc3', rollingIntervalMs: 60_000, maxSegmentBytes: 70 });
    const place = await a.append('input_j_0_wA-inc3_0', 0, 1, bytes(10, 0));
    await a.close();
    fs.writeFileSync(path.join(dir, WAL_INCARNATION_FILE), 'x\u0000garbage\n');
    const warned: string[] = [];
    const d = new ReceivedBlockLog(0, dir);
    assert.equal(d.beginIncarnation(undefined, (m) => warned.push(m)), 4, 'wA-inc3 is the highest writer in the log: 3 + 1');
    assert.equal(fs.readFileSync(path.join(dir, WAL_INCARNATION_FILE), 'utf8').trim(), '4', 'the file holds a number again');
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.ok(warned[0].includes(path.join(dir, WAL_INCARNATION_FILE)) && warned[0].includes('garbage'), warned[0]);
    assert.equal(await walRecordFenced(place, 'wA-inc3', 0), true, 'the placement of incarnation 3 is fenced by incarnation 4');
    // Damaged again, with no segment of a newer writer left but the driver's restored marks naming incarnation 6.
    fs.writeFileSync(path.join(dir, WAL_INCARNATION_FILE), '');
    const d2 = new ReceivedBlockLog(0, dir);
    d2.restore({ allocated: { 'wB-inc6': 2 }, cleared: { 'wB-inc6': 1 } });
    assert.equal(d2.beginIncarnation(undefined, (m) => warned.push(m)), 7, 'wB-inc6 in the marks: 6 + 1');
    assert.equal(warned.length, 2);
    // An undamaged file gives no warning.
    assert.equal(new ReceivedBlockLog(0, dir).beginIncarnation(undefined, (m) => warned.push(m)), 8);
    assert.equal(warned.length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
