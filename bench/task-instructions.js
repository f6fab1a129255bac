// Task-thread benchmark for valgrind (not a test): one checkout's core runs the word count's
// map stage (flatMap(split), map([w, 1]), reduceByKey(+) into 8 partitions) as TASKS tasks of
// LINES lines each, from a text file (batch) or a received line block (stream), or the
// hand-written loop (loop), or nothing (none: what the process costs without the work).
// Its instruction count under valgrind does not move with the machine's load:
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node bench/task-instructions.js CHECKOUT batch|stream|loop|none [LINES=20000] [TASKS=5]
//
// ("I refs" is the total; subtract the `none` run's).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
const [checkout, mode, LINESs = '20000', TASKSs = '5'] = process.argv.slice(2);
const LINES = Number(LINESs), TASKS = Number(TASKSs);
const core = await import(path.join(path.resolve(checkout), 'packages/core/dist/src/internal.js'));
const { makeLines } = await import('./lines.js');
const text = makeLines(LINES);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vgt-')); const file = path.join(tmp, 'l.txt'); fs.writeFileSync(file, text);
const evalInScope = (source) => (0, eval)(source);
const env = { jobId: 'b', revive: (fn) => core.reviveClosure(fn, evalInScope, () => undefined), fetchShuffle: async () => [], getCached: async () => undefined, putCached() {}, getBlock: async () => ({ data: block }) };
const block = core.encodeLineBlock([text], text.length);
const node = (id, op, parents = []) => ({ id, numPartitions: 1, op, parents, shuffleParents: [], storage: 'NONE' });
const shuffle = { shuffleId: 0, partitioner: { kind: 'hash', numPartitions: 8 }, aggregator: { kind: 'reduce', fn: core.captureClosure((a, b) => a + b, 'reduceByKey', 'b') }, mapSideCombine: true };
const chain = (source) => ({ root: 2, nodes: { 0: node(0, source), 1: node(1, { kind: 'flatMap', fn: core.captureClosure((line) => line.split(' '), 'flatMap', 'b') }, [0]), 2: node(2, { kind: 'map', fn: core.captureClosure((w) => [w, 1], 'map', 'b') }, [1]) } });
const payload = { kind: 'shuffleMap', shuffle, mapOutputs: {}, plan: chain(mode === 'batch' ? { kind: 'textFile', splits: [{ file, start: 0, end: text.length }] } : { kind: 'blocks', blocks: [{ blockId: 'x', locations: [] }] }) };
function loop() { const m = new Map(); const s = text.toString('utf8'); let st = 0; for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', st)) { const ws = s.slice(st, nl).split(' '); st = nl + 1; for (let j = 0; j < ws.length; j++) { const w = ws[j]; m.set(w, (m.get(w) ?? 0) + 1); } } return m; }
for (let t = 0; t < TASKS; t++) {
  if (mode === 'loop') loop(); else if (mode !== 'none') await core.runTask(payload, 0, env);
}
fs.rmSync(tmp, { recursive: true, force: true });
