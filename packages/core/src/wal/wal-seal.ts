import fs from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../errors.js';
import { makeDirectorySync } from '../util/make-directory.js';
import { parseSegmentFileName, scanWalSegment, type WalPlace } from './wal-segment.js';

/**
 * Fencing a receiver placement that was replaced (its worker declared lost, then woken or
 * cut off rather than dead), in the log directory both sides see: the write-ahead log's
 * answer to Spark's ReceiverTracker refusing a receiver not scheduled where it runs.
 *
 * The driver seals an ended writer before it reads the writer's log for blocks never
 * reported: it creates `<writer>.fence`, then scans each of the writer's segments to its
 * last complete record, then writes `<writer>.sealed` (atomically: a temporary file
 * renamed) with each segment's end. Only the records inside the seal are the writer's
 * blocks; whatever the writer appends later (a record it finishes after a SIGSTOP, a new
 * segment) is never read.
 *
 * The writer, after each append (fsynced) and before its receiver's store() resolves
 * (before the receiver acknowledges its source), looks for the fence. No fence: the record
 * was complete before the fence existed, so before the driver's scan, which then holds it.
 * A fence: it waits for the seal and its record counts only if the seal holds it; else its
 * store() is refused (the source sends those records again to the receiver that replaced
 * it) and the receiver stops. So an acknowledged record is always in the seal (nothing
 * lost), and a record outside it is never acknowledged (counted by the new placement only).
 *
 * A driver that starts again knows nothing of the placements an earlier instance made: each
 * driver start of a stream takes the next incarnation number from the log directory's
 * `driver.incarnation` (beginWalIncarnation) and names its placements with it (`-inc<N>` at
 * the end of the writer's name). A writer of an older incarnation is fenced by that file
 * alone (walRecordFenced): the restarted driver seals each one it finds at its first look at
 * the log, and one it finds later (a placement frozen across the restart that wrote a new
 * segment once woken) has an empty seal. The file stays with the log and only grows, so such
 * a placement stays fenced however long it was frozen, after its own fence and seal are gone.
 */
export interface WalSeal {
  /** Each segment file name of the writer at the seal, and the offset after its last complete record. */
  readonly segments: Readonly<Record<string, number>>;
}

export function fenceFileName(writer: string): string {
  return `${writer}.fence`;
}

export function sealFileName(writer: string): string {
  return `${writer}.sealed`;
}

/** The writer of a fence or seal file's name; undefined for other files. */
export function parseSealFileName(name: string): { readonly writer: string; readonly kind: 'fence' | 'sealed' } | undefined {
  const m = /^([A-Za-z0-9-]+)\.(fence|sealed)$/.exec(name);
  return m ? { writer: m[1], kind: m[2] as 'fence' | 'sealed' } : undefined;
}

/** The writer's seal, if it was sealed. */
export async function readWalSeal(dir: string, writer: string): Promise<WalSeal | undefined> {
  const file = path.join(dir, sealFileName(writer));
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SluiceError('SLUICE_CHECKPOINT', `cannot read the write-ahead log seal '${file}': ${(err as Error).message}`, { cause: err });
  }
  try {
    const d = JSON.parse(text) as Partial<WalSeal>;
    if (typeof d.segments !== 'object' || d.segments === null) throw new Error('no segments');
    return { segments: d.segments };
  } catch (err) {
    throw new SluiceError('SLUICE_CHECKPOINT', `the write-ahead log seal '${file}' is damaged (${(err as Error).message}); delete it to read the writer's segments to their ends`, { cause: err });
  }
}

/**
 * Seal an ended writer (driver side): fence, scan `segmentNames` (the writer's segments
 * listed after the fence) to their last complete records, write the seal. A seal already
 * written (an earlier pass, a driver that restarted) is returned as it is.
 */
export async function sealWriter(dir: string, writer: string, segmentNames: readonly string[], options: { readonly empty?: boolean } = {}): Promise<WalSeal> {
  const existing = await readWalSeal(dir, writer);
  if (existing) return existing;
  try {
    // A placement that ended before it wrote anything (its receiver slow to start, a graceful
    // stop soon after the start) may have no directory yet: its fence is made all the same, so
    // a write it starts later is refused, and the seal (nothing of it) read.
    await fs.promises.mkdir(dir, { recursive: true });
    await fs.promises.writeFile(path.join(dir, fenceFileName(writer)), '', { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SluiceError('SLUICE_CHECKPOINT', `cannot fence write-ahead log writer ${writer} in '${dir}': ${(err as Error).message}`, { cause: err });
    }
  }
  // Listed after the fence: a segment the writer opens later is not in the seal. `empty`: none
  // of its records counts (a writer of an older driver incarnation first seen after the
  // restarted driver sealed those it found: everything it has appended since is refused).
  const names = new Set(options.empty ? [] : segmentNames);
  if (!options.empty) for (const n of await fs.promises.readdir(dir)) if (n.startsWith(`${writer}.`) && n.endsWith('.wal')) names.add(n);
  const segments: Record<string, number> = {};
  for (const name of [...names].sort()) segments[name] = (await scanWalSegment(path.join(dir, name), 0)).endOffset;
  const seal: WalSeal = { segments };
  const file = path.join(dir, sealFileName(writer));
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.promises.writeFile(tmp, JSON.stringify(seal));
  await fs.promises.rename(tmp, file);
  return seal;
}

/**
 * How long a replaced placement's fence and seal outlive its segments once the driver knows the
 * placement stopped (StreamingContext option writeAheadLog.fenceKeep).
 */
export const DEFAULT_FENCE_KEEP_MS = 120_000;

/** The file in a stream's log directory that holds its driver's incarnation number. */
export const WAL_INCARNATION_FILE = 'driver.incarnation';

/** The incarnation of the driver that placed a writer (0 for a name without one: placed before incarnations were named). */
export function walWriterIncarnation(writer: string): number {
  const m = /-inc(\d+)$/.exec(writer);
  return m ? Number(m[1]) : 0;
}

/** A writer's name with the incarnation of the driver that placed it. */
export function walWriterWithIncarnation(writer: string, incarnation: number): string {
  return `${writer}-inc${incarnation}`;
}

/** The log directory's driver incarnation (0 when there is none yet). */
export async function readWalIncarnation(dir: string): Promise<number> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(dir, WAL_INCARNATION_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`'${path.join(dir, WAL_INCARNATION_FILE)}' holds no incarnation number: ${JSON.stringify(text.slice(0, 40))}`);
  return n;
}

/**
 * Driver side, as a stream starts (before its receiver is placed): the log directory's next
 * incarnation number, written (a temporary file fsynced and renamed, the directory fsynced)
 * before it is returned, so every writer of an earlier driver instance is fenced from here on.
 * A file that is not a number (damaged) counts as the highest incarnation its writers name: those
 * in the directory's file names and `knownWriters` (the driver's restored marks); `onDamaged` is
 * told the file and what it held.
 */
export function beginWalIncarnation(dir: string, knownWriters: Iterable<string> = [], onDamaged?: (message: string) => void): number {
  const file = path.join(dir, WAL_INCARNATION_FILE);
  try {
    makeDirectorySync(dir);
    const next = currentWalIncarnationSync(dir, knownWriters, onDamaged) + 1;
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, `${next}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const d = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
    return next;
  } catch (err) {
    throw new SluiceError(
      'SLUICE_CHECKPOINT',
      `cannot write the write-ahead log's driver incarnation '${file}': ${(err as Error).message}. The receivers of an earlier driver instance are fenced by it: make the checkpoint directory writable (and give it free space), then start the job again`,
      { cause: err },
    );
  }
}

/**
 * The log directory's driver incarnation as it stands (0 when there is none). A file that is not
 * a number (damaged) counts as the highest incarnation named by a writer of the log (`-inc<N>` in
 * its segment, fence and seal file names, and in `knownWriters`), and `onDamaged` is told: the
 * next incarnation is then newer than every placement the log still knows of, and the file holds
 * a number again once it is written.
 */
export function currentWalIncarnationSync(dir: string, knownWriters: Iterable<string> = [], onDamaged?: (message: string) => void): number {
  const file = path.join(dir, WAL_INCARNATION_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const n = Number(text.trim());
  if (text.trim() !== '' && Number.isSafeInteger(n) && n >= 0) return n;
  let highest = 0;
  const writers = [...knownWriters];
  for (const name of fs.readdirSync(dir)) {
    const w = parseSegmentFileName(name)?.writer ?? parseSealFileName(name)?.writer;
    if (w !== undefined) writers.push(w);
  }
  for (const w of writers) highest = Math.max(highest, walWriterIncarnation(w));
  onDamaged?.(
    `the write-ahead log's driver incarnation '${file}' holds no incarnation number (${JSON.stringify(text.slice(0, 40))}): taken as ${highest}, the highest its writers name, so the next is ${highest + 1}. The file is written again with it; if it keeps being damaged, check the checkpoint directory's disk`,
  );
  return highest;
}

/** How long a fenced writer waits for the driver's seal before it refuses its record. */
export const SEAL_WAIT_MS = 10_000;

/**
 * Writer side, after an append: whether the record at `place` is outside its writer's log
 * (fenced: the driver sealed the writer without it). False when there is no fence: no
 * `<writer>.fence`, and no driver incarnation newer than the writer's.
 */
export async function walRecordFenced(place: WalPlace, writer: string, waitMs = SEAL_WAIT_MS): Promise<boolean> {
  const dir = path.dirname(place.path);
  try {
    await fs.promises.access(path.join(dir, fenceFileName(writer)));
  } catch {
    // A placement of an earlier driver instance is fenced once a later one started.
    const current = await readWalIncarnation(dir).catch(() => 0);
    if (current <= walWriterIncarnation(writer)) return false;
  }
  const until = Date.now() + waitMs;
  for (;;) {
    const seal = await readWalSeal(dir, writer).catch(() => undefined);
    if (seal) {
      const end = seal.segments[path.basename(place.path)];
      return end === undefined || place.offset + place.length > end;
    }
    if (Date.now() >= until) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
}
