import type * as protobuf from 'protobufjs';
import type { FetchFailure__Output } from './generated/sluice/v1/FetchFailure.js';
import type { IndirectResult__Output } from './generated/sluice/v1/IndirectResult.js';
import type { MapStatus__Output } from './generated/sluice/v1/MapStatus.js';
import type { TaskError__Output } from './generated/sluice/v1/TaskError.js';
import type { TaskRunMetrics__Output } from './generated/sluice/v1/TaskRunMetrics.js';
import type * as wire from './wire.js';

/**
 * The fields (`name:id:type`, message types by name, `*` repeated; by id) of the types a TaskOutcomeBatch holds, as
 * readOutcomeBatch reads them. The services use readOutcomeBatch only while the descriptor's
 * types are exactly these (outcomeBatchMatches); after an edit of the .proto they fall back to
 * protobufjs's decode and toObject until this reader is updated (the proto-descriptor test
 * compares it with proto-loader's objects).
 */
const OUTCOME_FIELDS: Readonly<Record<string, string>> = {
  TaskOutcomeBatch: 'ended:1:TaskEnded*',
  TaskEnded: 'task_id:1:string outcome:2:TaskOutcome',
  TaskOutcome:
    'result:1:bytes map_status:2:MapStatus error:3:TaskError fetch_failed:4:FetchFailure killed:5:bool stored_blocks:6:string* ' +
    'accumulators:7:bytes shuffle_read_bytes:8:double indirect_result:9:IndirectResult stored_block_bytes:10:double* metrics:11:TaskRunMetrics',
  TaskRunMetrics:
    'executor_deserialize_time:1:double executor_run_time:2:double result_serialization_time:3:double shuffle_records_read:4:double ' +
    'shuffle_records_written:5:double shuffle_fetch_wait_time:6:double input_bytes_read:7:double input_records_read:8:double ' +
    'output_bytes_written:9:double output_records_written:10:double bytes_spilled:11:double',
  IndirectResult: 'block_id:1:string size:2:uint64',
  MapStatus: 'status:2:bytes',
  TaskError: 'code:1:string message:2:string stack:3:string',
  FetchFailure: 'shuffle_id:1:uint32 map_partition:2:uint32 worker_id:3:string message:4:string',
};

/** Whether `batch` (the resolved `sluice.v1.TaskOutcomeBatch`) and the types under it are those readOutcomeBatch reads. */
export function outcomeBatchMatches(batch: protobuf.Type): boolean {
  const seen = new Set<string>();
  const visit = (type: protobuf.Type): boolean => {
    if (seen.has(type.name)) return true;
    seen.add(type.name);
    const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id).map((f) => {
      const t = f.resolve().resolvedType;
      return `${f.name}:${f.id}:${t ? t.name : f.type}${f.repeated ? '*' : ''}${f.map ? '{}' : ''}`;
    });
    if (OUTCOME_FIELDS[type.name] !== fields.join(' ')) return false;
    for (const f of type.fieldsArray) {
      const t = f.resolvedType;
      if (t && !visit(t as protobuf.Type)) return false;
    }
    return true;
  };
  return visit(batch) && seen.size === Object.keys(OUTCOME_FIELDS).length;
}

type Reader = protobuf.Reader;

/**
 * A TaskOutcomeBatch (what the driver reads on a task stream, a message every few tiny tasks)
 * read straight from the wire into the plain objects protobufjs's decode then toObject (with
 * proto-loader's options: defaults, oneof names, 64-bit integers as numbers) would make: the
 * same keys in the same order, the same values, without the intermediate instances. What
 * that copy gave, given here directly: every absent field's default (an own "" / 0 / null /
 * empty array / empty Buffer, never protobufjs's frozen empty array), the oneof's name as an
 * own `outcome` string (the decoded instance's is a prototype getter scanning its keys at each
 * read), an IndirectResult's uint64 `size` a number (protobufjs reads a Long), and TaskError
 * and the others plain objects. As protobufjs's decode: a field repeated on the wire replaces
 * the earlier one (a message too), unknown fields are skipped, a length past its message's
 * end is a RangeError. The proto-descriptor test compares the objects with proto-loader's.
 */
export function readOutcomeBatch(pb: typeof protobuf, bytes: Uint8Array): wire.TaskOutcomeBatch__Output {
  const r = pb.Reader.create(bytes);
  const ended: wire.TaskEnded__Output[] = [];
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 === 1) {
      const l = enter(r);
      ended.push(readEnded(pb, r));
      leave(r, l);
    } else r.skipType(t & 7);
  }
  return { ended };
}

/** Limits `r` to the message whose length comes next; returns the outer limit, for leave. */
function enter(r: Reader): number {
  const c = r.uint32() + r.pos;
  if (c > r.len) throw new RangeError('index out of range');
  const l = r.len;
  r.len = c;
  return l;
}

function leave(r: Reader, l: number): void {
  if (r.pos !== r.len) throw new RangeError('index out of range');
  r.len = l;
}

function readEnded(pb: typeof protobuf, r: Reader): wire.TaskEnded__Output {
  let taskId = '';
  let outcome: wire.TaskOutcome__Output | null = null;
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        taskId = r.string();
        break;
      case 2: {
        const l = enter(r);
        outcome = readOutcome(pb, r);
        leave(r, l);
        break;
      }
      default:
        r.skipType(t & 7);
    }
  }
  return { task_id: taskId, outcome };
}

function readOutcome(pb: typeof protobuf, r: Reader): wire.TaskOutcome__Output {
  let result: Buffer | undefined;
  let mapStatus: MapStatus__Output | undefined;
  let error: TaskError__Output | undefined;
  let fetchFailed: FetchFailure__Output | undefined;
  let killed: boolean | undefined;
  let indirect: IndirectResult__Output | undefined;
  let storedBlocks: string[] | undefined;
  let storedBlockBytes: number[] | undefined;
  let accumulators: Buffer | undefined;
  let shuffleReadBytes = 0;
  let metrics: TaskRunMetrics__Output | null = null;
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        result = r.bytes() as Buffer;
        break;
      case 2: {
        const l = enter(r);
        mapStatus = readMapStatus(r);
        leave(r, l);
        break;
      }
      case 3: {
        const l = enter(r);
        error = readError(r);
        leave(r, l);
        break;
      }
      case 4: {
        const l = enter(r);
        fetchFailed = readFetchFailure(r);
        leave(r, l);
        break;
      }
      case 5:
        killed = r.bool();
        break;
      case 6:
        (storedBlocks ??= []).push(r.string());
        break;
      case 7:
        accumulators = r.bytes() as Buffer;
        break;
      case 8:
        shuffleReadBytes = r.double();
        break;
      case 9: {
        const l = enter(r);
        indirect = readIndirect(pb, r);
        leave(r, l);
        break;
      }
      case 10: {
        storedBlockBytes ??= [];
        if ((t & 7) === 2) {
          const l = enter(r);
          while (r.pos < r.len) storedBlockBytes.push(r.double());
          leave(r, l);
        } else storedBlockBytes.push(r.double());
        break;
      }
      case 11: {
        const l = enter(r);
        metrics = readMetrics(r);
        leave(r, l);
        break;
      }
      default:
        r.skipType(t & 7);
    }
  }
  // toObject's keys, in its order: the defaults first, then each oneof member present, naming it.
  const d: wire.TaskOutcome__Output = {
    stored_blocks: storedBlocks ?? [],
    stored_block_bytes: storedBlockBytes ?? [],
    accumulators: accumulators ?? Buffer.alloc(0),
    shuffle_read_bytes: shuffleReadBytes,
    metrics,
  };
  if (result !== undefined) {
    d.result = result;
    d.outcome = 'result';
  }
  if (mapStatus !== undefined) {
    d.map_status = mapStatus;
    d.outcome = 'map_status';
  }
  if (error !== undefined) {
    d.error = error;
    d.outcome = 'error';
  }
  if (fetchFailed !== undefined) {
    d.fetch_failed = fetchFailed;
    d.outcome = 'fetch_failed';
  }
  if (killed !== undefined) {
    d.killed = killed;
    d.outcome = 'killed';
  }
  if (indirect !== undefined) {
    d.indirect_result = indirect;
    d.outcome = 'indirect_result';
  }
  return d;
}

/**
 * An empty TaskRunMetrics (every field 0: a tiny task's, whose worker leaves zeros out), one
 * object shared by every outcome that carries one instead of one each (perf28); frozen, as no
 * reader of an outcome changes it.
 */
const EMPTY_METRICS: TaskRunMetrics__Output = Object.freeze({ executor_deserialize_time: 0, executor_run_time: 0, result_serialization_time: 0, shuffle_records_read: 0, shuffle_records_written: 0, shuffle_fetch_wait_time: 0, input_bytes_read: 0, input_records_read: 0, output_bytes_written: 0, output_records_written: 0, bytes_spilled: 0 });

function readMetrics(r: Reader): TaskRunMetrics__Output {
  if (r.pos >= r.len) return EMPTY_METRICS;
  const m: TaskRunMetrics__Output = { executor_deserialize_time: 0, executor_run_time: 0, result_serialization_time: 0, shuffle_records_read: 0, shuffle_records_written: 0, shuffle_fetch_wait_time: 0, input_bytes_read: 0, input_records_read: 0, output_bytes_written: 0, output_records_written: 0, bytes_spilled: 0 };
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        m.executor_deserialize_time = r.double();
        break;
      case 2:
        m.executor_run_time = r.double();
        break;
      case 3:
        m.result_serialization_time = r.double();
        break;
      case 4:
        m.shuffle_records_read = r.double();
        break;
      case 5:
        m.shuffle_records_written = r.double();
        break;
      case 6:
        m.shuffle_fetch_wait_time = r.double();
        break;
      case 7:
        m.input_bytes_read = r.double();
        break;
      case 8:
        m.input_records_read = r.double();
        break;
      case 9:
        m.output_bytes_written = r.double();
        break;
      case 10:
        m.output_records_written = r.double();
        break;
      case 11:
        m.bytes_spilled = r.double();
        break;
      default:
        r.skipType(t & 7);
    }
  }
  return m;
}

function readMapStatus(r: Reader): MapStatus__Output {
  let status: Buffer | undefined;
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 === 2) status = r.bytes() as Buffer;
    else r.skipType(t & 7);
  }
  return { status: status ?? Buffer.alloc(0) };
}

function readError(r: Reader): TaskError__Output {
  let code = '';
  let message = '';
  let stack = '';
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        code = r.string();
        break;
      case 2:
        message = r.string();
        break;
      case 3:
        stack = r.string();
        break;
      default:
        r.skipType(t & 7);
    }
  }
  return { code, message, stack };
}

function readFetchFailure(r: Reader): FetchFailure__Output {
  let shuffleId = 0;
  let mapPartition = 0;
  let workerId = '';
  let message = '';
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        shuffleId = r.uint32();
        break;
      case 2:
        mapPartition = r.uint32();
        break;
      case 3:
        workerId = r.string();
        break;
      case 4:
        message = r.string();
        break;
      default:
        r.skipType(t & 7);
    }
  }
  return { shuffle_id: shuffleId, map_partition: mapPartition, worker_id: workerId, message };
}

function readIndirect(pb: typeof protobuf, r: Reader): IndirectResult__Output {
  let blockId = '';
  let size = 0;
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        blockId = r.string();
        break;
      case 2: {
        // A Long when protobufjs has one (it does: `long` is its dependency); as toObject's longs: Number.
        const v = r.uint64() as unknown as number | { low: number; high: number };
        size = typeof v === 'number' ? v : new pb.util.LongBits(v.low >>> 0, v.high >>> 0).toNumber(true);
        break;
      }
      default:
        r.skipType(t & 7);
    }
  }
  return { block_id: blockId, size };
}
