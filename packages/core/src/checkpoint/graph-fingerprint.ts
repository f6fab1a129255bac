/**
 * The fingerprint of a DStream graph that a metadata checkpoint records: every stream's
 * operator, its parameters (window length and slide, directory, partition counts the
 * job gave), its slide, its parents and its checkpoint interval; every output operation
 * and the stream it reads; and the batch interval. Stream ids are the order in which the
 * job's code made its streams, so the same code makes the same ids.
 *
 * Function bodies are not part of it, on purpose: changing what a map or an update
 * function computes, without changing the graph, is allowed to recover (as Structured
 * Streaming allows changed map-like operations), while a changed graph could not use the
 * checkpointed state and input positions and is refused before any batch runs.
 *
 * Where a receiver stream reads from (its `name`: `socketTextStream(host:port)`, MQTT's broker
 * and topics, Flume's address, Kinesis' stream) is not part of the graph either: a program
 * changed to read another source recovers, with that source (the graph is rebuilt from the
 * new code, where Spark deserializes the old receiver and reads the old source), and the
 * driver warns naming both (inputSourceChanges).
 */
import { SluiceError } from '../errors.js';

/**
 * The job's graph differs from the one its checkpoint recorded: recovery refuses it before any
 * batch runs. Its own class (its code, SLUICE_CHECKPOINT, also covers what a restart may fix)
 * so that `--supervise` can tell a failure every attempt meets again: the same code and the
 * same checkpoint differ the same way.
 */
export class CheckpointGraphMismatchError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_CHECKPOINT', message);
    this.name = 'CheckpointGraphMismatchError';
  }
}

export interface StreamFingerprint {
  readonly id: number;
  readonly op: string;
  readonly params: Record<string, unknown>;
  readonly slideMs: number;
  readonly parents: readonly number[];
  readonly checkpointIntervalMs: number | null;
}

export interface OutputFingerprint {
  readonly streamId: number;
  readonly op: string;
  readonly params: Record<string, unknown>;
}

export interface GraphFingerprint {
  readonly batchIntervalMs: number;
  readonly streams: readonly StreamFingerprint[];
  readonly outputs: readonly OutputFingerprint[];
}

/** The parts of a stream the fingerprint reads (DStream has them; kept structural to avoid an import cycle). */
export interface FingerprintedStream {
  readonly id: number;
  readonly slideDuration: number;
  readonly dependencies: readonly { readonly id: number }[];
  readonly checkpointInterval: number | undefined;
  fingerprint(): { readonly op: string; readonly params: Record<string, unknown> };
}

/** Plain JSON: undefined fields dropped, so a fingerprint compares equal after a round trip through a file. */
function plain(x: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
}

export function graphFingerprint(
  batchIntervalMs: number,
  streams: readonly FingerprintedStream[],
  outputs: readonly { readonly streamId: number; readonly op: string; readonly params: Record<string, unknown> }[],
): GraphFingerprint {
  return {
    batchIntervalMs,
    streams: [...streams]
      .sort((a, b) => a.id - b.id)
      .map((s) => {
        const f = s.fingerprint();
        return {
          id: s.id,
          op: f.op,
          params: plain(f.params),
          slideMs: s.slideDuration,
          parents: s.dependencies.map((d) => d.id),
          checkpointIntervalMs: s.checkpointInterval ?? null,
        };
      }),
    outputs: outputs.map((o) => ({ streamId: o.streamId, op: o.op, params: plain(o.params) })),
  };
}

/** The operator whose `name` param is where its input comes from (not the graph's shape). */
const SOURCE_NAMED_OP = 'ReceiverInputDStream';

/** The stream as the graph comparison reads it: a receiver stream without its source's name. */
function structural(s: StreamFingerprint): StreamFingerprint {
  if (s.op !== SOURCE_NAMED_OP || !('name' in s.params)) return s;
  const { name: _name, ...params } = s.params;
  return { ...s, params };
}

/** A receiver stream whose source differs from the checkpoint's: `was` and `now` are the streams' names. */
export interface InputSourceChange {
  readonly streamId: number;
  readonly was: string;
  readonly now: string;
}

/**
 * The receiver streams of the same id in both graphs (fingerprintDifferences found no other
 * difference) whose source differs: recovery goes on with the code's, and says so.
 */
export function inputSourceChanges(was: GraphFingerprint, now: GraphFingerprint): InputSourceChange[] {
  const out: InputSourceChange[] = [];
  for (const b of now.streams) {
    const a = was.streams.find((s) => s.id === b.id);
    if (a === undefined || a.op !== SOURCE_NAMED_OP || b.op !== SOURCE_NAMED_OP) continue;
    if (a.params.name !== b.params.name) out.push({ streamId: b.id, was: String(a.params.name), now: String(b.params.name) });
  }
  return out;
}

function describe(s: StreamFingerprint): string {
  const params = Object.entries(s.params)
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(', ');
  const parts = [params, `slide ${s.slideMs} ms`, s.parents.length ? `from stream ${s.parents.join(', ')}` : 'input', s.checkpointIntervalMs !== null ? `checkpoint every ${s.checkpointIntervalMs} ms` : ''];
  return `${s.op}(${parts.filter(Boolean).join('; ')})`;
}

function describeOutput(o: OutputFingerprint): string {
  const params = Object.entries(o.params)
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(', ');
  return `${o.op}(${params ? params + '; ' : ''}of stream ${o.streamId})`;
}

/** What differs between the checkpoint's graph (`was`) and the code's (`now`), one line each; empty when the same. */
export function fingerprintDifferences(was: GraphFingerprint, now: GraphFingerprint): string[] {
  const out: string[] = [];
  if (was.batchIntervalMs !== now.batchIntervalMs) out.push(`batch interval: checkpoint ${was.batchIntervalMs} ms, code ${now.batchIntervalMs} ms`);
  const n = Math.max(was.streams.length, now.streams.length);
  for (let i = 0; i < n; i++) {
    const a = was.streams[i];
    const b = now.streams[i];
    if (!a) out.push(`stream ${b.id}: not in the checkpoint, code has ${describe(b)}`);
    else if (!b) out.push(`stream ${a.id}: checkpoint has ${describe(a)}, not in the code`);
    else if (describe(structural(a)) !== describe(structural(b))) out.push(`stream ${a.id}: checkpoint has ${describe(a)}, code has ${describe(b)}`);
  }
  const m = Math.max(was.outputs.length, now.outputs.length);
  for (let i = 0; i < m; i++) {
    const a = was.outputs[i];
    const b = now.outputs[i];
    if (!a) out.push(`output ${i}: not in the checkpoint, code has ${describeOutput(b)}`);
    else if (!b) out.push(`output ${i}: checkpoint has ${describeOutput(a)}, not in the code`);
    else if (describeOutput(a) !== describeOutput(b)) out.push(`output ${i}: checkpoint has ${describeOutput(a)}, code has ${describeOutput(b)}`);
  }
  return out;
}

/**
 * fingerprintDifferences' lines as the user reads them: the streams one call of the program made
 * (a count() makes 5, each an internal stream of its own) named once, by that call's site
 * (`siteOf`: 'count at job.ts:12:5', undefined when unknown), instead of once a stream; a call
 * that made one stream keeps its line, with 'made by' its site; of one that made several, the first
 * that differs from the checkpoint's stream of its id is told (what changed). Streams of the checkpoint not
 * in the code (whose calls the code no longer makes) are one line; other lines stay as they are.
 */
export function differencesByCall(lines: readonly string[], siteOf: (streamId: number) => string | undefined): string[] {
  interface Call {
    readonly site: string;
    readonly first: string;
    readonly ids: number[];
    readonly kinds: Set<'added' | 'changed'>;
    /** The first of its streams that differs from the checkpoint's stream of that id (what changed: a window's length). */
    changed?: string;
  }
  const out: (string | Call)[] = [];
  const calls = new Map<string, Call>();
  const removed: number[] = [];
  let firstRemoved = '';
  for (const line of lines) {
    const m = /^stream (\d+): /.exec(line);
    if (m === null) {
      out.push(line);
      continue;
    }
    const id = Number(m[1]);
    if (line.endsWith(', not in the code')) {
      if (removed.length === 0) {
        out.push('');
        firstRemoved = line;
      }
      removed.push(id);
      continue;
    }
    const site = siteOf(id);
    if (site === undefined) {
      out.push(line);
      continue;
    }
    let call = calls.get(site);
    if (call === undefined) {
      calls.set(site, (call = { site, first: line, ids: [], kinds: new Set() }));
      out.push(call);
    }
    call.ids.push(id);
    const added = line.includes(': not in the checkpoint, ');
    call.kinds.add(added ? 'added' : 'changed');
    if (!added) call.changed ??= line;
  }
  const removedLine = removed.length === 1 ? firstRemoved : `streams ${idList(removed)} of the checkpoint: not in the code`;
  return out.map((x) => {
    if (x === '') return removedLine;
    if (typeof x === 'string') return x;
    if (x.ids.length === 1) return `${x.first}, made by ${x.site}`;
    const what = x.kinds.size === 2 ? 'not in the checkpoint or not as there' : x.kinds.has('added') ? 'not in the checkpoint' : "not as the checkpoint's";
    return `${x.site} makes streams ${idList(x.ids)}, ${what}${x.changed === undefined ? '' : ` (${x.changed})`}`;
  });
}

/** Stream ids as a reader takes them in: '7 to 11' when consecutive, else '3, 5, 9'. */
function idList(ids: readonly number[]): string {
  const consecutive = ids.every((id, i) => i === 0 || id === ids[i - 1] + 1);
  return consecutive && ids.length > 2 ? `${ids[0]} to ${ids[ids.length - 1]}` : ids.join(', ');
}
