import { SluiceError } from '../errors.js';

/**
 * A shuffle read's records come in map-index order, wherever the map outputs lie. A worker
 * answers a reduce partition's read of several of its map outputs with their segments back
 * to back (IndexShuffleBlockResolver.read), each non-empty one after a map mark: a frame of
 * its own (a 4-byte little-endian length of 5, then MAP_TAG and the map's index as a u32
 * LE) that holds no records. A reduce task reads from every place at once and then takes
 * the segments in the order of their maps' indexes (mapOrderRuns), so the records it
 * sees do not depend on which worker held which map output. Before, they came grouped by
 * place, and recomputing a lost worker's outputs elsewhere changed that grouping: a stage
 * that deals records by their order (repartition's round-robin, zipWithIndex, take, the
 * order of a reduceByKey's keys) then gave a re-run map task's records other places than
 * its first run had, and reduce tasks that had read the first run's outputs and tasks that
 * read the re-run's counted a record twice or not at all. Spark re-runs such stages whole
 * (SPARK-23243); with this order Sluice's are deterministic given their inputs.
 */
export const MAP_TAG = 0x4d;

/** A map mark's bytes: its frame header and its 5 bytes (MAP_TAG, the map's index). */
export const MAP_MARK_BYTES = 9;

/** Writes the map mark of map output `map` at data[at] (MAP_MARK_BYTES); returns where it ends. */
export function writeMapMark(data: Uint8Array, at: number, map: number): number {
  data[at] = 5;
  data[at + 1] = 0;
  data[at + 2] = 0;
  data[at + 3] = 0;
  data[at + 4] = MAP_TAG;
  data[at + 5] = map;
  data[at + 6] = map >>> 8;
  data[at + 7] = map >>> 16;
  data[at + 8] = map >>> 24;
  return at + MAP_MARK_BYTES;
}

/** Whether the frame at bytes[from, from + len) (after its header) is a map mark. */
export function isMapMark(bytes: Uint8Array, from: number, len: number): boolean {
  return len === 5 && bytes[from] === MAP_TAG;
}

/**
 * Where the segments of several places' answers lie, in the order of their maps' indexes
 * (each answer a buffer of map-marked segments in ascending map order, as a worker answers
 * one read): triples of the answer's index, the start and the end, a run of segments that
 * lie side by side in one answer as one triple. One answer with data is one triple. Frames
 * before an answer's first mark (an answer without marks) come before every marked segment.
 * The answers are merged as they come (each is in map order already): no sort.
 */
export function mapOrderRuns(answers: readonly Uint8Array[]): number[] {
  let withData = 0;
  let last = -1;
  for (let i = 0; i < answers.length; i++) {
    if (answers[i].length === 0) continue;
    withData++;
    last = i;
  }
  if (withData === 0) return [];
  if (withData === 1) return [last, 0, answers[last].length];
  // Each answer's segments: map index, start (its mark), end (the next mark, or the answer's end).
  const segs: number[][] = [];
  for (let i = 0; i < answers.length; i++) {
    const bytes = answers[i];
    const total = bytes.length;
    const here: number[] = [];
    let at = 0;
    while (at < total) {
      if (at + 4 > total) throw new SluiceError('SLUICE_INTERNAL', `truncated shuffle segment: a frame header at byte ${at} of ${total}`);
      const len = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
      const from = at + 4;
      const mark = isMapMark(bytes, from, len);
      if (mark || here.length === 0) {
        if (here.length > 0) here[here.length - 1] = at;
        here.push(mark ? (bytes[from + 1] | (bytes[from + 2] << 8) | (bytes[from + 3] << 16)) + bytes[from + 4] * 0x1000000 : -1, at, total);
      }
      at = from + len;
    }
    segs.push(here);
  }
  // A merge of the answers by map index: the head with the least map next, a run kept open
  // while the same answer's next segment follows it.
  const heads = new Array<number>(answers.length).fill(0);
  const out: number[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < segs.length; i++) {
      const h = heads[i];
      if (h < segs[i].length && (best < 0 || segs[i][h] < segs[best][heads[best]])) best = i;
    }
    if (best < 0) return out;
    const seg = segs[best];
    const h = heads[best];
    const n = out.length;
    if (n > 0 && out[n - 3] === best && out[n - 1] === seg[h + 1]) out[n - 1] = seg[h + 2];
    else out.push(best, seg[h + 1], seg[h + 2]);
    heads[best] = h + 3;
  }
}

/** The segments of several places' answers in the order of their maps' indexes (mapOrderRuns), as views of the answers. */
export function segmentsInMapOrder(answers: readonly Uint8Array[]): Uint8Array[] {
  const runs = mapOrderRuns(answers);
  const out: Uint8Array[] = [];
  for (let i = 0; i < runs.length; i += 3) out.push(answers[runs[i]].subarray(runs[i + 1], runs[i + 2]));
  return out;
}

/**
 * The bytes of a read's answer less its map marks: its segments as their map tasks wrote them,
 * so a task's shuffle bytes read sum to what the map tasks wrote, as Spark's do (the marks are
 * the answer's framing, not data).
 */
export function bytesWithoutMapMarks(bytes: Uint8Array): number {
  const total = bytes.length;
  let marks = 0;
  let at = 0;
  while (at + 4 <= total) {
    const len = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
    if (isMapMark(bytes, at + 4, len)) marks++;
    at += 4 + len;
  }
  return total - marks * MAP_MARK_BYTES;
}
