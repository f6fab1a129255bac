// Mutation check of the test suite (not part of `npm test`): for each deliberate bug
// below, copy the repository to a scratch directory, apply the bug (an exact search
// string replaced in one file), build, run the test files that should catch it, and
// report whether they did.
//
//   node scripts/mutants.mjs                  every mutation, one at a time (slow: minutes each)
//   node scripts/mutants.mjs --list           the mutations, without running anything
//   node scripts/mutants.mjs --only a,b       just these (by id)
//   node scripts/mutants.mjs --baseline       also run each mutation's tests unmutated first
//   node scripts/mutants.mjs --keep           keep the scratch copies (their paths are printed)
//   node scripts/mutants.mjs --tsc            build every mutated copy with tsc -b (by default a mutated
//                                             src/*.ts whose unmutated text transpiles to its dist/*.js
//                                             exactly is rebuilt alone with transpileModule: see build())
//   node scripts/mutants.mjs --check          only check that every mutation still applies (its file
//                                             exists, its search text occurs exactly once, its test
//                                             files have sources); fast, runs no test. Exit code 1,
//                                             naming each stale mutation. Every run checks this first.
//
// The copy takes the working tree as it is (committed or not) without .git and the root
// node_modules, which is linked; each package's node_modules (pnpm's relative symlinks) is
// copied as links, so @sluice/* resolve to the mutated copy, and dist/ with its build info
// is copied so `tsc -b` rebuilds only what the mutation touched. Prints a Markdown table
// (mutation, file, caught?, the tests that failed) and writes it to mutants-report.md in
// the scratch root. Exit code 1 if a mutation was not caught or could not be applied.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_TIMEOUT_MS = 240_000;

/**
 * The mutations: `search` must occur exactly once in `file`; `tests` are compiled test
 * files (relative to the repository), each run on its own, optionally as
 * `{ file, pattern }` to run only the tests expected to catch the bug
 * (node --test --test-name-pattern).
 */
const MUTATIONS = [
  {
    id: 'disk-full-part-not-named',
    what: 'a part file that cannot be written for want of space is a plain SLUICE_IO error, not SLUICE_DISK_FULL with the fix',
    file: 'packages/core/src/scheduler/run-task.ts',
    search: '    if (isDiskFull(err)) {',
    replace: '    if (isDiskFull(err) && Math.random() > 2) {',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'saveAsTextFile into a full disk' }],
  },
  {
    id: 'disk-full-job-code-lost',
    what: 'a job whose task failed for want of space after its retries fails as SLUICE_TASK_FAILED, not SLUICE_DISK_FULL',
    file: 'packages/driver/src/scheduler/dag-scheduler.ts',
    search: " || end.code === 'SLUICE_DISK_FULL') throw",
    replace: ') throw',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'saveAsTextFile into a full disk' }],
  },
  {
    id: 'disk-full-checkpoint-stops-stream',
    what: 'a metadata checkpoint that cannot be written for want of space stops the stream (Spark logs a warning and goes on)',
    file: 'packages/core/src/streaming/metadata-checkpointer.ts',
    search: '      if (!isDiskFull(err)) throw err;',
    replace: '      throw err;',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'a full checkpoint directory' }],
  },
  {
    id: 'disk-full-map-output-internal',
    what: 'a map output that cannot spill to a full --local-dir fails the task as an internal worker error, not SLUICE_DISK_FULL',
    file: 'packages/worker/src/executor/executor.ts',
    search: '          if (!isDiskFull(err)) throw err;',
    replace: '          throw err;',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'a shuffle whose map outputs' }],
  },
  {
    id: 'disk-full-spill-unnamed',
    what: 'a block that cannot spill for want of space is not named as the shuffle output of map task M, with --local-dir as the fix',
    file: 'packages/worker/src/storage/block-manager.ts',
    search: '      if (isDiskFull(err)) {',
    replace: '      if (isDiskFull(err) && Math.random() > 2) {',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'a shuffle whose map outputs' }],
  },
  {
    id: 'disk-full-wal-short-write-acknowledged',
    what: 'a write-ahead log write that the filling disk took only part of is taken as whole: the block is acknowledged half-written',
    file: 'packages/worker/src/receiver/write-ahead-log-writer.ts',
    search: '      for (let at = 0; at < record.length; ) {',
    replace: '      for (let at = 0; at < 1; ) {',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'a full write-ahead log directory' }],
  },
  {
    id: 'disk-full-wal-unnamed',
    what: 'a received block the write-ahead log cannot take for want of space is a plain SLUICE_IO error without the fix',
    file: 'packages/worker/src/receiver/write-ahead-log-writer.ts',
    search: '      if (isDiskFull(err)) {',
    replace: '      if (isDiskFull(err) && Math.random() > 2) {',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'a full write-ahead log directory' }],
  },
  {
    id: 'receiver-store-unsettled-on-put-throw',
    what: "a received block the worker's block store refuses (an older block cannot spill to a full --local-dir) is only logged: the receiver's store() never settles",
    file: 'packages/worker/src/executor/executor.ts',
    search: "            answer(message, err instanceof SluiceError ? err.code : isDiskFull(err) ? 'SLUICE_DISK_FULL' : 'SLUICE_IO');\n",
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'pushes an older one out to a full --local-dir' }],
  },
  {
    id: 'receiver-store-code-lost',
    what: "a received block refused for want of space rejects the receiver's store() as a plain SLUICE_IO, not SLUICE_DISK_FULL",
    file: 'packages/worker/src/executor/executor.ts',
    search: "answer(message, err instanceof SluiceError ? err.code : isDiskFull(err) ? 'SLUICE_DISK_FULL' : 'SLUICE_IO');",
    replace: "answer(message, 'SLUICE_IO');",
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'pushes an older one out to a full --local-dir' }],
  },
  {
    id: 'block-put-not-atomic',
    what: 'a block put whose room cannot be made (an older block cannot spill) throws but keeps the new block, over the memory bound and unreferenced',
    file: 'packages/worker/src/storage/block-manager.ts',
    search: '        this.remove(blockId);\n        throw err;',
    replace: '        throw err;',
    tests: [{ file: 'packages/worker/dist/test/storage/block-manager.test.js', pattern: 'a put whose room cannot be made' }],
  },
  {
    id: 'kafka-commit-after-stop-opens-consumer',
    what: "commitAsync after ssc.stop() opens a driver-side consumer that nothing closes, and commits",
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: '    if (this.stopped) {',
    replace: '    if (this.stopped && Math.random() > 2) {',
    tests: [{ file: 'packages/kafka/dist/test/kafka-bad-input.test.js', pattern: 'commitAsync after ssc.stop' }],
  },
  {
    id: 'kafka-commit-rejection-unhandled',
    what: "a commitAsync nobody awaits whose promise rejects (after the stop) crashes the driver program (an unhandled rejection)",
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: '  p.catch(() => undefined);\n  return p;',
    replace: '  return p;',
    tests: [{ file: 'packages/kafka/dist/test/kafka-bad-input.test.js', pattern: 'commitAsync after ssc.stop' }],
  },
  {
    id: 'disk-full-cache-internal',
    what: 'a cached MEMORY_AND_DISK partition that cannot spill to a full --local-dir fails its task as SLUICE_INTERNAL: the job fails SLUICE_TASK_FAILED, not SLUICE_DISK_FULL',
    file: 'packages/worker/src/executor/job-sandbox.ts',
    search: "code: isDiskFull(err) ? 'SLUICE_DISK_FULL' : 'SLUICE_INTERNAL'",
    replace: "code: 'SLUICE_INTERNAL'",
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'MEMORY_AND_DISK cache' }],
  },
  {
    id: 'disk-full-checkpoint-tmp-left',
    what: 'a checkpoint file whose write failed leaves its half-written temporary file behind',
    file: 'packages/core/src/checkpoint/local-checkpoint-store.ts',
    search: '      await fs.promises.rm(tmp, { force: true });\n      if (isDiskFull(err)) {',
    replace: '      if (isDiskFull(err)) {',
    tests: [{ file: 'packages/cli/dist/test/disk-full.test.js', pattern: 'a full checkpoint directory' }],
  },
  {
    id: 'task-stream-removals-ignored',
    what: 'a worker ignores the block removals the driver sends on the task stream (received blocks and map outputs pile up)',
    file: 'packages/worker/src/rpc/task-stream-handler.ts',
    search: '    if (m.remove_block_ids.length > 0 || m.remove_block_prefixes.length > 0) executor.removeBlocks(m.remove_block_ids, m.remove_block_prefixes);',
    replace: '    if (m.remove_block_ids.length > 0 && m.remove_block_prefixes.length > 0) executor.removeBlocks(m.remove_block_ids, m.remove_block_prefixes);',
    tests: ['packages/worker/dist/test/rpc/task-stream-handler.test.js'],
  },
  {
    id: 'task-outcomes-not-held',
    what: 'a worker writes tiny tasks\' outcomes each turn even while the driver has tasks queued there (a message for every one or two outcomes)',
    file: 'packages/worker/src/rpc/task-stream-handler.ts',
    search: '    else if (inFlight > executor.cores) holdTimer ??= setTimeout(flush, holdMs);',
    replace: '    else if (inFlight > 2 * executor.cores) holdTimer ??= setTimeout(flush, holdMs);',
    tests: ['packages/worker/dist/test/rpc/task-stream-handler.test.js'],
  },
  {
    id: 'task-outcomes-held-unbounded',
    what: 'a held outcome waits until enough of the stream\'s tasks end, however long (a slow task holds the others\' outcomes)',
    file: 'packages/worker/src/rpc/task-stream-handler.ts',
    search: '    else if (inFlight > executor.cores) holdTimer ??= setTimeout(flush, holdMs);',
    replace: '    else if (inFlight > executor.cores) holdTimer ??= undefined;',
    tests: ['packages/worker/dist/test/rpc/task-stream-handler.test.js'],
  },
  {
    id: 'pipeline-one-queued-per-core',
    what: 'the driver queues one task per core beyond a worker\'s slots, not QUEUED_PER_CORE',
    file: 'packages/driver/src/scheduler/task-scheduler.ts',
    search: 'if (w.queuedTasks < QUEUED_PER_CORE * w.cores) next.push(w);',
    replace: 'if (w.queuedTasks < w.cores) next.push(w);',
    tests: ['packages/driver/dist/test/scheduler/task-scheduler.test.js'],
  },
  {
    id: 'pipeline-queues-first-worker-first',
    what: "the driver fills one worker's queue before it offers the next any (a short stage's queued tasks pile on one worker)",
    file: 'packages/driver/src/scheduler/task-scheduler.ts',
    search: '      for (const w of open) {\n        for (const tsm of sets) {',
    replace: '      for (const w of open.slice(0, 1)) {\n        for (const tsm of sets) {',
    tests: [{ file: 'packages/driver/dist/test/scheduler/task-scheduler.test.js', pattern: 'queued evenly' }],
  },
  {
    id: 'slots-offered-to-sets-with-nothing-due',
    what: 'every scheduling pass offers each idle worker to task sets with no pending task and no copy due (O(workers) a task end, O(workers^2) a stage)',
    file: 'packages/driver/src/scheduler/task-scheduler.ts',
    search: 'const sets = this.taskSets.filter((t) => t.wantsSlot());',
    replace: 'const sets = this.taskSets;',
    tests: [{ file: 'packages/driver/dist/test/scheduler/task-scheduler.test.js', pattern: 'nothing pending is offered no slot' }],
  },
  {
    id: 'slots-not-offered-for-copies',
    what: 'a task set with nothing pending is never offered a slot, even with a straggler past the threshold (no speculative copy is placed)',
    file: 'packages/driver/src/scheduler/task-set-manager.ts',
    search: 'return threshold !== undefined && this.oldestRunningPast(this.clock.now(), threshold);',
    replace: 'return false;',
    tests: [{ file: 'packages/driver/dist/test/scheduler/task-scheduler.test.js', pattern: 'straggler still gets its copy' }],
  },
  {
    id: 'straggler-check-inverted',
    what: "the early answer of the straggler search says none is past the threshold when the first launched attempt is",
    file: 'packages/driver/src/scheduler/task-set-manager.ts',
    search: 'for (const a of this.running.values()) return now - a.start > threshold;',
    replace: 'for (const a of this.running.values()) return now - a.start < threshold;',
    tests: ['packages/driver/dist/test/scheduler/task-set-manager.test.js'],
  },
  {
    id: 'fill-slots-one-round',
    what: 'a scheduling pass gives each free worker one task at most (a worker with 3 free slots gets 1)',
    file: 'packages/driver/src/scheduler/task-scheduler.ts',
    search: '            if (w.freeSlots > 0) next.push(w);\n            break offers;',
    replace: '            break offers;',
    tests: [{ file: 'packages/driver/dist/test/scheduler/task-scheduler.test.js', pattern: 'never more than' }],
  },
  {
    id: 'task-slicer-first-slice',
    what: "the driver's slicer gives every task of a narrow stage slice 0 of each parallelized node",
    file: 'packages/driver/src/scheduler/stage-plan.ts',
    search: '    for (const n of sources) out.push(n.id, partition, n.slices[partition]);',
    replace: '    for (const n of sources) out.push(n.id, partition, n.slices[0]);',
    tests: ['packages/driver/dist/test/scheduler/stage-plan.test.js'],
  },
  {
    id: 'task-stream-unsent-removals-dropped',
    what: "block removals queued on a task stream that fails before writing them are dropped (the worker keeps those blocks until the job ends)",
    file: 'packages/driver/src/rpc/task-stream.ts',
    search: '      if (unsent.removeIds.length > 0 || unsent.removePrefixes.length > 0) this.removeElsewhere(unsent.removeIds, unsent.removePrefixes);',
    replace: '      void unsent;',
    tests: ['packages/driver/dist/test/rpc/task-stream.test.js'],
  },
  {
    id: 'replica-in-place-not-last',
    what: "a line block's replica message written in place says last: false (the peer never closes the block's segment)",
    file: 'packages/worker/src/shuffle/replica-message.ts',
    search: '  message[at++] = LAST_TAG;\n  message[at++] = 1;',
    replace: '  message[at++] = LAST_TAG;\n  message[at++] = 0;',
    tests: ['packages/worker/dist/test/shuffle/replica-message.test.js'],
  },
  {
    id: 'replica-in-place-varint-short',
    what: "the in-place replica message's data length written as a one-byte varint (any block of 128 bytes or more is cut or misread)",
    file: 'packages/worker/src/shuffle/replica-message.ts',
    search: '  writeVarint(message, at, block.length);',
    replace: '  message[at] = block.length & 0x7f;',
    tests: ['packages/worker/dist/test/shuffle/replica-message.test.js'],
  },
  {
    id: 'replica-in-place-unused',
    what: 'putRemoteBlock never sends a line block in place (protobufjs copies every replica again)',
    file: 'packages/worker/src/shuffle/shuffle-client.ts',
    search: '      const inPlace = !pieced && data.byteLength <= REPLICA_MESSAGE_BYTES ? replicaMessageInPlace(blockId, data) : undefined;',
    replace: '      const inPlace = !pieced && data.byteLength < 0 ? replicaMessageInPlace(blockId, data) : undefined;',
    tests: ['packages/worker/dist/test/shuffle/replica-message.test.js'],
  },
  {
    id: 'replica-not-in-pieces',
    what: 'putRemoteBlock sends a large line block as one message again (grpc-js frames it into a fresh block-sized buffer and the peer assembles another)',
    file: 'packages/worker/src/shuffle/shuffle-client.ts',
    search: '      const pieced = data.byteLength > REPLICA_PIECE_BYTES && hasLineBlockHeadroom(data);',
    replace: '      const pieced = data.byteLength < 0 && hasLineBlockHeadroom(data);',
    tests: ['packages/worker/dist/test/shuffle/replica-message.test.js'],
  },
  {
    id: 'spare-replaced-while-task-runs',
    what: 'a taken spare task thread is replaced while a task runs on the worker (a thread start beside a stream\'s batches: their spike about 1 s after the start)',
    file: 'packages/worker/src/executor/spare-task-threads.ts',
    search: '      if (this.activeTasks > 0) this.scheduleReplenish();',
    replace: '      if (this.activeTasks < 0) this.scheduleReplenish();',
    tests: [{ file: 'packages/worker/dist/test/executor/spare-task-threads.test.js', pattern: 'no task for the delay' }],
  },
  {
    id: 'spare-replaced-while-job-bound',
    what: 'a job bound to a worker does not count as running there for the spare task threads: a replacement starts (and loads) while a stream runs, during its batches',
    file: 'packages/worker/src/executor/executor.ts',
    search: '      this.spares.taskStarted();\n      const host: SandboxHost = {',
    replace: '      const host: SandboxHost = {',
    tests: [{ file: 'packages/cli/dist/test/spare-task-threads.test.js', pattern: 'receiver' }],
  },
  {
    id: 'spare-never-replaced-after-job',
    what: 'a job released from a worker still counts as running there for the spare task threads: the worker never starts a spare again',
    file: 'packages/worker/src/executor/executor.ts',
    search: '    if (sandbox) this.spares.taskEnded();',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/spare-task-threads.test.js', pattern: 'receiver' }],
  },
  {
    id: 'spare-replaced-between-tasks',
    what: 'a taken spare task thread is replaced between short tasks (a stream\'s batches), not after the worker was idle for the delay',
    file: 'packages/worker/src/executor/spare-task-threads.ts',
    search: '      else if (quietMs < SPARE_REPLENISH_DELAY_MS) this.scheduleReplenish(SPARE_REPLENISH_DELAY_MS - quietMs);',
    replace: '      else if (quietMs < 0) this.scheduleReplenish(SPARE_REPLENISH_DELAY_MS - quietMs);',
    tests: [{ file: 'packages/worker/dist/test/executor/spare-task-threads.test.js', pattern: 'no task for the delay' }],
  },
  {
    id: 'thread-reuse-any-bundle',
    what: 'a task thread given back after its job is handed to a job of another bundle (another program, its globals and compiled code)',
    file: 'packages/worker/src/executor/spare-task-threads.ts',
    search: '    let i = this.spares.findIndex((s) => s.ready && s.bundle === bundleSha256);',
    replace: '    let i = this.spares.findIndex((s) => s.ready);',
    tests: [{ file: 'packages/worker/dist/test/executor/spare-task-threads.test.js', pattern: 'given back' }],
  },
  {
    id: 'thread-reuse-dirty-kept',
    what: "a task thread is kept for a later job although its job left a timer, a global, a builtin's property or an environment variable behind",
    file: 'packages/worker/src/executor/spare-task-threads.ts',
    search: '        if (!msg.clean) {',
    replace: '        if (!msg.clean && msg.reason === undefined) {',
    tests: [{ file: 'packages/worker/dist/test/executor/spare-task-threads.test.js', pattern: 'given back' }],
  },
  {
    id: 'thread-rebind-same-module',
    what: "a task thread bound again imports the job bundle by the same URL: the job before's module instance (and state) is reused",
    file: 'packages/core/src/bundle/bundle-imports.ts',
    search: "(this.binds > 1 ? `?job=${encodeURIComponent(jobId)}` : '')",
    replace: "''",
    tests: [{ file: 'packages/worker/dist/test/executor/spare-task-threads.test.js', pattern: 'given back' }, 'packages/cli/dist/test/spare-task-threads.test.js', 'packages/cli/dist/test/job-thread-reuse.test.js'],
  },
  {
    id: 'job-output-end-whole-line-only',
    what: "a job's output end is found only on a line of its own: a last line printed without a newline hides it, the job's output takes the end line and the thread's next job is not told apart",
    file: 'packages/driver/src/job/program-thread.ts',
    search: ' && text.endsWith(end)) {',
    replace: ' && text === end) {',
    tests: ['packages/cli/dist/test/job-thread-reuse.test.js'],
  },
  {
    id: 'job-thread-dirty-kept',
    what: 'a driver-program thread whose job left a timer (or a global, a listener, a StreamingContext) behind is kept for a later job of its bundle',
    file: 'packages/driver/src/job/job-thread.ts',
    search: "  const why = flushed ? notReusable() : 'the job closed, replaced or held up its stdout or stderr';",
    replace: "  const why = flushed ? (notReusable(), undefined) : 'the job closed, replaced or held up its stdout or stderr';",
    tests: ['packages/cli/dist/test/job-thread-reuse.test.js'],
  },
  {
    id: 'job-thread-patched-stdout-kept',
    what: "a driver-program thread whose job replaced process.stdout.write is kept: the next job's output goes through the job before's patch",
    file: 'packages/driver/src/job/job-thread.ts',
    search: 'process[name] !== stream || stream.write !== write || ',
    replace: 'process[name] !== stream || ',
    tests: ['packages/cli/dist/test/job-thread-reuse.test.js'],
  },
  {
    id: 'job-thread-any-bundle',
    what: "a driver-program thread kept after its job is handed to a job of another bundle (another program, its globals and compiled code)",
    file: 'packages/driver/src/job/spare-job-threads.ts',
    search: '(k) => k.bundleSha === bundleSha && !k.thread.tainted',
    replace: '(k) => !k.thread.tainted',
    tests: ['packages/cli/dist/test/job-thread-reuse.test.js'],
  },
  {
    id: 'job-thread-late-output-kept',
    what: "a kept driver-program thread that printed after its job's end (an unref()ed timer) still serves a later job, which would get that output",
    file: 'packages/driver/src/job/program-thread.ts',
    search: '    if (this.ended[stream]) this.tainted = true;',
    replace: '',
    tests: ['packages/cli/dist/test/job-thread-reuse.test.js'],
  },
  {
    id: 'thread-baseline-nan',
    what: "a global is compared with !== (NaN never equals itself): every thread looks changed and none is kept",
    file: 'packages/core/src/bundle/thread-baseline.ts',
    search: '!Object.is(was.value, p.value)',
    replace: 'was.value !== p.value',
    tests: [{ file: 'packages/worker/dist/test/executor/spare-task-threads.test.js', pattern: 'given back' }],
  },
  {
    id: 'sandbox-gives-back-busy-thread',
    what: "a job's sandbox hands back a thread that still runs a task (the task neither ends nor is killed with the thread)",
    file: 'packages/worker/src/executor/job-sandbox.ts',
    search: '      if (giveBack !== undefined && s.held.size === 0) {',
    replace: '      if (giveBack !== undefined) {',
    tests: [{ file: 'packages/worker/dist/test/executor/job-sandbox.test.js', pattern: 'giveBack' }],
  },
  {
    id: 'release-terminates-threads',
    what: "a released job's idle task threads are terminated, not given back (every job starts its threads cold)",
    file: 'packages/worker/src/executor/executor.ts',
    search: '    sandbox?.close((thread) => this.spares.giveBack(thread, jobId, sandbox.bundleSha256));',
    replace: '    sandbox?.close();',
    tests: ['packages/cli/dist/test/spare-task-threads.test.js'],
  },
  {
    id: 'report-refusal-drops-receiver',
    what: 'a receiver report the driver cannot apply is answered keep: false (the receiver stops) instead of ending the stream for the worker to send it again',
    file: 'packages/driver/src/driver-node.ts',
    search: "            call.emit('error', { code: grpc.status.INTERNAL, details: `the driver could not apply the report: ${(err as Error).message}` });",
    replace: '            call.write({ keep: false, rate_limit: 0, applied_seq: 0 });',
    tests: [{ file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: 'every other receiver report refused' }],
  },
  {
    id: 'stream-shuffles-kept',
    what: "a stream's shuffles are never removed when their batches' RDDs are forgotten (shuffle outputs pile up on the workers)",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '    this.sc.removeShuffles([...shufflesReachable(dropped)].filter((id) => !keep.has(id)));',
    replace: '    void keep;',
    tests: ['packages/cli/dist/test/overload-memory.test.js'],
  },
  {
    id: 'warm-up-shuffle-kept',
    what: "the streaming start's warm-up job leaves its shuffle's map outputs on the workers until the job thread's collector finalizes its RDD",
    file: 'packages/core/src/streaming/cluster-warm-up.ts',
    search: '    () => {\n      sc.removeShuffles(shuffleIds);\n      return true;\n    },',
    replace: '    () => true,',
    tests: ['packages/cli/dist/test/socket-text-stream.test.js'],
  },
  {
    id: 'receivers-start-before-warm-up',
    what: "a stream's receivers start at once, before the start's warm-up job (what they take in meanwhile is all the first batch's)",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '    const receiverStreams = this.inputStreams().filter((s) => warm && s instanceof ReceiverInputDStream);',
    replace: '    const receiverStreams: InputDStream<unknown>[] = [];',
    tests: ['packages/cli/dist/test/streaming-rest.test.js'],
  },
  {
    id: 'stream-clock-before-receivers-started',
    what: "a stream's clock starts when its receivers are asked to start, not once they started (their start is paid by the first batches)",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '    if (!warmedUp || receiverStreams.length === 0) return;',
    replace: '    return;',
    tests: [{ file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: 'at 50 ms batches every batch comes' }],
  },
  {
    id: 'collect-soon-skipped',
    what: "a released job's garbage is not collected at once (collectSoon does nothing): it stays until the thread grows by the threshold",
    file: 'packages/worker/src/storage/memory-release.ts',
    search: '      this.soon = undefined;\n      this.collect();',
    replace: '      this.soon = undefined;',
    tests: ['packages/worker/dist/test/storage/memory-release.test.js'],
  },
  {
    id: 'small-value-pooled',
    what: "encodeSmall's bytes are a slice of Node's 8 KiB Buffer pool again (a task thread's result posted to the main thread clones all 8 KiB)",
    file: 'packages/core/src/codec/small-value.ts',
    search: '    const out = Buffer.allocUnsafeSlow(this.at);',
    replace: '    const out = Buffer.allocUnsafe(this.at);',
    tests: [{ file: 'packages/core/dist/test/codec/small-value.test.js', pattern: 'whole of its ArrayBuffer' }],
  },
  {
    id: 'combine-no-reset',
    what: 'map-side combine does not start afresh after a spill (keys counted again)',
    file: 'packages/core/src/shuffle/combine-table.ts',
    search: '    this.entries = new Map();\n    this.onSpill?.(m);',
    replace: '    this.onSpill?.(m);',
    tests: ['packages/cli/dist/test/shuffle-spill.test.js', 'packages/core/dist/test/scheduler/partition-computer.test.js'],
  },
  {
    id: 'cached-remote-miss-empty',
    what: 'a cached partition its known holder can no longer give is read as empty instead of recomputed',
    file: 'packages/core/src/scheduler/partition-computer.ts',
    search: '(await this.env.getBlock(blockId, elsewhere)).data : undefined);',
    replace: '((await this.env.getBlock(blockId, elsewhere)).data ?? encodeRecords([])) : undefined);',
    tests: [{ file: 'packages/core/dist/test/scheduler/partition-computer.test.js', pattern: 'never read as empty' }],
  },
  {
    id: 'window-inverse-late',
    what: 'reduceByKeyAndWindow with an inverse subtracts the batches that left one batch late',
    file: 'packages/core/src/dstream/window-dstreams.ts',
    search: 'const olds = this.parent.rddsIn(time - this.slideMs - this.windowMs, time - this.windowMs);',
    replace:
      'const olds = this.parent.rddsIn(time - this.slideMs - this.windowMs - this.parent.slideDuration, time - this.windowMs - this.parent.slideDuration);',
    tests: ['packages/cli/dist/test/dstream-operators.test.js'],
  },
  {
    id: 'all-maps-rerun',
    what: 'after a lost map output, every map task of the stage is re-run, not only the lost ones',
    file: 'packages/driver/src/scheduler/dag-scheduler.ts',
    search: 'await this.runTaskSet(job, actionId, sid, attempt, plan, parentOutputs, missing, {',
    replace: 'await this.runTaskSet(job, actionId, sid, attempt, plan, parentOutputs, Array.from({ length: numMaps }, (_, i) => i), {',
    tests: [{ file: 'packages/cli/dist/test/fault-tolerance.test.js', pattern: 'kill -9 of a worker mid-job' }],
  },
  {
    id: 'missing-secret-accepted',
    what: 'checkSecret accepts a call that carries no secret',
    file: 'packages/core/src/rpc/security.ts',
    search: "if (typeof got === 'string' && crypto.timingSafeEqual(digest(got), digest(expected))) return undefined;",
    replace: "if (got === undefined || (typeof got === 'string' && crypto.timingSafeEqual(digest(got), digest(expected)))) return undefined;",
    tests: ['packages/cli/dist/test/auth.test.js'],
  },
  {
    id: 'update-state-drops-idle',
    what: 'updateStateByKey drops the state of keys with no new values',
    file: 'packages/core/src/scheduler/partition-computer.ts',
    search: 'const s = update(k, values, prev.length > 0 ? prev[0] : undefined);',
    replace: 'const s = values.length === 0 ? undefined : update(k, values, prev.length > 0 ? prev[0] : undefined);',
    tests: [{ file: 'packages/cli/dist/test/streaming-faults.test.js', pattern: 'stateful' }, 'packages/cli/dist/test/dstream-operators.test.js'],
  },
  {
    id: 'update-state-no-rdd-skips-update',
    what: "updateStateByKey keeps the state of a batch with no RDD without calling the update function (Spark re-applies it with no values)",
    file: 'packages/core/src/dstream/state-dstreams.ts',
    search: 'return previous?.mapValues(stateWithNoValues as (s: S) => [S[], V[]]).narrow<[K, S]>(op, this.rememberPartitioner);',
    replace: 'return previous?.mapValues((s: S) => s);',
    tests: [{ file: 'packages/cli/dist/test/dstream-edges.test.js', pattern: 'updateStateByKey' }],
  },
  {
    id: 'mapwithstate-checkpoint-not-state',
    what: "mapWithState's mapped.checkpoint(interval) checkpoints the mapped records, not the state behind them (Spark checkpoints the state)",
    file: 'packages/core/src/dstream/state-dstreams.ts',
    search: '    this.entries.checkpoint(interval);\n    return this;',
    replace: '    return super.checkpoint(interval);',
    tests: [{ file: 'packages/cli/dist/test/streaming-faults.test.js', pattern: 'kill -9 of a worker during a stateful job' }],
  },
  {
    id: 'checkpoint-interval-not-multiple-accepted',
    what: "a stream's checkpoint interval that is not a multiple of its slide is accepted at start (Spark refuses it)",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '        if (s.checkpointInterval % s.slideDuration !== 0) {',
    replace: '        if (s.checkpointInterval < 0) {',
    tests: [{ file: 'packages/cli/dist/test/streaming-faults.test.js', pattern: 'bad streaming|checkpoint interval' }],
  },
  {
    id: 'mapwithstate-remove-kept',
    what: "mapWithState's state.remove() leaves the key's state in place",
    file: 'packages/core/src/dstream/state-handle.ts',
    search: '    this.present = false;\n    this.value = undefined;\n    this.removed = true;',
    replace: '    this.removed = true;',
    tests: [{ file: 'packages/cli/dist/test/streaming-faults.test.js', pattern: 'kill -9 of a worker during a stateful job' }],
  },
  {
    id: 'mapwithstate-default-checkpoint-10s',
    what: "mapWithState's state is checkpointed every 10 s by default, not every 10 batches as Spark's",
    file: 'packages/core/src/dstream/state-dstreams.ts',
    search: '    return 10 * this.slideDuration;',
    replace: '    return super.defaultCheckpointInterval();',
    tests: [{ file: 'packages/cli/dist/test/streaming-faults.test.js', pattern: '50 ms batches of a stateful job' }],
  },
  {
    id: 'mapwithstate-idle-clock-restarts',
    what: "mapWithState restarts an idle key's timeout clock every batch (keys never time out)",
    file: 'packages/core/src/scheduler/partition-computer.ts',
    search: 'const updatedAt = values.length > 0 ? op.batchTime : (prev?.updatedAt ?? op.batchTime);',
    replace: 'const updatedAt = op.batchTime;',
    tests: [{ file: 'packages/cli/dist/test/recovery.test.js', pattern: 'mapWithState' }],
  },
  {
    id: 'mapwithstate-update-after-remove',
    what: "mapWithState's state.update() after state.remove() in the same call is accepted (Spark refuses it)",
    file: 'packages/core/src/dstream/state-handle.ts',
    search: '    if (this.removed) throw new SluiceError(\'SLUICE_BAD_ARGUMENT\', \'state.update(): cannot',
    replace: '    if (this.removed && this.timingOut) throw new SluiceError(\'SLUICE_BAD_ARGUMENT\', \'state.update(): cannot',
    tests: [{ file: 'packages/cli/dist/test/dstream-edges.test.js', pattern: 'State rules' }],
  },
  {
    id: 'mapwithstate-remove-while-timing-out',
    what: "mapWithState's state.remove() of a timing-out state is accepted (Spark refuses it)",
    file: 'packages/core/src/dstream/state-handle.ts',
    search: '    if (this.timingOut) throw new SluiceError(\'SLUICE_BAD_ARGUMENT\', \'state.remove(): cannot',
    replace: '    if (this.timingOut && this.removed) throw new SluiceError(\'SLUICE_BAD_ARGUMENT\', \'state.remove(): cannot',
    tests: [{ file: 'packages/cli/dist/test/dstream-edges.test.js', pattern: 'State rules' }],
  },
  {
    id: 'mapwithstate-removed-across-values',
    what: "mapWithState's 'removed' mark outlives the call that removed: the key's next value in the batch cannot update its state (Spark wraps each value afresh)",
    file: 'packages/core/src/scheduler/partition-computer.ts',
    search: '              handle.nextCall();\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/dstream-operators.test.js', pattern: 'mapWithState' }],
  },
  {
    id: 'rdd-subtract-drops-duplicates',
    what: "rdd.subtract/subtractByKey keep one element of a key, not every one (Spark keeps duplicates)",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: '  return ws.length > 0 ? [] : vs.map((v) => [k, v]);',
    replace: '  return ws.length > 0 ? [] : vs.slice(0, 1).map((v) => [k, v]);',
    tests: [{ file: 'packages/cli/dist/test/rdd-operators.test.js', pattern: 'subtract' }],
  },
  {
    id: 'union-aware-drops-partitioner',
    what: 'a union of RDDs with the same partitioner forgets it (a reduceByKey with it after the union shuffles again, as before PartitionerAwareUnion)',
    file: 'packages/core/src/rdd/partitioner-aware-union.ts',
    search: '    partitioner,\n  );',
    replace: '  );',
    tests: [
      { file: 'packages/cli/dist/test/rdd-operators.test.js', pattern: 'union' },
      { file: 'packages/cli/dist/test/dstream-operators.test.js', pattern: 'partitioner-aware' },
    ],
  },
  {
    id: 'union-aware-first-input-only',
    what: "a partitioner-aware union's partition i reads the first input's partition i only",
    file: 'packages/core/src/scheduler/partition-computer.ts',
    search: '        for (const p of node.parents) await this.compute(p, split, emit);',
    replace: '        await this.compute(node.parents[0], split, emit);',
    tests: [{ file: 'packages/cli/dist/test/rdd-operators.test.js', pattern: 'union' }],
  },
  {
    id: 'union-aware-one-partitioner-enough',
    what: 'sc.union keeps a partitioner when only some inputs have it (their partitions i do not hold the same keys)',
    file: 'packages/core/src/rdd/partitioner-aware-union.ts',
    search: '!inputs.every((r) => partitionerEquals(r.partitioner, partitioner))',
    replace: '!inputs.some((r) => partitionerEquals(r.partitioner, partitioner))',
    tests: [{ file: 'packages/cli/dist/test/rdd-operators.test.js', pattern: 'union' }],
  },
  {
    id: 'preferred-locations-stage-partition',
    what: "a task's preferred workers look each cached parent up at the stage's own partition number, not the partition a union or coalesce reads of it (the worker holding the block is not preferred)",
    file: 'packages/driver/src/scheduler/preferred-locations.ts',
    search: 'const places = placesOf(plan, parent, parentSplit, lookup, visited);',
    replace: 'const places = placesOf(plan, parent, split, lookup, visited);',
    tests: ['packages/driver/dist/test/scheduler/preferred-locations.test.js', 'packages/cli/dist/test/rdd-locality.test.js'],
  },
  {
    id: 'rdd-lookup-wrong-partition',
    what: "rdd.lookup on a hash- or range-partitioned RDD reads partition 0, not the key's",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: "{ kind: 'collect' }, [partitionFunction(p)(key)])",
    replace: "{ kind: 'collect' }, [0])",
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'lookup' }],
  },
  {
    id: 'rdd-lookup-unsampled-range',
    what: "rdd.lookup trusts a range partitioner a narrow RDD inherited before its bounds were sampled (reads one wrong partition)",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: " || (p.kind === 'range' && this.op.kind !== 'shuffled')) return values.collect();",
    replace: ") return values.collect();",
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'lookup' }],
  },
  {
    id: 'rdd-lookup-before-bounds',
    what: "rdd.lookup on a sortByKey output picks the key's partition before the range bounds are sampled",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: '    if (this.prepare) await this.prepare(this.context);\n    const p = this.partitioner;',
    replace: '    const p = this.partitioner;',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'lookup' }],
  },
  {
    id: 'rdd-cogroup-many-ignores-partitions',
    what: "rdd.cogroup with two or three others ignores the partition count given after them",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: 'const partitions = args.length > others.length ? (args[others.length] as PartitionArg | undefined) : undefined;',
    replace: 'const partitions = undefined as PartitionArg | undefined;',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'groupWith and cogroup' }],
  },
  {
    id: 'rdd-sample-by-key-one-rate',
    what: "rdd.sampleByKey keeps every pair at rate 0.5, whatever its key's fraction",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: '          if (rand() < f) yield kv;',
    replace: '          if (rand() < 0.5) yield kv;',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'sampleByKey' }],
  },
  {
    id: 'dstream-positional-inverse-dropped',
    what: "dstream.reduceByWindow(f, invF, length, slide), Spark's positional form, drops the inverse function (an emptied window has no element instead of 0)",
    file: 'packages/core/src/dstream/dstream.ts',
    search: '[rest[1] as Duration, rest[2] as Duration, { invFunc: rest[0] }]',
    replace: '[rest[1] as Duration, rest[2] as Duration, {}]',
    tests: [{ file: 'packages/cli/dist/test/dstream-edges.test.js', pattern: 'positional' }],
  },
  {
    id: 'stat-counter-small-side-mean',
    what: "StatCounter.merge of a much smaller counter moves the mean by the difference over n, not weighted by the smaller side's count",
    file: 'packages/core/src/rdd/stat-counter.ts',
    search: '    if (o.n * 10 < s.n) s.mu = s.mu + (delta * o.n) / (s.n + o.n);',
    replace: '    if (o.n * 10 < s.n) s.mu = s.mu + delta / (s.n + o.n);',
    tests: ['packages/core/dist/test/rdd/stat-counter.test.js'],
  },
  {
    id: 'rdd-lookup-keys-by-shape',
    what: "rdd.lookup compares object keys by their field names only, not their values (['y', 1] matches ['x', 2])",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: '      pending.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);',
    replace: '      pending.push([k, k]);',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'lookup' }],
  },
  {
    id: 'rdd-histogram-last-bucket-open',
    what: "rdd.histogram's last bucket leaves out its upper bound (Spark's last bucket is closed)",
    file: 'packages/core/src/rdd/double-rdd-functions.ts',
    search: '            else if (e >= lo && e <= hi) {',
    replace: '            else if (e >= lo && e < hi) {',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'histogram' }],
  },
  {
    id: 'stat-counter-merge-drops-spread',
    what: "StatCounter.merge of two partitions' figures leaves out the spread between their means (the variance comes out too small)",
    file: 'packages/core/src/rdd/stat-counter.ts',
    search: '    s.m2 += o.m2 + (delta * delta * s.n * o.n) / (s.n + o.n);',
    replace: '    s.m2 += o.m2;',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'stats' }, 'packages/core/dist/test/rdd/stat-counter.test.js'],
  },
  {
    id: 'rdd-zip-with-unique-id-dense',
    what: 'rdd.zipWithUniqueId numbers each partition from its index up by one (ids collide across partitions)',
    file: 'packages/core/src/rdd/rdd.ts',
    search: 'for (const x of it) yield [x, i++ * n + k];',
    replace: 'for (const x of it) yield [x, i++ + k];',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'zipWithUniqueId' }],
  },
  {
    id: 'rdd-random-split-overlapping',
    what: "rdd.randomSplit's ranges overlap (an element can land in two splits)",
    file: 'packages/core/src/rdd/rdd.ts',
    search: '      const lb = acc / total;',
    replace: '      const lb = Math.max(0, acc / total - 0.1);',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'randomSplit' }],
  },
  {
    id: 'rdd-debug-string-shuffle-drawn-narrow',
    what: "rdd.toDebugString draws a shuffle's map side as a narrow parent (no +-(n), no new column): the stage boundary is lost",
    file: 'packages/core/src/rdd/debug-string.ts',
    search: "visit(d.rdd, next, d.type === 'shuffle', i === r.deps.length - 1)",
    replace: "visit(d.rdd, next, false, i === r.deps.length - 1)",
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'toDebugString' }],
  },
  {
    id: 'rdd-filter-by-range-reads-all',
    what: 'rdd.filterByRange on a range-partitioned RDD computes every partition, not only those whose range can hold the keys (Spark prunes them)',
    file: 'packages/core/src/rdd/ordered-rdd-functions.ts',
    search: '(i >= from && i <= to ? [i] : [])',
    replace: '[i]',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'filterByRange' }],
  },
  {
    id: 'rdd-filter-by-range-inherited-unpruned',
    what: 'rdd.filterByRange prunes only the sortByKey output itself, not a narrow RDD that kept its partitioner (mapPartitionsWithIndex(f, true), mapValues)',
    file: 'packages/core/src/rdd/ordered-rdd-functions.ts',
    search: '    r = d.rdd;',
    replace: '    return undefined;',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'filterByRange' }],
  },
  {
    id: 'rdd-filter-by-range-upper-excluded',
    what: 'rdd.filterByRange leaves out keys equal to the upper bound (Spark includes both bounds)',
    file: 'packages/core/src/scheduler/partition-computer.ts',
    search: 'compareKeys(k, upper) <= 0',
    replace: 'compareKeys(k, upper) < 0',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'filterByRange' }],
  },
  {
    id: 'rdd-pipe-exit-status-ignored',
    what: 'rdd.pipe takes the output of a command that exited with a status other than 0 (Spark fails the task)',
    file: 'packages/core/src/scheduler/pipe-partition.ts',
    search: '      if (code !== 0) {',
    replace: '      if (signal !== null) {',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'pipe: a command' }],
  },
  {
    id: 'rdd-pipe-env-dropped',
    what: "rdd.pipe runs the command without the env variables given (only the worker's)",
    file: 'packages/core/src/scheduler/pipe-partition.ts',
    search: 'env: { ...process.env, ...spec.env }',
    replace: 'env: { ...process.env }',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'pipe: each' }],
  },
  {
    id: 'rdd-hll-merge-keeps-min',
    what: "countApproxDistinct merges two partitions' HyperLogLog sketches by each register's minimum, not its maximum",
    file: 'packages/core/src/rdd/hyper-log-log.ts',
    search: '  for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];',
    replace: '  for (let i = 0; i < a.length; i++) if (b[i] < a[i]) a[i] = b[i];',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'countApproxDistinct' }],
  },
  {
    id: 'rdd-hll-rank-off-by-one',
    what: "countApproxDistinct's sketch records a hash's leading zeros, not leading zeros + 1 (every estimate about halved)",
    file: 'packages/core/src/rdd/hyper-log-log.ts',
    search: '  const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - p + Math.clz32(h2) + 1;',
    replace: '  const rank = rest !== 0 ? Math.clz32(rest) : 32 - p + Math.clz32(h2);',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'countApproxDistinct' }],
  },
  {
    id: 'rdd-sample-exact-prefix',
    what: "rdd.sampleByKeyExact takes the first pairs of each key's share in a partition, not a uniform choice among them",
    file: 'packages/core/src/rdd/sample-by-key-exact.ts',
    search: '      } else if (rand() * (s.expected - j) < s.needed) {',
    replace: '      } else if (s.needed > 0) {',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'sampleByKeyExact' }],
  },
  {
    id: 'rdd-sample-exact-greedy-split',
    what: "rdd.sampleByKeyExact gives the first partitions all of a key's sample they can hold, not a hypergeometric share",
    file: 'packages/core/src/rdd/sample-by-key-exact.ts',
    search: '      if (needed > 0 && rand() * left < needed) {',
    replace: '      if (needed > 0) {',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'sampleByKeyExact' }],
  },
  {
    id: 'rdd-pipe-context-not-printed',
    what: "rdd.pipe never calls printPipeContext (Spark writes its lines before each partition's elements)",
    file: 'packages/core/src/scheduler/pipe-partition.ts',
    search: '  printers.context?.(print);',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-gaps.test.js', pattern: 'pipe: each' }],
  },
  {
    id: 'rdd-max-is-min',
    what: 'rdd.max() and rdd.min() take the wrong end of the order',
    file: 'packages/core/src/rdd/rdd-actions.ts',
    search: "const got = await ordered(this, 1, false, compare, 'max');",
    replace: "const got = await ordered(this, 1, true, compare, 'max');",
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'max and min' }],
  },
  {
    id: 'rdd-tree-reduce-keeps-left',
    what: 'rdd.treeReduce combines two partial results by keeping the first',
    file: 'packages/core/src/rdd/rdd-actions.ts',
    search: 'b.length === 0 ? a : [f(a[0], b[0])]',
    replace: 'b.length === 0 ? a : a',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'treeReduce' }],
  },
  {
    id: 'rdd-repartition-and-sort-unsorted',
    what: 'repartitionAndSortWithinPartitions places the pairs but does not sort the partitions',
    file: 'packages/core/src/rdd/ordered-rdd-functions.ts',
    search: '    return this.partitionByInternal(partitioner, { ascending: true });',
    replace: '    return this.partitionByInternal(partitioner);',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'repartitionAndSort' }],
  },
  {
    id: 'rdd-take-sample-unshuffled',
    what: 'rdd.takeSample returns its sample in partition order, not shuffled (Spark shuffles it)',
    file: 'packages/core/src/rdd/rdd-actions.ts',
    search: '    return shuffleInPlace(sample, rand).slice(0, num);',
    replace: '    return sample.slice(0, num);',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'takeSample' }],
  },
  {
    id: 'rdd-zip-partitions-same-side',
    what: "zipPartitions (and zip) reads the first RDD's partition twice, never the other's",
    file: 'packages/core/src/scheduler/partition-computer.ts',
    search: '        const right = await this.collect(node.parents[1], split);\n        const f =',
    replace: '        const right = await this.collect(node.parents[0], split);\n        const f =',
    tests: [{ file: 'packages/cli/dist/test/rdd-spark-api.test.js', pattern: 'zip and zipPartitions' }],
  },
  {
    id: 'union-aware-prefers-every-holder',
    what: "a partitioner-aware union's partition prefers every worker holding any input's partition, not the ones holding most (Spark's rule)",
    file: 'packages/core/src/rdd/partitioner-aware-union.ts',
    search: '.filter(([, c]) => c === max)',
    replace: '.filter(([, c]) => c > 0)',
    tests: ['packages/core/dist/test/rdd/partitioner-aware-union.test.js'],
  },
  {
    id: 'rdd-collectasmap-first-wins',
    what: "rdd.collectAsMap keeps a key's first value, not its last (Spark's later pair replaces it)",
    file: 'packages/core/src/rdd/pair-rdd-functions.ts',
    search: '      if (e) e[1] = v;',
    replace: '      if (e) void e;',
    tests: [{ file: 'packages/cli/dist/test/rdd-operators.test.js', pattern: 'collectAsMap' }],
  },
  {
    id: 'stop-during-stop-returns-early',
    what: "a StreamingContext.stop() called while another stop is under way returns (and awaitTermination resolves) before the running batch ended",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '      if (this.stopping) return this.stopping;\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/dstream-edges.test.js', pattern: 'stop\\(\\) twice' }],
  },
  {
    id: 'hash-array-seed',
    what: "tuple keys hash from 0 instead of Arrays.hashCode's 1",
    file: 'packages/core/src/rdd/key.ts',
    search: 'let h = 1;',
    replace: 'let h = 0;',
    tests: ['packages/core/dist/test/rdd/key.test.js', 'packages/core/dist/test/rdd/partitioner.test.js'],
  },
  {
    id: 'file-stream-one-batch-late',
    what: 'textFileStream reads a settled new file one batch after the first batch that could',
    file: 'packages/core/src/dstream/file-input-dstream.ts',
    search: 'this.batches.set(time, taken);',
    replace:
      'this.batches.set(time + this.ssc.batchIntervalMs, [...taken, ...(this.batches.get(time + this.ssc.batchIntervalMs) ?? [])]);',
    tests: [{ file: 'packages/cli/dist/test/streaming-sources.test.js', pattern: 'textFileStream' }],
  },
  {
    id: 'disk-only-kept-in-memory',
    what: 'DISK_ONLY blocks stay in memory (uncounted) instead of going to disk',
    file: 'packages/worker/src/storage/block-manager.ts',
    search: '      this.writeToDisk(blockId, entry);\n      this.blocks.set(blockId, entry);',
    replace: '      this.blocks.set(blockId, entry);',
    tests: ['packages/worker/dist/test/storage/block-manager.test.js'],
  },
  {
    id: 'setter-revived-empty',
    what: 'a shipped setter revives as a function that does nothing',
    file: 'packages/core/src/closure/function-source.ts',
    search: ': `({ ${body}\\n}).__lookup${accessor}__(${keyExpr})`;',
    replace: ": accessor === 'Setter' ? '(function (v) {})' : `({ ${body}\\n}).__lookup${accessor}__(${keyExpr})`;",
    tests: ['packages/core/dist/test/closure/capture-closure.test.js'],
  },
  {
    id: 'shuffle-cleanup-driver-only',
    what: "dropped shuffles are forgotten on the driver but their blocks stay on the workers",
    file: 'packages/driver/src/job/driver-job.ts',
    search: 'for (const w of this.registry.all()) this.current.removals.remove(w.id, [], prefixes);',
    replace: 'void prefixes;',
    tests: ['packages/cli/dist/test/streaming-cleanup.test.js'],
  },
  {
    id: 'checkpoint-lineage-kept',
    what: 'rdd.checkpoint() writes the files but does not cut the lineage (never reads them back)',
    file: 'packages/core/src/context.ts',
    search: '      r.checkpointDir = dir;\n      r.deps = [];',
    replace: '      void dir;',
    tests: ['packages/cli/dist/test/checkpoint-readback.test.js'],
  },
  {
    id: 'stream-checkpoint-ignored',
    what: "a stateful stream's checkpoint interval is ignored (state never checkpointed)",
    file: 'packages/core/src/dstream/dstream.ts',
    search: '% this.checkpointInterval === 0) {\n        rdd.checkpoint();',
    replace: '% this.checkpointInterval === 0) {\n        void rdd;',
    tests: ['packages/cli/dist/test/checkpoint-readback.test.js'],
  },
  {
    id: 'spill-option-ignored',
    what: 'worker --shuffle-spill-records is not passed to the map tasks',
    file: 'packages/worker/src/executor/task-thread.ts',
    search: '{ spillRecords: data.shuffleSpillRecords }',
    replace: '{}',
    tests: ['packages/cli/dist/test/shuffle-spill.test.js'],
  },
  {
    id: 'received-block-no-replica',
    what: 'a received block is read only from its first location, never from its replica',
    // The driver hands a task only the registered, staying locations of each block (a lost
    // worker's are dropped before launch), so the kill test reads replicas from the first
    // location and cannot catch this; a silent first location (a peer gone without a reset) does.
    file: 'packages/worker/src/shuffle/shuffle-client.ts',
    search: '    for (const loc of locations) {',
    replace: '    for (const loc of locations.slice(0, 1)) {',
    tests: [{ file: 'packages/worker/dist/test/shuffle/shuffle-client.test.js', pattern: 'never answers' }],
  },
  {
    id: 'short-secret-accepted',
    what: 'a cluster secret of any length is accepted',
    file: 'packages/core/src/rpc/security.ts',
    search: 'if (secret.length >= MIN_SECRET_LENGTH) return;',
    replace: 'if (secret.length >= 1) return;',
    tests: ['packages/cli/dist/test/secret-strength.test.js'],
  },
  {
    id: 'gate-skips-secret',
    what: 'the CallGate lets every call through to its handler whatever its secret',
    file: 'packages/core/src/rpc/call-gate.ts',
    search: '            if (refusal === undefined) {',
    replace: '            if (refusal === undefined || this.secret) {',
    tests: ['packages/cli/dist/test/auth.test.js'],
  },
  {
    id: 'auth-no-backoff',
    what: 'repeated refusals to one peer are never held back',
    file: 'packages/core/src/rpc/auth-failures.ts',
    search: 'const delayMs = n <= 0 ? 0 :',
    replace: 'const delayMs = n <= 1000 ? 0 :',
    tests: [{ file: 'packages/cli/dist/test/auth-failures.test.js', pattern: 'more and more slowly' }],
  },
  {
    id: 'auth-log-unlimited',
    what: 'every refusal is logged (no per-peer rate limit)',
    file: 'packages/core/src/rpc/auth-failures.ts',
    search: 'if (now - r.lastLog < AuthFailures.LOG_INTERVAL_MS || !this.takeLogBudget(now)) return { delayMs };',
    replace: 'if (!this.takeLogBudget(now)) return { delayMs };',
    tests: [{ file: 'packages/cli/dist/test/auth-failures.test.js', pattern: 'more and more slowly' }],
  },
  {
    id: 'no-calls-per-peer-bound',
    what: 'one peer may hold any number of calls open',
    file: 'packages/core/src/rpc/call-gate.ts',
    search: 'if (openNow >= this.maxCallsPerPeer) {',
    replace: 'if (openNow >= Infinity) {',
    tests: [{ file: 'packages/cli/dist/test/auth-failures.test.js', pattern: 'RESOURCE_EXHAUSTED' }],
  },
  {
    id: 'cancelled-call-slot-leaks',
    what: "a cancelled call's slot is kept until its handler ends",
    file: 'packages/core/src/rpc/call-gate.ts',
    search: '          onCancel: release,',
    replace: '          onCancel: () => undefined,',
    tests: [{ file: 'packages/cli/dist/test/auth-failures.test.js', pattern: 'detach' }],
  },
  {
    id: 'job-env-keeps-secret',
    what: 'job threads see SLUICE_SECRET and SLUICE_SECRET_FILE in process.env',
    file: 'packages/core/src/rpc/security.ts',
    search: '  for (const k of SECRET_ENV_VARS) delete out[k];',
    replace: '  for (const k of SECRET_ENV_VARS) void k;',
    tests: ['packages/cli/dist/test/job-environment.test.js'],
  },
  {
    id: 'cli-table-raw',
    what: 'sluice jobs / sluice workers print cells with their control characters',
    file: 'packages/cli/src/main.ts',
    search: '  const cells = rows.map((r) => r.map((c) => escapeControl(c)));',
    replace: '  const cells = rows;',
    tests: ['packages/cli/dist/test/cli-escapes.test.js'],
  },
  {
    id: 'no-plaintext-warning',
    what: 'a plaintext listener on 0.0.0.0 does not warn',
    file: 'packages/core/src/rpc/security.ts',
    search: '  return !(cfg.tls?.cert && cfg.tls.key) && !isLoopbackHost(host);',
    replace: "  return !(cfg.tls?.cert && cfg.tls.key) && !isLoopbackHost(host) && host === '';",
    tests: ['packages/cli/dist/test/plaintext-warning.test.js'],
  },
  {
    id: 'oversized-task-sent',
    what: 'a task over the worker request limit is sent anyway (the worker refuses it with a bare gRPC error)',
    file: 'packages/driver/src/rpc/worker-endpoint.ts',
    search: '    if (size > WORKER_MAX_REQUEST_BYTES - 64 * 1024) {',
    replace: '    if (size > Infinity) {',
    tests: ['packages/cli/dist/test/task-size.test.js'],
  },
  {
    id: 'over-limit-log-unlimited',
    what: 'every refusal for too many open calls is logged (no rate limit)',
    file: 'packages/core/src/rpc/call-gate.ts',
    search: '    if (now - r.lastLog < AuthFailures.LOG_INTERVAL_MS) return 0;',
    replace: '    if (now - r.lastLog < 0) return 0;',
    tests: [{ file: 'packages/cli/dist/test/auth-failures.test.js', pattern: 'RESOURCE_EXHAUSTED' }],
  },
  {
    id: 'pid-no-integral',
    what: "the PID estimator leaves out the integral term (scheduling delay)",
    file: 'packages/core/src/streaming/rate/pid-rate-estimator.ts',
    search: ' - this.integral * historicalError',
    replace: '',
    tests: ['packages/core/dist/test/streaming/rate/pid-rate-estimator.test.js', 'packages/core/dist/test/streaming/rate/flow-control.test.js'],
  },
  {
    id: 'rate-from-batch-total',
    what: "each input's rate is estimated from the batch's total records, not its own",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: 'onBatchCompleted(info.batchTime, s.recordsAt(info.batchTime) ?? 0,',
    replace: 'onBatchCompleted(info.batchTime, info.numRecords,',
    tests: ['packages/core/dist/test/streaming/rate/flow-control.test.js'],
  },
  {
    id: 'falling-behind-off-by-one',
    what: 'the falling-behind warning needs one growing batch more than configured',
    file: 'packages/core/src/streaming/falling-behind-detector.ts',
    search: 'this.growing >= this.n',
    replace: 'this.growing > this.n',
    tests: ['packages/core/dist/test/streaming/rate/flow-control.test.js'],
  },
  {
    id: 'rate-limiter-no-max',
    what: "backpressure's rate is not bounded by receiverMaxRate",
    file: 'packages/worker/src/receiver/rate-limiter.ts',
    search: 'return Math.min(this.maxRate, this.estimated);',
    replace: 'return this.estimated;',
    tests: ['packages/worker/dist/test/receiver/rate-limiter.test.js'],
  },
  {
    id: 'supervisor-ignores-rate',
    what: 'the receiver supervisor takes every store at once, whatever the rate',
    file: 'packages/worker/src/receiver/receiver-supervisor.ts',
    search: 'this.hasRoom() && this.limiter.tryAcquire(countOf(records)) === 0)',
    replace: 'this.hasRoom())',
    tests: ['packages/worker/dist/test/receiver/rate-limiter.test.js'],
  },
  {
    id: 'stop-drops-waiting',
    what: 'stopping a receiver drops the stores still waiting for the rate',
    file: 'packages/worker/src/receiver/receiver-supervisor.ts',
    search: 'for (const w of this.waiting.splice(0)) this.take(w.records, w.ack, w.position);',
    replace: "for (const w of this.waiting.splice(0)) w.ack.reject(new SluiceError('SLUICE_CANCELLED', 'stopped'));",
    tests: ['packages/worker/dist/test/receiver/rate-limiter.test.js'],
  },
  {
    id: 'tracker-no-rate-in-answer',
    what: "the driver's answers to receiver reports never carry the backpressure rate",
    file: 'packages/driver/src/streaming/receiver-tracker.ts',
    search: 'return { keep: current && r.running, rateLimit: r.rate, appliedSeq: last };',
    replace: 'return { keep: current && r.running, rateLimit: 0, appliedSeq: last };',
    tests: ['packages/driver/dist/test/streaming/receiver-tracker.test.js'],
  },
  {
    id: 'report-not-sent-again',
    what: "a receiver's report stream that breaks is opened again without the events it had not got acknowledged (they are lost)",
    file: 'packages/worker/src/receiver/receiver-reporter.ts',
    search: '    this.answerTimer = undefined;\n    this.sentSeq = this.firstSeq - 1;\n',
    replace: '    this.answerTimer = undefined;\n',
    tests: ['packages/worker/dist/test/receiver/receiver-reporter.test.js'],
  },
  {
    id: 'report-applied-twice',
    what: 'the driver applies every event of a receiver report, those it applied before included (a report sent again counts its blocks twice)',
    file: 'packages/driver/src/streaming/receiver-tracker.ts',
    search: 'for (let i = Math.max(0, last + 1 - first); i < rep.events.length && first + i === last + 1; i++) {',
    replace: 'for (let i = 0; i < rep.events.length; i++) {',
    tests: ['packages/driver/dist/test/streaming/receiver-tracker.test.js'],
  },
  {
    id: 'report-answer-applies-nothing',
    what: "the driver's answers on a receiver's report stream never say what it applied: no block is ever acknowledged to the receiver",
    file: 'packages/driver/src/driver-node.ts',
    search: 'applied_seq: answer.appliedSeq });',
    replace: 'applied_seq: 0 });',
    tests: [{ file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: 'every batch comes, in order' }],
  },
  {
    id: 'direct-rate-not-by-lag',
    what: "a direct input's rate is split evenly over its partitions, not by lag",
    file: 'packages/core/src/streaming/rate/max-records-per-partition.ts',
    search: 'const share = (Math.max(0, l) / totalLag) * options.rate!;',
    replace: 'const share = options.rate! / lags.length;',
    tests: ['packages/core/dist/test/streaming/rate/pid-rate-estimator.test.js', { file: 'packages/kafka/dist/test/direct-stream.test.js', pattern: 'backpressure' }],
  },
  {
    id: 'socket-ignores-rate',
    what: 'the socket receiver keeps reading its socket while its stores wait for the rate',
    file: 'packages/core/src/receiver/socket-receiver.ts',
    search: '    void this.storeLines(run);\n    if (this.bufferFull()) await this.untilAccepting();',
    replace: '    void this.storeLines(run);',
    tests: ['packages/cli/dist/test/overload-backpressure.test.js'],
  },
  {
    id: 'rates-not-forwarded',
    what: "the driver does not pass backpressure's receiver rates to the ReceiverTracker",
    file: 'packages/driver/src/job/driver-job.ts',
    search: "          if (r.kind === 'receiver') this.current.tracker?.updateRate(r.streamId, r.rate);",
    replace: '',
    tests: ['packages/cli/dist/test/overload-backpressure.test.js'],
  },
  {
    id: 'no-version',
    what: 'sluice --version is not defined',
    file: 'packages/cli/src/main.ts',
    search: "  .version(VERSION, '-V, --version', 'print the version of sluice')\n",
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/cli-options.test.js', pattern: 'version' }],
  },
  {
    id: 'client-takes-server-options',
    what: 'sluice jobs takes the servers options (--log-level, --tls-cert, --tls-key) again',
    file: 'packages/cli/src/main.ts',
    search: "clientCommand(program.command('jobs')",
    replace: "serverCommand(program.command('jobs')",
    tests: [{ file: 'packages/cli/dist/test/cli-options.test.js', pattern: 'help|refuses' }],
  },
  {
    id: 'plain-unknown-option',
    what: "an option of another command gets commander's bare 'unknown option'",
    file: 'packages/cli/src/sluice-command.ts',
    search: '  unknownOption(flag: string): void {',
    replace: '  unknownOptionUnused(flag: string): void {',
    tests: [{ file: 'packages/cli/dist/test/cli-options.test.js', pattern: 'refuses' }],
  },
  {
    id: 'job-args-need-dashes',
    what: 'options after the job file are parsed as sluice options (no passThroughOptions)',
    file: 'packages/cli/src/main.ts',
    search: "  .argument('[args...]', \"arguments passed to the job: everything after the job file (sluice's options go before it)\")\n  .passThroughOptions()\n  .option('--workers",
    replace: "  .argument('[args...]', \"arguments passed to the job: everything after the job file (sluice's options go before it)\")\n  .option('--workers",
    tests: [{ file: 'packages/cli/dist/test/cli-options.test.js', pattern: 'after the job file' }],
  },
  {
    id: 'legacy-dashes-form-lost',
    what: "'job.ts --driver X -- args' no longer takes the options between the job file and --",
    file: 'packages/cli/src/job-arguments.ts',
    search: '    if (k === dashes) return',
    replace: '    if (k < 0) return',
    tests: [{ file: 'packages/cli/dist/test/cli-options.test.js', pattern: 'after the job file' }],
  },
  {
    id: 'stop-is-success',
    what: 'a job stopped with sluice stop ends succeeded (graceful) or cancelled (not graceful)',
    file: 'packages/driver/src/job/driver-job.ts',
    search: "    const stopped = this.stopRequested && (ended === 'succeeded' || ended === 'cancelled');",
    replace: '    const stopped = false;',
    tests: ['packages/cli/dist/test/cli-jobs.test.js', { file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'Ctrl-C' }],
  },
  {
    id: 'output-error-printed',
    what: "the job scheduler prints an output operation's failure to the job's stderr again",
    file: 'packages/core/src/streaming/job-scheduler.ts',
    search: "        this.ssc.sc.log('info', 'output operation failed; stopping the streaming context',",
    replace: "        process.stderr.write(`Error in output operation ${i}: ${info.message}\\n`);\n        this.ssc.sc.log('info', 'output operation failed; stopping the streaming context',",
    tests: ['packages/cli/dist/test/cli-jobs.test.js', { file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'failing streaming' }],
  },
  {
    id: 'job-failed-always-warn',
    what: "sluice run's driver logs 'job failed' at warn on the stderr where sluice run reports it too",
    file: 'packages/cli/src/main.ts',
    search: "driver: { webPort, jobFailureLogLevel: 'info', spareJobThread: true,",
    replace: 'driver: { webPort, spareJobThread: true,',
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'failing streaming' }],
  },
  {
    id: 'tracker-component-twice',
    what: "the receiver tracker's logger binds component over the driver job's",
    file: 'packages/driver/src/job/driver-job.ts',
    search: "this.rootLog.child({ component: 'receiver-tracker', jobId: this.id, runId: a.runId })",
    replace: "this.log.child({ component: 'receiver-tracker', runId: a.runId })",
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'Ctrl-C' }],
  },
  {
    id: 'job-log-component-twice',
    what: "the job program's log lines (job-scheduler, streaming-context) keep their component under the driver's",
    file: 'packages/driver/src/job/driver-job.ts',
    search: "        const log = typeof component === 'string' ? this.rootLog.child({ component, jobId: this.id }) : this.log;\n        log[m.level](fields, m.message);",
    replace: '        this.log[m.level](m.fields, m.message);',
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'failing streaming' }],
  },
  {
    id: 'spares-component-twice',
    what: "the spare task threads' logger binds component over the worker's",
    file: 'packages/worker/src/worker-node.ts',
    search: "      opts.log.child({ component: 'spare-task-threads', workerId: this.workerId }),",
    replace: "      this.log.child({ component: 'spare-task-threads' }),",
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'failing streaming' }],
  },
  {
    id: 'ctrl-c-cancels',
    what: 'Ctrl-C on sluice run cancels the job (reported as failed) instead of stopping it',
    file: 'packages/cli/src/main.ts',
    search: "      if (!signalled && j?.state === 'running') {",
    replace: "      if (signalled && j?.state === 'running') {",
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'Ctrl-C' }],
  },
  {
    id: 'run-workers-take-sigint',
    what: "sluice run's workers stop on the terminal's SIGINT, under the job",
    file: 'packages/cli/src/main.ts',
    search: "if (!o.exitWithParent) onSignals(() => worker.stop(), log, ['SIGINT']);",
    replace: "onSignals(() => worker.stop(), log, ['SIGINT']);",
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'Ctrl-C' }],
  },
  {
    id: 'grpc-logs-to-console',
    what: "grpc-js's own log lines are printed to stderr (No address added out of total 1 resolved)",
    file: 'packages/cli/src/main.ts',
    search: "    const log = createRootLogger(o.logLevel);\n    routeGrpcLogs(log);\n    log.debug({ code: cliCode() }, 'sluice code loaded');\n    const { DriverNode }",
    replace: "    const log = createRootLogger(o.logLevel);\n    log.debug({ code: cliCode() }, 'sluice code loaded');\n    const { DriverNode }",
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'port in use' }],
  },
  {
    id: 'driver-bind-failure-leaks-scratch',
    what: 'a driver that cannot listen leaves its scratch directory behind',
    file: 'packages/driver/src/driver-node.ts',
    search: '      fs.rmSync(this.localDir, { recursive: true, force: true });\n      throw err;',
    replace: '      throw err;',
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'port in use' }],
  },
  {
    id: 'sandbox-jobid-twice',
    what: "the worker's job sandbox passes jobId again to a logger that binds it",
    file: 'packages/worker/src/executor/job-sandbox.ts',
    search: 'this.log.warn({ reason: msg.reason, requeued: pending.map((t) => t.taskId) }',
    replace: 'this.log.warn({ jobId: this.jobId, reason: msg.reason, requeued: pending.map((t) => t.taskId) }',
    tests: [{ file: 'packages/cli/dist/test/cli-logs.test.js', pattern: 'sandbox' }],
  },
  {
    id: 'job-paths-against-driver-cwd',
    what: "a job's relative paths resolve against the driver's working directory, not the submit's",
    file: 'packages/driver/src/job/job-thread.ts',
    search: '  setJobWorkingDirectory(data.workingDir);\n',
    replace: '',
    tests: ['packages/cli/dist/test/relative-paths.test.js'],
  },
  {
    id: 'file-stream-path-against-process-cwd',
    what: 'textFileStream resolves its directory against the process working directory',
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '  return resolveJobPath(directory);\n}',
    replace: '  return path.resolve(directory);\n}',
    tests: [{ file: 'packages/cli/dist/test/relative-paths.test.js', pattern: 'another directory' }],
  },
  {
    id: 'dstream-map-unchecked',
    what: 'dstream.map does not check its function at the call (a captured client fails at the first batch instead)',
    file: 'packages/core/src/dstream/dstream.ts',
    search: "    this.shippable('map', f);\n",
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'class instance' }],
  },
  {
    id: 'this-not-detected',
    what: '`this` in a shipped function is not detected',
    file: 'packages/core/src/closure/function-source.ts',
    search: "  if (tokens[0]?.type === 'name' && tokens[0].text === 'class') return [];",
    replace: '  return [];',
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'this' }, 'packages/core/dist/test/closure/capture-closure.test.js'],
  },
  {
    id: 'nested-receiver-unchecked',
    what: 'a receiver class not at the top level of the bundle is not refused at start()',
    file: 'packages/core/src/codec/record-classes.ts',
    search: '  return classBindings().get(ctor) ?? null;',
    replace: '  return classBindings().get(ctor) ?? undefined;',
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'receiver class' }],
  },
  {
    id: 'never-started-passes',
    what: 'a program returning with a StreamingContext never started succeeds',
    file: 'packages/core/src/streaming/unstarted-contexts.ts',
    search: '  if (never.length === 0) return;',
    replace: '  if (never.length >= 0) return;',
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'returns without starting' }],
  },
  {
    id: 'await-unstarted-waits',
    what: 'awaitTermination() on a StreamingContext never started waits forever',
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: "    if (this.state !== 'initialized') return;\n    throw new SluiceError(\n      'SLUICE_NOT_STARTED',",
    replace: "    if (this.state !== 'initialized' || this.state === 'initialized') return;\n    throw new SluiceError(\n      'SLUICE_NOT_STARTED',",
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'awaitTermination' }],
  },
  {
    id: 'receiver-error-not-kept',
    what: "the driver does not keep a job's last receiver error for sluice jobs",
    file: 'packages/driver/src/job/driver-job.ts',
    search: "      if (event.type === 'error') this.lastReceiverError",
    replace: "      if (event.type === 'error' && event.streamId < 0) this.lastReceiverError",
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'receiver errors' }],
  },
  {
    id: 'capture-write-warned-each-batch',
    what: 'the captured-write warning is logged every time the function is shipped (every batch), not once',
    file: 'packages/core/src/context.ts',
    search: '    if (this.captureWarnings.has(key)) return;\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'writing to a captured' }],
  },
  {
    id: 'capture-write-not-warned',
    what: 'writes to captured variables are not warned of',
    file: 'packages/core/src/closure/capture-closure.ts',
    search: '  if (ctx.onWarning !== undefined) warnOfWrites(raw, tokens, label, locals, ctx);\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'writing to a captured' }, 'packages/core/dist/test/closure/capture-closure.test.js'],
  },
  {
    id: 'batch-origin-ignored',
    what: "at batch time a shipped DStream function's errors name rdd.map at <unknown>, not the user's dstream call",
    file: 'packages/core/src/closure/capture-closure.ts',
    search: '  if (callSite === undefined && site === UNKNOWN_CALL_SITE && origin !== undefined) ({ operator: op, callSite: site } = origin);',
    replace: '',
    tests: [{ file: 'packages/core/dist/test/closure/capture-closure.test.js', pattern: 'no user frame' }],
  },
  {
    id: 'capture-cache-values',
    what: 'a shipped function is cached whatever it captures: a captured value changed between batches is not shipped',
    file: 'packages/core/src/closure/capture-closure.ts',
    search: 'if (Object.keys(shipped.captures).length === 0) {',
    replace: 'if (true) {',
    tests: [{ file: 'packages/core/dist/test/closure/capture-closure.test.js', pattern: 'shipped again and again' }],
  },
  {
    id: 'capture-cache-never',
    what: 'a function that captures nothing is read through the inspector at every shipping (every batch)',
    file: 'packages/core/src/closure/capture-closure.ts',
    search: '    byKey.set(key, shipped);',
    replace: '',
    tests: [{ file: 'packages/core/dist/test/closure/capture-closure.test.js', pattern: 'shipped again and again' }],
  },
  {
    id: 'batch-generation-reads-stack',
    what: "while a batch is generated, a DStream function's call site is read from the stack (a user frame there wins over where the function was given)",
    file: 'packages/core/src/closure/capture-closure.ts',
    search: 'origin !== undefined && isGeneratingBatch() ? UNKNOWN_CALL_SITE',
    replace: 'origin !== undefined && false ? UNKNOWN_CALL_SITE',
    tests: [{ file: 'packages/core/dist/test/closure/capture-closure.test.js', pattern: 'while a batch is generated' }],
  },
  {
    id: 'line-block-keeps-cr',
    what: "a line block's lines keep the '\\r' of a '\\r\\n' ending",
    file: 'packages/core/src/receiver/line-block.ts',
    search: 'const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;',
    replace: 'const end = nl;',
    tests: ['packages/core/dist/test/receiver/line-chunker.test.js', { file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: '50 ms batches' }],
  },
  {
    id: 'line-chunker-drops-start',
    what: 'the start of a line that spans socket chunks is dropped when its end comes',
    file: 'packages/core/src/receiver/line-chunker.ts',
    search: '            for (const p of this.parts) parts.push(p);',
    replace: '',
    tests: ['packages/core/dist/test/receiver/line-chunker.test.js'],
  },
  {
    id: 'line-count-off',
    what: 'a line block counts one record more than the lines it holds',
    file: 'packages/worker/src/receiver/receiver-supervisor.ts',
    search: '      this.lineCount += records.lines;',
    replace: '      this.lineCount += records.lines + 1;',
    tests: [{ file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: '50 ms batches' }],
  },
  {
    id: 'lines-and-records-mixed',
    what: 'lines stored after records go into the same block as them (a block of one kind is not cut first)',
    file: 'packages/worker/src/receiver/receiver-supervisor.ts',
    search: '      if (this.buffer.length > 0) this.flush();\n      this.reserveLines(records.bytes);',
    replace: '      this.reserveLines(records.bytes);',
    tests: ['packages/worker/dist/test/receiver/receiver-supervisor.test.js'],
  },
  {
    id: 'lines-not-held',
    what: 'lines stored as bytes do not count toward the receiver buffer bound',
    file: 'packages/worker/src/receiver/receiver-supervisor.ts',
    search: '      this.held += records.lines;',
    replace: '',
    tests: ['packages/worker/dist/test/receiver/receiver-supervisor.test.js'],
  },
  {
    id: 'metrics-counter-as-gauge',
    what: 'counters whose totals live on workers (tasks completed, CPU seconds) are exported as gauges',
    file: 'packages/driver/src/web/prometheus-metrics.ts',
    search: '      new Counter<L>({',
    replace: '      new Gauge<L>({',
    tests: ['packages/cli/dist/test/prometheus-metrics.test.js'],
  },
  {
    id: 'metrics-error-not-failed',
    what: 'a task attempt whose user code threw is reported as killed, not failed',
    file: 'packages/driver/src/scheduler/task-set-manager.ts',
    search: "        case 'error':\n          reason = 'error';",
    replace: "        case 'error':\n          reason = 'killed';",
    tests: [{ file: 'packages/cli/dist/test/prometheus-metrics.test.js', pattern: 'a batch job' }],
  },
  {
    id: 'metrics-received-not-counted',
    what: 'records a batch takes from its receivers are not counted as received',
    file: 'packages/driver/src/job/driver-job.ts',
    search: "if (blocks.length > 0) this.emit('received'",
    replace: "if (blocks.length < 0) this.emit('received'",
    tests: [{ file: 'packages/cli/dist/test/prometheus-metrics.test.js', pattern: 'a streaming job:' }],
  },
  {
    id: 'worker-process-stats-dropped',
    what: "the worker's heartbeat carries no process figures (heap, CPU, event-loop delay)",
    file: 'packages/worker/src/worker-node.ts',
    search: ', process: this.processStats.sample() }',
    replace: ' }',
    tests: [{ file: 'packages/cli/dist/test/prometheus-metrics.test.js', pattern: 'a streaming job:' }],
  },
  {
    id: 'metrics-queued-is-processing',
    what: 'the queued-batches gauge counts the processing batch instead',
    file: 'packages/driver/src/web/prometheus-metrics.ts',
    search: "perJob((j) => activeBatches(j, 'QUEUED'), streaming)",
    replace: "perJob((j) => activeBatches(j, 'PROCESSING'), streaming)",
    tests: [{ file: 'packages/cli/dist/test/prometheus-metrics.test.js', pattern: 'gate' }],
  },
  {
    id: 'metrics-rate-off-by-one',
    what: "the rate-limit gauge is not backpressure's last estimate",
    file: 'packages/driver/src/web/prometheus-metrics.ts',
    search: 'kind: r.kind }, r.rate];',
    replace: 'kind: r.kind }, r.rate + 1];',
    tests: [{ file: 'packages/cli/dist/test/prometheus-metrics.test.js', pattern: 'backpressure' }],
  },
  {
    id: 'progress-bar-on-pipe',
    what: 'the stage progress bar is drawn when stderr is not a terminal',
    file: 'packages/cli/src/stage-progress.ts',
    search: 'return enabled && process.stderr.isTTY ? new',
    replace: 'return enabled ? new',
    tests: [{ file: 'packages/cli/dist/test/stage-progress.test.js', pattern: 'sluice run' }],
  },
  {
    id: 'progress-bar-not-erased',
    what: 'clearing the progress bar leaves it on the terminal',
    file: 'packages/cli/src/stage-progress.ts',
    search: "    this.out.write(`\\r${' '.repeat(this.width())}\\r`);\n    this.shown = '';",
    replace: "    this.shown = '';",
    tests: [{ file: 'packages/cli/dist/test/stage-progress.test.js', pattern: 'sluice submit on a terminal' }],
  },
  {
    id: 'progress-no-clear-before-output',
    what: 'sluice run prints a job line over the drawn progress bar',
    file: 'packages/cli/src/main.ts',
    search: "      job.on('output', (line) => {\n        bar?.clear();",
    replace: "      job.on('output', (line) => {",
    tests: [{ file: 'packages/cli/dist/test/stage-progress.test.js', pattern: 'sluice run' }],
  },
  {
    id: 'progress-stages-not-sent',
    what: 'ListJobs returns no stage progress',
    file: 'packages/driver/src/driver-node.ts',
    search: "stages: j.state === 'running' ? this.stageProgress(j.id) : [],",
    replace: 'stages: [],',
    tests: [{ file: 'packages/cli/dist/test/stage-progress.test.js', pattern: 'sluice submit on a terminal' }],
  },
  {
    id: 'progress-completed-inverted',
    what: "a stage's completed tasks are counted as its remaining ones",
    file: 'packages/driver/src/scheduler/task-set-manager.ts',
    search: '      completedTasks: this.partitions.length - this.remaining,',
    replace: '      completedTasks: this.remaining,',
    tests: [{ file: 'packages/cli/dist/test/stage-progress.test.js', pattern: 'sluice jobs' }],
  },
  {
    id: 'falling-behind-default-9',
    what: 'the falling-behind warning comes after 9 growing batches by default, not 10',
    file: 'packages/core/src/streaming/falling-behind-detector.ts',
    search: 'export const DEFAULT_FALLING_BEHIND_BATCHES = 10;',
    replace: 'export const DEFAULT_FALLING_BEHIND_BATCHES = 9;',
    tests: ['packages/core/dist/test/streaming/rate/flow-control.test.js'],
  },
  {
    id: 'no-flow-while-behind',
    what: "while a job falls behind, its status keeps the delay at the warning (not each batch's)",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '      if (this.fallingBehind.state) this.publishFlow();',
    replace: '',
    tests: ['packages/core/dist/test/streaming/rate/flow-control.test.js'],
  },
  {
    id: 'every-direct-input-rated',
    what: 'every direct input gets a backpressure rate, also those that never apply it',
    file: 'packages/core/src/dstream/direct-input-dstream.ts',
    search: '  override get rateControlled(): boolean {\n    return false;\n  }',
    replace: '  override get rateControlled(): boolean {\n    return true;\n  }',
    tests: ['packages/core/dist/test/streaming/rate/flow-control.test.js'],
  },
  {
    id: 'revive-factory-recompiled',
    what: "a shipped function's factory is compiled again for every task (the per-thread cache never hits)",
    file: 'packages/core/src/closure/revive-closure.ts',
    search: '  let factory = cache.get(key);',
    replace: '  let factory: Factory | undefined = undefined;',
    tests: [{ file: 'packages/core/dist/test/closure/capture-closure.test.js', pattern: 'compiles each shipped function once' }],
  },
  {
    id: 'map-locations-unshared',
    what: "a reduce task's map output locations are one object per map output again (the payload grows with the maps)",
    file: 'packages/driver/src/scheduler/map-output-tracker.ts',
    search: '      let loc = shared.get(key);',
    replace: '      let loc: MapOutputLocation | undefined = undefined;',
    tests: [{ file: 'packages/driver/dist/test/scheduler/map-output-tracker.test.js', pattern: 'encode each worker once' }],
  },
  {
    id: 'dashboard-bars-smallest',
    what: 'a bar dashboard keeps the smallest values of a batch, not the largest',
    file: 'packages/core/src/dashboard/dashboard-summary.ts',
    search: 'const bars = [...byLabel].sort((a, b) => b[1] - a[1] ||',
    replace: 'const bars = [...byLabel].sort((a, b) => a[1] - b[1] ||',
    tests: ['packages/core/dist/test/dashboard/dashboard-summary.test.js'],
  },
  {
    id: 'dashboard-partition-unsorted',
    what: "each partition sends its first maxItems pairs to the driver, not its largest",
    file: 'packages/core/src/dashboard/dashboard-summary.ts',
    search: '    top = top.sort(order).slice(0, limit);',
    replace: '    top = top.slice(0, limit);',
    tests: ['packages/core/dist/test/dashboard/dashboard-summary.test.js'],
  },
  {
    id: 'dashboard-table-reversed',
    what: "a table dashboard shows a batch's last rows, not its first",
    file: 'packages/core/src/dashboard/dashboard-summary.ts',
    search: '  const records = parts.flatMap((p) => p.first).slice(0, def.maxItems);',
    replace: '  const records = parts.flatMap((p) => p.first).reverse().slice(0, def.maxItems);',
    tests: ['packages/core/dist/test/dashboard/dashboard-summary.test.js'],
  },
  {
    id: 'dashboard-line-unbounded',
    what: 'a line dashboard keeps every point, not the last keepBatches',
    file: 'packages/driver/src/status/dashboard-store.ts',
    search: '      if (d.points.length > d.definition.keepBatches) d.points.splice(0, d.points.length - d.definition.keepBatches);',
    replace: '',
    tests: ['packages/driver/dist/test/status/dashboard-store.test.js'],
  },
  {
    id: 'dashboard-label-as-markup',
    what: "the dashboard page writes a bar's key as HTML (a key <script>...</script> becomes an element)",
    file: 'packages/driver/web-assets/dashboard-page.js',
    search: "      const name = el('span', 'bar-label', label);",
    replace: "      const name = el('span', 'bar-label'); name.innerHTML = label;",
    tests: ['packages/cli/dist/test/dashboard-browser.test.js'],
  },
  {
    id: 'dashboard-bars-stuck',
    what: "a bar dashboard keeps showing its first batch with keys, not the latest batch",
    file: 'packages/driver/src/status/dashboard-store.ts',
    search: '    if (!d.latest || b.batchTime >= d.latest.batchTime) d.latest = b;',
    replace: '    if (!d.latest || d.latest.bars?.length === 0) d.latest = b;',
    tests: ['packages/cli/dist/test/dashboard-browser.test.js'],
  },
  {
    id: 'dashboard-snapshot-without-points',
    what: "a dashboard page's first event has no line points (a reloaded page loses the line's history)",
    file: 'packages/driver/src/status/dashboard-store.ts',
    search: '    return [...this.dashboards.values()].map((d) => this.view(d));',
    replace: '    return [...this.dashboards.values()].map((d) => this.view(d, false));',
    tests: ['packages/cli/dist/test/dashboard-browser.test.js'],
  },
  {
    id: 'dashboard-line-series-not-redrawn',
    what: "a line chart drawn before its series were known never shows them (uPlot not rebuilt when a series is added)",
    file: 'packages/driver/web-assets/dashboard-page.js',
    search: '    if (!b.plot || b.plotSeries !== series.length) {',
    replace: '    if (!b.plot) {',
    tests: ['packages/cli/dist/test/dashboard-browser.test.js'],
  },
  {
    id: 'dashboard-stream-listener-leak',
    what: "a closed dashboard event stream stays subscribed to its job's dashboards",
    file: 'packages/driver/src/web/dashboard-events.ts',
    search: "      job.dashboards.off('change', onChange);",
    replace: '',
    tests: ['packages/cli/dist/test/dashboard-browser.test.js'],
  },
  {
    id: 'postgres-marker-ignored',
    what: 'saveToPostgres writes a partition again when its marker row is already there (a re-run after a commit duplicates rows)',
    file: 'packages/postgres/src/postgres-partition-writer.ts',
    search: 'if (marker.rowCount === 0) {',
    replace: 'if (marker.rowCount === -1) {',
    tests: ['packages/postgres/dist/test/postgres-sink.test.js'],
  },
  {
    id: 'postgres-commit-on-failure',
    what: 'saveToPostgres commits instead of rolling back when a partition fails mid-write (partial rows and the marker stay)',
    file: 'packages/postgres/src/postgres-partition-writer.ts',
    search: "await client.query('ROLLBACK').catch((e: Error) => (broken = e));",
    replace: "await client.query('COMMIT').catch((e: Error) => (broken = e));",
    tests: ['packages/postgres/dist/test/postgres-sink.test.js'],
  },
  {
    id: 'postgres-copy-tab-unescaped',
    what: "COPY's text format: a tab inside a value is sent unescaped",
    file: 'packages/postgres/src/postgres-value.ts',
    search: "c === '\\t' ? '\\\\t'",
    replace: "c === '\\t' ? '\\t'",
    tests: ['packages/postgres/dist/test/postgres-sink.test.js'],
  },
  {
    id: 'postgres-password-echoed',
    what: 'saveToPostgres errors show the connection string with its password',
    file: 'packages/postgres/src/postgres-options.ts',
    search: "return connectionString.replace(/^([a-z]+:\\/\\/[^:/@]*):[^@]*@/i, '$1:***@');",
    replace: 'return connectionString;',
    tests: [{ file: 'packages/postgres/dist/test/postgres-bad-input.test.js', pattern: 'unreachable' }],
  },
  {
    id: 'redis-marker-ignored',
    what: 'saveToRedis applies a partition again when its marker key is already there (counters count twice)',
    file: 'packages/redis/src/redis-partition-writer.ts',
    search: 'if (found !== null) {',
    replace: "if (found !== null && found === 'never') {",
    tests: ['packages/redis/dist/test/redis-sink.test.js'],
  },
  {
    id: 'redis-exec-on-failure',
    what: 'saveToRedis EXECs the queued commands of a partition that failed mid-write instead of dropping the connection',
    file: 'packages/redis/src/redis-partition-writer.ts',
    search: 'if (inMulti) broken = true;',
    replace: 'if (inMulti) await client.exec().catch(() => undefined);',
    tests: ['packages/redis/dist/test/redis-sink.test.js'],
  },
  {
    id: 'redis-failed-marker-not-kept',
    what: 'saveToRedis does not record a failure inside EXEC in the marker (a retry would skip the partition as applied)',
    file: 'packages/redis/src/redis-partition-writer.ts',
    search: "await client.set(marker, `failed ${message}`, 'EX', p.markerTtlSeconds);",
    replace: '',
    tests: [{ file: 'packages/redis/dist/test/redis-bad-input.test.js', pattern: 'another type' }],
  },
  {
    id: 'flume-ok-before-store',
    what: 'the Flume receiver answers OK as soon as a batch arrives, before store made it durable',
    file: 'packages/flume/src/flume-connection.ts',
    search: "    this.host.store(events).then(\n      () => this.send(serial, [head, statusBytes('OK')]),",
    replace: "    this.send(serial, [head, statusBytes('OK')]);\n    this.host.store(events).then(\n      () => undefined,",
    tests: ['packages/flume/dist/test/flume-kill.test.js'],
  },
  {
    id: 'flume-no-frame-limit',
    what: 'the Flume receiver takes any Avro frame length (no maxBatchBytes check)',
    file: 'packages/flume/src/netty-transport-codec.ts',
    search: 'if (this.frameLength > this.maxPackBytes - this.packBytes) {',
    replace: 'if (false) {',
    tests: [{ file: 'packages/flume/dist/test/flume-bad-input.test.js', pattern: 'a malformed frame' }, 'packages/flume/dist/test/avro-wire.test.js'],
  },
  {
    id: 'flume-headers-dropped',
    what: "the Flume receiver keeps only an event's id and key headers",
    file: 'packages/flume/src/avro-responder.ts',
    search: 'const events = raw.map((e) => ({ headers: { ...e.headers }, body: e.body }));',
    replace: 'const events = raw.map((e) => ({ headers: { id: e.headers.id!, key: e.headers.key! }, body: e.body }));',
    tests: ['packages/flume/dist/test/flume-count.test.js'],
  },
  {
    id: 'flume-handshake-always-client',
    what: "the Flume receiver answers CLIENT where the client's server hash matches (BOTH)",
    file: 'packages/flume/src/avro-responder.ts',
    search: "(h.serverHash.equals(AVRO_SOURCE_PROTOCOL_MD5) ? 'BOTH' : 'CLIENT')",
    replace: "'CLIENT'",
    tests: ['packages/flume/dist/test/avro-wire.test.js', 'packages/flume/dist/test/flume-count.test.js'],
  },
  {
    id: 'flume-frame-across-chunks',
    what: 'the Avro frame decoder reads a header split over two TCP chunks from the first chunk only',
    file: 'packages/flume/src/netty-transport-codec.ts',
    search: 'if (first.length >= n) {',
    replace: 'if (first.length >= 1) {',
    tests: ['packages/flume/dist/test/avro-wire.test.js'],
  },
  {
    id: 'advertise-host-ignored',
    what: 'a worker advertises its --bind address (0.0.0.0) instead of --advertise-host',
    file: 'packages/worker/src/worker-node.ts',
    search: "const h = this.opts.advertiseHost ?? this.opts.bind ?? '127.0.0.1';",
    replace: "const h = this.opts.bind ?? '127.0.0.1';",
    tests: ['packages/cli/dist/test/multi-host-netns.test.js'],
  },
  {
    id: 'desired-workers-no-hysteresis',
    what: 'sluice_desired_workers asks for one worker fewer whenever the ratio is under the up ratio (no band between the ratios)',
    file: 'packages/driver/src/streaming/worker-allocation-manager.ts',
    search: 'else if (ratio !== undefined && ratio <= this.options.scalingDownRatio)',
    replace: 'else if (ratio !== undefined && ratio < this.options.scalingUpRatio)',
    tests: ['packages/driver/dist/test/streaming/worker-allocation-manager.test.js', 'packages/cli/dist/test/desired-workers.test.js'],
  },
  {
    id: 'desired-workers-no-max',
    what: 'sluice_desired_workers ignores --max-workers',
    file: 'packages/driver/src/streaming/worker-allocation-manager.ts',
    search: 'return Math.min(this.options.maxWorkers, Math.max(this.options.minWorkers, want));',
    replace: 'return Math.max(this.options.minWorkers, want);',
    tests: ['packages/driver/dist/test/streaming/worker-allocation-manager.test.js', 'packages/cli/dist/test/desired-workers.test.js'],
  },
  {
    id: 'text-lines-past-end-whole-read',
    what: "textFile's chunked line reader, reading past a split's end to finish its last line, emits every line of that read (the next split's lines twice)",
    file: 'packages/core/src/scheduler/read-lines.ts',
    search: 'emitLineRange(buf, cut, nl + 1, emit, decodeBytes);',
    replace: 'emitLineRange(buf, cut, buf.lastIndexOf(10, avail - 1) + 1, emit, decodeBytes);',
    tests: [{ file: 'packages/core/dist/test/scheduler/partition-computer.test.js', pattern: 'readLines' }],
  },
  {
    id: 'text-lines-partial-line-dropped',
    what: "textFile's chunked line reader drops the unfinished line at the end of a read instead of carrying it to the next",
    file: 'packages/core/src/scheduler/read-lines.ts',
    search: 'held = avail - cut;',
    replace: 'held = avail - cut > buf.length / 2 ? avail - cut : 0;',
    tests: [{ file: 'packages/core/dist/test/scheduler/partition-computer.test.js', pattern: 'readLines' }],
  },
  {
    id: 'line-piece-long-line-cut',
    what: "a line longer than a decode piece (64 KiB) is cut at the piece's end (two lines)",
    file: 'packages/core/src/receiver/line-block.ts',
    search: 'const next = buf.indexOf(0x0a, at + pieceBytes);',
    replace: 'const next = at + pieceBytes - 1;',
    tests: [{ file: 'packages/core/dist/test/scheduler/partition-computer.test.js', pattern: 'readLines' }, 'packages/core/dist/test/receiver/line-block.test.js'],
  },
  {
    id: 'text-lines-remote-read-per-mib',
    what: "textFile reads a file on a registered file system (s3: a ranged GET a read) 1 MiB a request instead of a split a request",
    file: 'packages/core/src/scheduler/read-lines.ts',
    search: 'opts.chunkBytes ?? (remote ? Infinity : LINE_CHUNK_BYTES)',
    replace: 'opts.chunkBytes ?? LINE_CHUNK_BYTES',
    tests: [{ file: 'packages/core/dist/test/scheduler/partition-computer.test.js', pattern: 'readLines' }],
  },
  {
    id: 'text-splits-shifted',
    what: "textFile on a registered file system starts every split but the first one byte late",
    file: 'packages/core/src/io/text-splits.ts',
    search: "const from = Math.max(lo, start) - start;",
    replace: "const from = Math.max(lo, start) - start + (p > 0 ? 1 : 0);",
    tests: ['packages/core/dist/test/io/text-splits.test.js'],
  },
  {
    id: 's3-text-temporary-kept',
    what: "an S3 save's commit leaves the task attempts' objects under _temporary/",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "const leftovers = await this.list(loc, temporary, options.operation);",
    replace: "const leftovers: { key: string }[] = [];",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: 'multipart' }],
  },
  {
    id: 's3-text-stale-kept',
    what: "an S3 save's commit keeps parts of an earlier run of the directory that this output does not have",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "await this.deleteKeys(loc, stale, options.operation);",
    replace: "void stale;",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: 're-run' }],
  },
  {
    id: 's3-text-incomplete-read',
    what: "sc.textFile on s3:// reads a directory that has _temporary/ objects and no _SUCCESS",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "const incomplete = (dir: string): boolean => writing.has(dir) && !committed.has(dir);",
    replace: "const incomplete = (dir: string): boolean => false && writing.has(dir) && !committed.has(dir);",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: 'bad settings' }],
  },
  {
    id: 's3-text-no-multipart',
    what: "an S3 part above multipartPartSize goes up in one PUT",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "while (bufferedBytes > pieceSize) {",
    replace: "while (bufferedBytes > pieceSize * 1000) {",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: 'multipart' }],
  },
  {
    id: 's3-text-last-piece-dropped',
    what: "an S3 multipart part loses its last (short) piece",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "if (bufferedBytes > 0) await uploadPiece(take(bufferedBytes));",
    replace: "",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: 'multipart' }],
  },
  {
    id: 's3-text-exists-ignored',
    what: "rdd.saveAsTextFile to an existing s3:// directory is not refused",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "if (!options.replace && outside.length > 0) {",
    replace: "if (false && outside.length > 0) {",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: 'multipart' }],
  },
  {
    id: 's3-text-range-ignored',
    what: "a ranged S3 read of a text split reads from the start of the object",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "Range: `bytes=${position}-${position + length - 1}`",
    replace: "Range: `bytes=0-${length - 1}`",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: '104,000' }],
  },
  {
    id: 's3-text-settings-not-sent',
    what: "the driver's configureS3 settings do not travel with text-file tasks",
    file: 'packages/s3/src/s3-file-system.ts',
    search: "    return this.configured();",
    replace: "    return {};",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: '104,000' }],
  },
  {
    id: 's3-denied-unnamed',
    what: "refused S3 credentials are reported as a generic S3 error, without the credentials to fix",
    file: 'packages/s3/src/s3-failure.ts',
    search: "} else if (DENIED.has(name) || status === 403) {",
    replace: "} else if (false) {",
    tests: [{ file: 'packages/s3/dist/test/s3-text-files.test.js', pattern: 'bad settings' }],
  },
  {
    id: 'kinesis-children-ignore-parents',
    what: 'Kinesis: a child shard of a split or merge is read at once, not after its parents were read to the end',
    file: 'packages/kinesis/src/shard-coordinator.ts',
    search: 'const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => p !== undefined && p !== null);',
    replace: 'const parents: string[] = [];',
    tests: ['packages/kinesis/dist/test/shard-coordinator.test.js', 'packages/kinesis/dist/test/kinesis-reshard.test.js'],
  },
  {
    id: 'kinesis-latest-reads-closed-unread',
    what: 'Kinesis: under LATEST a shard closed before the application read it is read anyway',
    file: 'packages/kinesis/src/shard-coordinator.ts',
    search: "return s.SequenceNumberRange?.EndingSequenceNumber ? 'done' : { from: initial, next: 0 };",
    replace: 'return { from: initial, next: 0 };',
    tests: ['packages/kinesis/dist/test/shard-coordinator.test.js'],
  },
  {
    id: 'kinesis-child-at-initial-position',
    what: 'Kinesis: a child of shards the application read starts at initialPosition (LATEST loses its first records), not at its beginning',
    file: 'packages/kinesis/src/shard-coordinator.ts',
    search: "      return { from: { kind: 'TRIM_HORIZON' }, next: 0 };",
    replace: '      return { from: this.config.initialPosition, next: 0 };',
    tests: ['packages/kinesis/dist/test/shard-coordinator.test.js'],
  },
  {
    id: 'kinesis-every-reader-every-shard',
    what: "Kinesis: the streams of one application each read every shard (no shard-number ownership)",
    file: 'packages/kinesis/src/shard-coordinator.ts',
    search: 'if (shardNumber(id) % readers !== readerIndex || this.readers.has(id)',
    replace: 'if (this.readers.has(id)',
    tests: ['packages/kinesis/dist/test/kinesis-reshard.test.js'],
  },
  {
    id: 'kinesis-reader-gives-up-unreachable',
    what: 'Kinesis: a shard reader stops for good when the endpoint is unreachable',
    file: 'packages/kinesis/src/shard-reader.ts',
    search: '        if (h.isStopped()) return false;\n        this.iterator = undefined;',
    replace: "        if (h.isStopped() || classify(err) === 'unreachable') return false;\n        this.iterator = undefined;",
    tests: ['packages/kinesis/dist/test/kinesis-server-restart.test.js'],
  },
  {
    id: 'kinesis-missing-stream-unnamed',
    what: "Kinesis: a missing stream is reported as a generic error, not naming streamName",
    file: 'packages/kinesis/src/kinesis-client.ts',
    search: "if (name === 'ResourceNotFoundException') return 'missing-stream';",
    replace: '',
    tests: [{ file: 'packages/kinesis/dist/test/kinesis-bad-input.test.js', pattern: 'does not exist' }],
  },
  {
    id: 'kinesis-latest-as-trim-horizon',
    what: "Kinesis: initialPosition 'LATEST' reads from the trim horizon",
    file: 'packages/kinesis/src/shard-reader.ts',
    search: ': { ShardIteratorType: p.kind };',
    replace: ": { ShardIteratorType: 'TRIM_HORIZON' };",
    tests: [{ file: 'packages/kinesis/dist/test/kinesis-bad-input.test.js', pattern: 'the controls' }],
  },
  {
    id: 'kinesis-checkpoint-ignored-on-start',
    what: "Kinesis: a shard's checkpoint is ignored when its reader starts (a resubmitted job starts at initialPosition again)",
    file: 'packages/kinesis/src/shard-coordinator.ts',
    search: '    const own = await this.checkpoints.read(s.ShardId!);\n',
    replace: '    const own = (await this.checkpoints.read(s.ShardId!))?.end ? { end: true, next: 0 } : undefined;\n',
    tests: [{ file: 'packages/kinesis/dist/test/kinesis-bad-input.test.js', pattern: 'the controls' }],
  },
  {
    id: 'kinesis-no-positions',
    what: 'Kinesis: records are stored without their stream positions (what a restarted reader reads again counts twice)',
    file: 'packages/kinesis/src/kinesis-receiver.ts',
    search: 'store: (records, position) => this.store(records, { position }),',
    replace: 'store: (records) => this.store(records),',
    tests: ['packages/kinesis/dist/test/kinesis-count.test.js'],
  },
  {
    id: 'kinesis-safe-before-store',
    what: 'Kinesis: the checkpointed safe point moves when records are read, before their store resolved',
    file: 'packages/kinesis/src/shard-reader.ts',
    search: '    const point = { after: this.lastRead, next: this.next };\n',
    replace: '    const point = { after: this.lastRead, next: this.next };\n    this.safe = point;\n',
    tests: ['packages/kinesis/dist/test/shard-reader.test.js'],
  },
  {
    id: 'kinesis-end-overwritten',
    what: "Kinesis: a periodic checkpoint queued during a closed shard's end write overwrites `end` (its children wait forever)",
    file: 'packages/kinesis/src/shard-reader.ts',
    search: '    this.ended = true;\n    await this.host.writeCheckpoint(this.shardId, cp);',
    replace: '    await this.host.writeCheckpoint(this.shardId, cp);\n    this.ended = true;',
    tests: ['packages/kinesis/dist/test/shard-reader.test.js'],
  },
  {
    id: 'kinesis-no-pin',
    what: "Kinesis: a shard's first record is not pinned before it is stored (positions depend on where a reader started)",
    file: 'packages/kinesis/src/shard-reader.ts',
    search: '    if (!this.pinned) {',
    replace: '    if (false) {',
    tests: ['packages/kinesis/dist/test/shard-reader.test.js'],
  },
  {
    id: 'kinesis-resume-ordinal-zero',
    what: "Kinesis: a reader resumed from a checkpoint numbers positions from 0, not from the checkpoint's ordinal",
    file: 'packages/kinesis/src/shard-reader.ts',
    search: '    this.next = start.next;',
    replace: '    this.next = 0;',
    tests: ['packages/kinesis/dist/test/shard-reader.test.js'],
  },
  {
    id: 'decommission-no-migration',
    what: 'a decommissioning worker copies none of its blocks or map outputs (they are recomputed after it leaves)',
    file: 'packages/driver/src/cluster/worker-decommissioner.ts',
    search: 'const kinds = { rddBlocks: this.options.migrateRddBlocks, shuffleBlocks: this.options.migrateShuffleBlocks };',
    replace: 'const kinds = { rddBlocks: false, shuffleBlocks: false };',
    tests: ['packages/cli/dist/test/graceful-decommission.test.js', 'packages/driver/dist/test/cluster/worker-decommissioner.test.js'],
  },
  {
    id: 'receiver-stop-drops-block',
    what: "a stopped receiver drops its current block instead of storing it (a decommission's receiver move loses records)",
    file: 'packages/worker/src/receiver/receiver-supervisor.ts',
    search: '      this.flush();\n      this.stopped = true;',
    replace: '      this.stopped = true;',
    tests: ['packages/cli/dist/test/graceful-decommission.test.js'],
  },
  {
    id: 'decommission-release-while-read',
    what: 'a decommissioned worker is released while running stages still read from it',
    file: 'packages/driver/src/cluster/worker-decommissioner.ts',
    search: 'if (this.host.inUse?.(d.worker.id)) {',
    replace: "if (this.host.inUse?.(d.worker.id) && d.worker.id === '') {",
    tests: ['packages/driver/dist/test/cluster/worker-decommissioner.test.js'],
  },
  {
    id: 'task-stream-first-outcome-only',
    what: "the driver takes only the first outcome of each of a worker's outcome batches on the task stream",
    file: 'packages/driver/src/rpc/task-stream.ts',
    search: 'for (const e of m.ended) {',
    replace: 'for (const e of m.ended.slice(0, 1)) {',
    tests: ['packages/cli/dist/test/task-stream.test.js'],
  },
  {
    id: 'task-part-slice-shifted',
    what: "a task's parallelized slice is put back at the next slice index on the worker",
    file: 'packages/core/src/scheduler/task-part.ts',
    search: '      slices[flat[k + 1] as number] = flat[k + 2];',
    replace: '      slices[(flat[k + 1] as number) + 1] = flat[k + 2];',
    tests: ['packages/cli/dist/test/task-stream.test.js', 'packages/driver/dist/test/scheduler/stage-plan.test.js'],
  },
  {
    id: 'stage-key-per-job',
    what: "a stage attempt's key on the workers names only its job (a worker runs another action's stage description)",
    file: 'packages/driver/src/scheduler/dag-scheduler.ts',
    search: 'const stageKey = `${job.jobId}/${stageId}.${attempt}#${this.nextTaskSetSeq++}`;',
    replace: 'const stageKey = `${job.jobId}`;',
    tests: ['packages/cli/dist/test/task-stream.test.js'],
  },
  {
    id: 'thread-keeps-first-stage',
    what: 'a task thread decodes the first stage it is sent and ignores later ones',
    file: 'packages/worker/src/executor/task-thread.ts',
    search: 'if (stageBytes !== undefined) {',
    replace: 'if (stageBytes !== undefined && stages.size === 0) {',
    tests: ['packages/cli/dist/test/task-stream.test.js'],
  },
  {
    id: 'task-stream-lost-as-failure',
    what: "tasks in flight on a worker's broken task stream fail as errors instead of as lost with their worker",
    file: 'packages/driver/src/rpc/task-stream.ts',
    search: 'resolve({ ok: false, workerLost: lost, message });',
    replace: 'resolve({ ok: false, workerLost: lost && false, message });',
    tests: ['packages/cli/dist/test/task-stream.test.js'],
  },
  {
    id: 'receiver-rate-not-per-second',
    what: "a receiver's avgEventRate (REST receivers) is the records of the last 10 s, not per second",
    file: 'packages/driver/src/status/streaming-progress.ts',
    search: '    return recent.reduce((a, [, n]) => a + n, 0) / (RATE_WINDOW_MS / 1000);',
    replace: '    return recent.reduce((a, [, n]) => a + n, 0);',
    tests: ['packages/cli/dist/test/streaming-rest.test.js'],
  },
  {
    id: 'metadata-checkpoints-kept',
    what: 'old metadata checkpoints are never deleted (the checkpoint directory grows with every batch)',
    file: 'packages/core/src/checkpoint/metadata-store.ts',
    search: '    await this.store.delete(known.slice(this.keep));',
    replace: '    void known;',
    tests: ['packages/cli/dist/test/recovery-limits.test.js'],
  },
  {
    id: 'graph-added-output-unreported',
    what: "an output the code adds to a checkpointed graph is not named in the recovery error (only the streams it reads are)",
    file: 'packages/core/src/checkpoint/graph-fingerprint.ts',
    search: '    if (!a) out.push(`output ${i}: not in the checkpoint, code has ${describeOutput(b)}`);',
    replace: '    if (!a) continue;',
    tests: [{ file: 'packages/cli/dist/test/recovery-limits.test.js', pattern: 'changed job code against the checkpoint' }],
  },
  // docker-stack.yml, checked offline (the e2e swarm phase, scripts/e2e-swarm.mjs, runs it).
  {
    id: 'stack-worker-vip',
    what: 'the worker service behind a virtual IP (needs IPVS on every node)',
    file: 'docker-stack.yml',
    search: '      endpoint_mode: dnsrr\n      placement:\n        # Spread',
    replace: '      endpoint_mode: vip\n      placement:\n        # Spread',
    tests: ['packages/cli/dist/test/docker-stack.test.js'],
  },
  {
    id: 'stack-worker-wrong-driver-port',
    what: "workers look for the driver on a port it does not listen on (they never register)",
    file: 'docker-stack.yml',
    search: '"--driver", "driver:7077"',
    replace: '"--driver", "driver:7078"',
    tests: ['packages/cli/dist/test/docker-stack.test.js'],
  },
  {
    id: 'stack-secret-from-file',
    what: 'the cluster secret from a file on the manager instead of an external swarm secret',
    file: 'docker-stack.yml',
    search: '    external: true\n',
    replace: '    file: ./sluice-secret.txt\n',
    tests: ['packages/cli/dist/test/docker-stack.test.js'],
  },
  {
    id: 'stack-short-grace',
    what: 'workers get 10 s between SIGTERM and SIGKILL',
    file: 'docker-stack.yml',
    search: 'stop_grace_period: 90s',
    replace: 'stop_grace_period: 10s',
    tests: ['packages/cli/dist/test/docker-stack.test.js'],
  },
  {
    id: 'stack-misspelt-key',
    what: 'a misspelt service key in the stack file',
    file: 'docker-stack.yml',
    search: '    stop_grace_period: 90s',
    replace: '    stop_grace_periode: 90s',
    tests: ['packages/cli/dist/test/docker-stack.test.js'],
  },
  {
    id: 'shuffle-fetch-waits-silent-peer',
    what: 'a shuffle fetch from a peer that accepts and never answers waits for ever (no --peer-connect-timeout)',
    file: 'packages/worker/src/shuffle/shuffle-client.ts',
    search: '          this.connectTimeoutMs,\n          (w) => this.silentPeer(w, address),',
    replace: '          2 ** 31 - 1,\n          (w) => this.silentPeer(w, address),',
    tests: [{ file: 'packages/worker/dist/test/shuffle/shuffle-client.test.js', pattern: 'never answers' }, { file: 'packages/cli/dist/test/fault-tolerance.test.js', pattern: 'silent listener' }],
  },
  {
    id: 'block-fetch-waits-silent-peer',
    what: "a block fetch waits out its 30 s deadline on a silent peer before it tries the block's replica",
    file: 'packages/worker/src/shuffle/shuffle-client.ts',
    search: '          settle(`unreachable (${this.silentPeer(loc.workerId, loc.address)})`);\n          call.cancel();\n',
    replace: '          void loc;\n',
    tests: [{ file: 'packages/worker/dist/test/shuffle/shuffle-client.test.js', pattern: 'never answers' }],
  },
  {
    id: 'peer-connect-timeout-ignored',
    what: 'sluice worker --peer-connect-timeout is not passed to the worker (the 30 s default holds)',
    file: 'packages/cli/src/main.ts',
    search: '        peerConnectTimeoutMs: o.peerConnectTimeout,\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/fault-tolerance.test.js', pattern: 'silent listener' }],
  },
  {
    id: 'decommission-state-hidden',
    what: 'sluice workers shows a worker being decommissioned as active',
    file: 'packages/driver/src/driver-node.ts',
    search: "            decommission: this.decommissionState(w.id) ?? '',",
    replace: "            decommission: '',",
    tests: [{ file: 'packages/cli/dist/test/graceful-decommission.test.js', pattern: 'show its phase' }],
  },
  {
    id: 'rest-workers-no-decommission',
    what: 'GET /api/v1/workers shows no decommission phase',
    file: 'packages/driver/src/web/rest-api.ts',
    search: '    decommission: d.decommissionState(w.id) ?? null,',
    replace: '    decommission: null,',
    tests: [{ file: 'packages/cli/dist/test/graceful-decommission.test.js', pattern: 'show its phase' }],
  },
  {
    id: 'bundle-stacks-unmapped',
    what: "stack traces from the CLI bundle keep the bundle's own positions (dist/sluice.cjs:LINE)",
    file: 'packages/cli/src/cli-entry.ts',
    search: '  installBundleStackMapping(BUNDLE, `${BUNDLE}.map`, THREADS);',
    replace: '  void installBundleStackMapping;',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'stack trace' }],
  },
  {
    id: 'bundle-checked-any-stamp',
    what: "a worker takes its parent's check of the bundle whatever manifest the parent checked (a stale bundle run after a rebuild)",
    file: 'packages/cli/src/cli-entry.ts',
    search: '  if (checkedByParent !== undefined && checkedByParent === stamp) return { manifest, stamp };',
    replace: '  if (checkedByParent !== undefined) return { manifest, stamp };',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'modification time and the same size' }],
  },
  {
    id: 'code-cache-one-for-all-commands',
    what: "every command reads and writes one code cache (the driver's functions then compiled again in every run whose cache a worker wrote)",
    file: 'packages/cli/src/cli-entry.ts',
    search: "? `${bundle}.${command}.cache` : `${bundle}.cache`;",
    replace: "? `${bundle}.cache` : `${bundle}.cache`;",
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'the next run uses the code cache' }],
  },
  {
    id: 'code-cache-written-by-failed-run',
    what: 'a process that failed (exit code not 0) writes the code cache of its command, holding the little it compiled, kept until the next build',
    file: 'packages/cli/src/cli-entry.ts',
    search: '      if (code !== 0) return;\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'fails leaves no code cache' }],
  },
  {
    id: 'local-workers-esm-entry',
    what: "sluice run's local workers start from dist/src/cli-entry.js (Node's ES module loader) though the bundle is used and its CommonJS entry is there",
    file: 'packages/cli/src/cli-entry.ts',
    search: '  if (entry && fs.statSync(entry, { throwIfNoEntry: false })?.size === manifest!.entry!.size) return entry;\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'runs the driver and both workers from the bundle' }],
  },
  {
    id: 'stale-bundle-workers-cjs-entry',
    what: "sluice run's local workers start from the CommonJS entry of a stale bundle (older cli-entry code), not from cli-entry.js",
    file: 'packages/cli/src/cli-entry.ts',
    search: "prestartLocalWorkers(localWorkerEntry('manifest' in checked ? checked.manifest : undefined), process.argv.slice(2));",
    replace: "prestartLocalWorkers(localWorkerEntry(JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest), process.argv.slice(2));",
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'every process runs the modules as they are now' }],
  },
  {
    id: 'entry-not-packed',
    what: "the cli package's tarball leaves out dist/sluice-entry.cjs: the installed sluice run's workers start through the ES module loader",
    file: 'packages/cli/package.json',
    search: '    "dist/sluice-entry.cjs",\n',
    replace: '',
    tests: ['packages/cli/dist/test/packed-install.test.js'],
  },
  {
    id: 'bundle-not-ascii',
    what: 'the CLI bundle keeps the non-ASCII characters of its comments (a two-byte string in every process; read as latin1 they are garbled)',
    file: 'scripts/bundle-cli.mjs',
    search: 'asciiOnly(`${OUT}.${process.pid}.tmp`);',
    replace: 'void asciiOnly;',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'runs the driver and both workers from the bundle' }],
  },
  {
    id: 'thread-bundle-core-unlinked',
    what: "a job bundle's node_modules/@sluice/core links to the core package whatever its threads run (the thread bundles' core and the modules' both loaded, two SluiceError classes)",
    file: 'packages/core/src/bundle/bundle-files.ts',
    search: '  linkCore(link, coreDir);',
    replace: '  linkCore(link, CORE_PACKAGE_DIR);',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'runs the driver and both workers from the bundle' }],
  },
  {
    id: 'task-threads-not-bundled',
    what: "sluice worker's task threads run the modules though the command runs its bundle",
    file: 'packages/cli/src/main.ts',
    search: "        taskThreadCode: cliThreadCode('task'),\n",
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'runs the driver and both workers from the bundle' }],
  },
  {
    id: 'call-site-in-bundle',
    what: "userCallSite does not skip the frames of the bundle core runs in: a call site names Sluice's own bundle, not the user's line",
    file: 'packages/core/src/closure/call-site.ts',
    search: '  if (file !== HERE) CORE_DIRS.push(path.dirname(file) + path.sep);',
    replace: '  void file;',
    tests: [{ file: 'packages/cli/dist/test/job-mistakes.test.js', pattern: 'capturing a class instance' }],
  },
  {
    id: 'thread-frames-through-cli-map',
    what: "a thread bundle's frame (dist/threads/*.mjs) is looked up in the CLI bundle's map, not in its own",
    file: 'packages/cli/src/bundle-stack-traces.ts',
    search: '      const ownMap = file === bundle ? mapFile : `${file}.map`;',
    replace: '      const ownMap = mapFile;',
    tests: [{ file: 'packages/cli/dist/test/bundle-stack-traces.test.js', pattern: 'thread bundle' }],
  },
  {
    id: 'threads-not-packed',
    what: "the cli package's tarball leaves out dist/threads: the installed command's bundle is then stale and every process runs the modules",
    file: 'packages/cli/package.json',
    search: '    "dist/threads",\n',
    replace: '',
    tests: ['packages/cli/dist/test/packed-install.test.js'],
  },
  {
    id: 'bundle-map-line-off',
    what: "the bundle's source map is one line off in every Sluice module (the line bundle-cli adds above each is not accounted for)",
    file: 'scripts/bundle-cli.mjs',
    search: '    tsMap.mappings = `;${tsMap.mappings}`;\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/cli-bundle.test.js', pattern: 'stack trace' }],
  },
  {
    id: 'stop-before-checkpoint-flush',
    what: "StreamingContext.stop() returns before the last batches' metadata checkpoint is written (it is written after the stop)",
    file: 'packages/core/src/streaming/streaming-context.ts',
    search: '    await this.checkpointer?.flush();\n    this.resolveTerminated();',
    replace: '    void this.checkpointer?.flush();\n    this.resolveTerminated();',
    tests: ['packages/cli/dist/test/receiver-wal.test.js'],
  },
  {
    id: 'wal-closed-segments-kept',
    what: "a live receiver's closed write-ahead log segments are never deleted as their batches are forgotten",
    file: 'packages/core/src/wal/received-block-log.ts',
    search: 'if (next) done = next.firstSeq - 1 <= cleared;',
    replace: 'if (next) done = false;',
    tests: ['packages/cli/dist/test/receiver-wal.test.js'],
  },
  {
    id: 'bundle-map-vlq-no-continuation',
    what: "the bundle map's hand decoder drops the VLQ continuation digits of a line's segments (values >= 16 come out wrong)",
    file: 'packages/cli/src/bundle-stack-traces.ts',
    search: '      value += (d & 31) << shift;\n      if (d & 32) {\n        shift += 5;\n        continue;\n      }\n      if (field < 4)',
    replace: '      value += d & 31;\n      if (d & 32) {\n        shift += 5;\n        continue;\n      }\n      if (field < 4)',
    tests: ['packages/cli/dist/test/bundle-stack-traces.test.js'],
  },
  {
    id: 'bundle-map-vlq-sign',
    what: "the bundle map's hand decoder reads negative deltas between lines as positive",
    file: 'packages/cli/src/bundle-stack-traces.ts',
    search: 'const delta = value & 1 ? -(value >>> 1) : value >>> 1;',
    replace: 'const delta = value >>> 1;',
    tests: ['packages/cli/dist/test/bundle-stack-traces.test.js'],
  },
  {
    id: 'bundle-map-sourceless-segment',
    what: "the bundle map's hand decoder maps code with no source (a 1-field segment) to the segment before it",
    file: 'packages/cli/src/bundle-stack-traces.ts',
    search: '          if (gColumn > column) break;\n          best = undefined;',
    replace: '          if (gColumn > column) break;',
    tests: ['packages/cli/dist/test/bundle-stack-traces.test.js'],
  },
  {
    id: 'driver-address-no-port-taken',
    what: 'a --driver without a port is taken (and dialled on gRPC\'s default port until "no driver answers")',
    file: 'packages/cli/src/driver-address.ts',
    search: 'if (m && port >= 1 && port <= 65535) return undefined;',
    replace: "if ((m && port >= 1 && port <= 65535) || !value.includes(':')) return undefined;",
    tests: [{ file: 'packages/cli/dist/test/cli-options.test.js', pattern: 'not HOST:PORT' }],
  },
  {
    id: 'putblock-first-message-only',
    what: "a worker storing a PutBlock segment sent in several messages keeps only its first message",
    file: 'packages/worker/src/rpc/worker-service.ts',
    search: 'segments.push(parts.length === 1 ? parts[0] : Buffer.concat(parts));',
    replace: 'segments.push(parts[0]);',
    tests: [{ file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: 'PutBlock|50 MB' }],
  },
  {
    id: 'replica-messages-each-a-segment',
    what: "a received block's replica marks every message the last of its segment (a block over one message, a line block's 64 KiB pieces included, stored as several segments)",
    file: 'packages/worker/src/shuffle/shuffle-client.ts',
    search: 'const parts = inPlace ? [] : [...chunks(data, pieced ? REPLICA_PIECE_BYTES : REPLICA_MESSAGE_BYTES)];\n      parts.forEach((c, i) => call.write({ block_id: blockId, data: c, last: i === parts.length - 1 }));',
    replace: 'const parts = inPlace ? [] : [...chunks(data, pieced ? REPLICA_PIECE_BYTES : REPLICA_MESSAGE_BYTES)];\n      parts.forEach((c) => call.write({ block_id: blockId, data: c, last: true }));',
    tests: ['packages/worker/dist/test/shuffle/replica-message.test.js', { file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: '50 MB' }],
  },
  {
    id: 'stored-block-moved-to-task',
    what: "a stored line block's own bytes (views, not copies) handed to the sandbox as its lines' pieces, which moves them to the task thread (the store keeps a detached, empty block)",
    file: 'packages/core/src/receiver/line-block.ts',
    search: '    const piece = Buffer.allocUnsafeSlow(stop - at); // every byte written below\n    buf.copy(piece, 0, at, stop);',
    replace: '    const piece = buf.subarray(at, stop);',
    tests: ['packages/core/dist/test/receiver/line-block.test.js', { file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: 'two jobs' }],
  },
  {
    id: 'line-piece-cut-before-newline',
    what: "a line block's piece of whole lines ends before the '\\n' it should end with (the next piece starts with it)",
    file: 'packages/core/src/receiver/line-block.ts',
    search: '  if (nl >= at) return nl + 1;',
    replace: '  if (nl >= at) return nl;',
    tests: ['packages/core/dist/test/receiver/line-block.test.js', { file: 'packages/cli/dist/test/socket-text-stream.test.js', pattern: 'two jobs' }, { file: 'packages/core/dist/test/scheduler/partition-computer.test.js', pattern: 'readLines' }],
  },
  {
    id: 'line-pieces-index-restarts',
    what: "a line's index (what take's ranges pick by) counts from 0 again in each piece of a line block",
    file: 'packages/core/src/receiver/line-block.ts',
    search: '    index = emitRange(buf, 0, buf.length, index, emit, wanted);',
    replace: '    emitRange(buf, 0, buf.length, index, emit, wanted);',
    tests: ['packages/core/dist/test/receiver/line-block.test.js'],
  },
  {
    id: 'worker-refusal-says-refused-twice',
    what: 'a worker refused for its cluster secret says "refused this worker: refused: wrong cluster secret"',
    file: 'packages/worker/src/worker-node.ts',
    search: "refused this worker: ${err.details.replace(/^refused: /, '')}`",
    replace: 'refused this worker: ${err.details}`',
    tests: [{ file: 'packages/cli/dist/test/bad-input.test.js', pattern: 'wrong cluster secret' }],
  },
  {
    id: 'job-cache-config-untracked',
    what: 'a cached job bundle does not depend on the package.json and tsconfig.json above the job (an edit of them runs the old bundle)',
    file: 'packages/cli/src/job-bundle-cache.ts',
    search: '  for (const f of configFiles(jobFile)) if (!bundle.inputs.includes(f)) inputs.push([f, fileHash(f)]);\n',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/job-bundle-cache.test.js', pattern: 'an edit of the package' }],
  },
  {
    id: 'job-cache-absent-config-untracked',
    what: 'a cached job bundle is still used after a package.json or tsconfig.json appears beside or above the job',
    file: 'packages/cli/src/job-bundle-cache.ts',
    search: 'if (!bundle.inputs.includes(f)) inputs.push([f, fileHash(f)]);',
    replace: 'if (!bundle.inputs.includes(f) && fileHash(f) !== null) inputs.push([f, fileHash(f)]);',
    tests: [{ file: 'packages/cli/dist/test/job-bundle-cache.test.js', pattern: 'an edit of the package' }],
  },
  {
    id: 'job-cache-config-only-beside',
    what: "a cached job bundle depends only on the config files in the job's own directory, not those above it",
    file: 'packages/cli/src/job-bundle-cache.ts',
    search: '    if (path.dirname(dir) === dir) return out;',
    replace: '    return out;',
    tests: [{ file: 'packages/cli/dist/test/job-bundle-cache.test.js', pattern: 'an edit of the package' }],
  },
  {
    id: 'index-words-held-after-spill',
    what: "the resolver keeps a spilled map output's index alive through its words view (the memory the spill was to free)",
    file: 'packages/worker/src/shuffle/index-shuffle-block-resolver.ts',
    search: 'if (table?.indexes[m] !== undefined) table.indexes[m] = table.words[m] = undefined;',
    replace: '',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js', pattern: 'follows the block store' }],
  },
  {
    id: 'read-ahead-kept-after-commit',
    what: 'a map output committed (a new one, or another attempt of one) leaves the partitions read ahead of the others in place: a later request gets bytes without it, or its old bytes',
    file: 'packages/worker/src/shuffle/index-shuffle-block-resolver.ts',
    search: 'if (t !== undefined) this.forgetAhead(t);',
    replace: '',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js', pattern: 'partitions read ahead answer' }],
  },
  {
    id: 'read-ahead-kept-after-removal',
    what: 'a removed map output leaves the partitions read ahead in place: a later request is answered from them instead of naming it missing',
    file: 'packages/worker/src/shuffle/index-shuffle-block-resolver.ts',
    search: 'this.forgetAhead(t);\n    if (t.handles[m] === undefined) return;',
    replace: 'if (t.handles[m] === undefined) return;',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js', pattern: 'partitions read ahead answer' }],
  },
  {
    id: 'read-ahead-left-out-unchecked',
    what: 'a partition read ahead answers a request that leaves out a map output with data for it (the answer holds a segment not asked for)',
    file: 'packages/worker/src/shuffle/index-shuffle-block-resolver.ts',
    search: 'else if (kept.nonEmpty[i] === 1) return false;',
    replace: 'else if (kept.nonEmpty[i] === 2) return false;',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js', pattern: 'partitions read ahead answer' }],
  },
  {
    id: 'read-ahead-drops-last-maps',
    what: 'a partition read ahead answers a request naming map outputs after the ones it was read from (the multi-partition answer drops their segments)',
    file: 'packages/worker/src/shuffle/index-shuffle-block-resolver.ts',
    search: 'return j === maps.length;',
    replace: 'return true;',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js', pattern: 'partitions read ahead answer' }],
  },
  {
    id: 'read-span-non-empty-unmarked',
    what: 'the one-pass read of a dense request keeps its read-ahead partitions without marking which map outputs had data for them: a later request leaving out one with data is answered with its segment',
    file: 'packages/worker/src/shuffle/index-shuffle-block-resolver.ts',
    search: 'if (ne !== undefined) ne[i] = 1;',
    replace: '',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js', pattern: 'partitions read ahead answer' }],
  },
  {
    id: 'read-span-cursor-kept',
    what: 'the one-pass read of a dense request copies every map output\'s segment of a partition to the same place (its cursor not advanced)',
    file: 'packages/worker/src/shuffle/index-shuffle-block-resolver.ts',
    search: '        cursors[k] = to;\n',
    replace: '',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js' }],
  },
  {
    id: 'index-words-unaligned',
    what: 'an index not 4-byte aligned in its buffer is given a words view (it cannot have one: the resolver fails to read it)',
    file: 'packages/core/src/shuffle/map-output-file.ts',
    search: 'if (!LITTLE_ENDIAN || index.byteOffset % 4 !== 0 || index.length % 4 !== 0) return undefined;',
    replace: 'if (!LITTLE_ENDIAN || index.length % 4 !== 0) return undefined;',
    tests: [{ file: 'packages/worker/dist/test/shuffle/index-shuffle-block-resolver.test.js', pattern: 'any place of its buffer' }],
  },
  {
    id: 'index-words-no-high-half',
    what: "an index entry read through its words drops the high half (offsets past 4 GiB wrap)",
    file: 'packages/core/src/shuffle/map-output-file.ts',
    search: 'return hi === 0 ? words[2 * i] : hi * 0x100000000 + words[2 * i];',
    replace: 'return words[2 * i];',
    tests: [{ file: 'packages/core/dist/test/shuffle/map-output-file.test.js', pattern: 'past 4 GiB' }],
  },
  {
    id: 'compact-int32-minus-zero',
    what: 'a compact shuffle frame writes -0 as an int32 (it reads back as 0)',
    file: 'packages/core/src/shuffle/shuffle-frame.ts',
    search: 'return (x | 0) === x && (x !== 0 || 1 / x > 0);',
    replace: 'return (x | 0) === x;',
    tests: [{ file: 'packages/core/dist/test/shuffle/shuffle-frame.test.js', pattern: 'compact form' }],
  },
  {
    id: 'compact-int32-unsigned',
    what: "a compact shuffle frame's int32 element read unsigned (negative keys and values come back as large positive ones)",
    file: 'packages/core/src/shuffle/shuffle-frame.ts',
    search: 'const x = buf[at + 1] | (buf[at + 2] << 8) | (buf[at + 3] << 16) | (buf[at + 4] << 24);',
    replace: 'const x = (buf[at + 1] | (buf[at + 2] << 8) | (buf[at + 3] << 16) | (buf[at + 4] << 24)) >>> 0;',
    tests: [{ file: 'packages/core/dist/test/shuffle/shuffle-frame.test.js', pattern: 'compact form' }],
  },
  {
    id: 'dead-thread-blames-first-held',
    what: "a task thread that dies is taken to have run the first task it held, not the one its running-task cell names (a tiny task whose outcome waited to go with the next one's fails instead of the task that killed the thread)",
    file: 'packages/worker/src/executor/job-sandbox.ts',
    search: 'const n = Atomics.load(slot.running, 0);',
    replace: 'const n = 0;',
    tests: [{ file: 'packages/worker/dist/test/executor/job-sandbox.test.js', pattern: 'not sent yet' }],
  },
  {
    id: 'thread-dead-before-task-blames-none',
    what: 'a task thread that dies before it starts a task fails none of its tasks: they are all given to the next thread, which dies too, forever',
    file: 'packages/worker/src/executor/job-sandbox.ts',
    search: '    if (n === 0) return 0;',
    replace: '    if (n === 0) return -1;',
    tests: [{ file: 'packages/worker/dist/test/executor/job-sandbox.test.js', pattern: 'before it starts a task' }],
  },
  {
    id: 'thread-one-broadcast-not-loaded',
    what: "a task thread loads a stage's broadcast variables only when it reads two or more (a stage reading one finds no value)",
    file: 'packages/worker/src/executor/task-thread.ts',
    search: '  if (stage.broadcastIds.length > 0) {',
    replace: '  if (stage.broadcastIds.length > 1) {',
    tests: [{ file: 'packages/cli/dist/test/rdd-operators.test.js', pattern: 'broadcast variable used inside map' }],
  },
  {
    id: 'thread-running-cell-not-written',
    what: "a task thread never shows in its running-task cell which task it runs (when it dies, the task whose outcome waited to go with the next one's is blamed)",
    file: 'packages/worker/src/executor/task-thread.ts',
    search: '  if (runningCell) Atomics.store(runningCell, 0, started);',
    replace: '',
    tests: [{ file: 'packages/cli/dist/test/task-stream.test.js' }],
  },
  {
    id: 'kafka-aborted-across-fetches-read',
    what: "the Kafka reader leaves dropping aborted transactions to the client, which keeps those whose abort marker is past the end of the fetch response (a transaction larger than one fetch is read as if committed)",
    file: 'packages/kafka/src/read-offset-range.ts',
    search: '    return (b.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(b.producerId);',
    replace: '    return false;',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'records as Kafka gives them' }],
  },
  {
    id: 'kafka-log-append-time-ignored',
    what: "a LogAppendTime topic's records get the producer's create time, not the time the broker appended them",
    file: 'packages/kafka/src/read-offset-range.ts',
    search: 'timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + rec.timestampDelta),',
    replace: 'timestamp: Number(batch.firstTimestamp + rec.timestampDelta),',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'records as Kafka gives them' }],
  },
  {
    id: 'kafka-out-of-range-retried',
    what: 'offsets deleted from the log before they were read are retried as if the brokers were down, then reported as unreachable brokers',
    file: 'packages/kafka/src/read-offset-range.ts',
    search: '        const lost = isOffsetOutOfRange(err) ? await outOfRange(conn, range, next, until) : undefined;',
    replace: '        const lost = undefined;',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'deleted from the log' }],
  },
  {
    id: 'kafka-compaction-gap-stalls',
    what: 'the Kafka reader does not move past the offsets a batch no longer holds (a compacted topic\'s gaps): a range in a gap is never finished',
    file: 'packages/kafka/src/read-offset-range.ts',
    search: '        if (batchEnd > next) next = batchEnd < until ? batchEnd : until;',
    replace: '',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'records as Kafka gives them' }],
  },
  {
    id: 'kafka-reset-none-ignored',
    what: "startingOffsets 'none' (auto.offset.reset=none) starts partitions without a committed offset at the latest offset instead of failing",
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: "    if (firstBatch && so === 'none') {",
    replace: '    if (false) {',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: "startingOffsets 'none'" }],
  },
  {
    id: 'kafka-min-rate-ignored',
    what: 'minRatePerPartition is ignored: a rate-limited batch takes fewer records from a partition than the minimum',
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: '    )?.map((c) => Math.max(c, minRecords));',
    replace: '    );',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'minRatePerPartition' }],
  },
  {
    id: 'recovery-pending-batches-dropped',
    what: 'a recovered driver does not re-run the batches its checkpoint has pending (a batch whose output was written and whose Kafka offsets were not committed is skipped)',
    file: 'packages/core/src/streaming/metadata-checkpointer.ts',
    search: '    return [...md.pendingTimes].sort((a, b) => a - b);',
    replace: '    return [];',
    tests: ['packages/kafka/dist/test/driver-recovery.test.js'],
  },
  {
    id: 'kafka-deleted-topic-as-wrong-name',
    what: 'a topic the direct stream has read, unknown to the brokers mid-stream, fails the stream at once as a wrong topic name (no retry of a transient unknown topic, no word of how far the stream had read it)',
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: '        if (unknownTopic && this.position.size === 0) {',
    replace: '        if (unknownTopic) {',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'deleted mid-stream' }],
  },
  {
    id: 'kafka-decoder-error-unnamed',
    what: "a record the user's decoder throws on (decodeRecords) fails the batch with the decoder's bare error, not naming the record's topic, partition and offset",
    file: 'packages/kafka/src/kafka-record.ts',
    search: "      if (err instanceof SluiceError && err.code === 'SLUICE_BAD_RECORD') throw err;",
    replace: '      throw err;',
    tests: [{ file: 'packages/kafka/dist/test/kafka-bad-input.test.js', pattern: 'decoder throws on' }],
  },
  {
    id: 'kafka-start-earliest-by-default',
    what: "a partition with neither a committed nor a given offset starts at its earliest offset, not the latest (auto.offset.reset's default): records written before the stream are read",
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: "    const fallbackEarliest = !firstBatch || so === 'earliest';",
    replace: '    const fallbackEarliest = true;',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'where the stream starts' }],
  },
  {
    id: 'kafka-committed-wins-over-given',
    what: "a partition's committed offset wins over the offset startingOffsets gives for it (Spark: the offsets given win)",
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: '      const start = explicit !== undefined ? BigInt(explicit) : c >= 0n ? c : (bound.get(topic)?.[partition] ?? 0n);',
    replace: '      const start = c >= 0n ? c : explicit !== undefined ? BigInt(explicit) : (bound.get(topic)?.[partition] ?? 0n);',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'where the stream starts' }],
  },
  {
    id: 'kafka-has-offset-ranges-any-rdd',
    what: "hasOffsetRanges is true of any RDD, a map or a repartition of a Kafka batch included (Spark's HasOffsetRanges cast succeeds only on the stream's own RDD)",
    file: 'packages/kafka/src/offset-range.ts',
    search: "  return typeof (rdd as Partial<HasOffsetRanges>).offsetRanges === 'function';",
    replace: '  return rdd instanceof Object;',
    tests: [{ file: 'packages/kafka/dist/test/kafka-bad-input.test.js', pattern: 'decoder throws on' }],
  },
  {
    id: 'kafka-assign-reads-whole-topic',
    what: "assign (Spark's Assign) reads every partition of the named topics, not just the partitions named",
    file: 'packages/kafka/src/direct-kafka-input-dstream.ts',
    search: '      out.set(t, mine);',
    replace: '      out.set(t, Array.from({ length: count }, (_, p) => p));',
    tests: [{ file: 'packages/kafka/dist/test/kafka-semantics.test.js', pattern: 'ConsumerStrategies.Assign' }],
  },
  {
    id: 'coalesce-never',
    what: 'a result stage reading a shuffle runs a task a partition again: no range of contiguous partitions is coalesced into one task',
    file: 'packages/driver/src/scheduler/dag-scheduler.ts',
    search: '    return ranges.length === missing.length ? undefined : ranges;',
    replace: '    return undefined;',
    tests: [{ file: 'packages/cli/dist/test/shuffle-segments.test.js' }],
  },
  {
    id: 'range-values-reversed',
    what: 'the driver files a range task\'s values under its partitions in reverse order',
    file: 'packages/driver/src/scheduler/dag-scheduler.ts',
    search: 'for (let i = 0; i < count; i++) results.set(p + i, { value: values[i], accumulators: {} });',
    replace: 'for (let i = 0; i < count; i++) results.set(p + i, { value: values[count - 1 - i], accumulators: {} });',
    tests: [{ file: 'packages/cli/dist/test/shuffle-segments.test.js' }],
  },
  {
    id: 'range-computes-first-only',
    what: 'a task over a range computes its first partition for every partition of the range',
    file: 'packages/core/src/scheduler/run-task.ts',
    search: 'values[i] = await runAction(computer, payload, first + i, payload.action, env);',
    replace: 'values[i] = await runAction(computer, payload, first, payload.action, env);',
    tests: [{ file: 'packages/cli/dist/test/shuffle-segments.test.js' }],
  },
  {
    id: 'coalesce-across-gap',
    what: 'a range of partitions runs on past a partition not asked for (one already computed)',
    file: 'packages/driver/src/scheduler/coalesced-partitions.ts',
    search: '(p !== first + count || count >= per',
    replace: '(count >= per',
    tests: [{ file: 'packages/driver/dist/test/scheduler/coalesced-partitions.test.js' }],
  },
  {
    id: 'coalesce-ignores-bytes',
    what: 'a skewed partition is coalesced with its neighbours (the byte bound of a range ignored)',
    file: 'packages/driver/src/scheduler/coalesced-partitions.ts',
    search: ' || bytes + b > COALESCED_TASK_BYTES)',
    replace: ')',
    tests: [{ file: 'packages/driver/dist/test/scheduler/coalesced-partitions.test.js' }],
  },
  {
    id: 'coalesce-below-min-tasks',
    what: 'a small stage is coalesced below MIN_TASKS_A_CORE tasks a core',
    file: 'packages/driver/src/scheduler/coalesced-partitions.ts',
    search: 'Math.floor(partitions.length / (MIN_TASKS_A_CORE * Math.max(1, totalCores)))',
    replace: 'Math.floor(partitions.length / Math.max(1, totalCores))',
    tests: [{ file: 'packages/driver/dist/test/scheduler/coalesced-partitions.test.js' }],
  },
  {
    id: 'add-sizes-huge-as-average',
    what: 'MapStatus.addSizesTo counts a huge segment of a highly compressed status as the average (a skewed partition looks small to the coalescing)',
    file: 'packages/core/src/shuffle/map-status.ts',
    search: 'out[r] += h === undefined ? average : DECOMPRESSED[h];',
    replace: 'out[r] += average;',
    tests: [{ file: 'packages/core/dist/test/shuffle/map-status.test.js' }],
  },
  {
    id: 'add-sizes-empty-counted',
    what: 'MapStatus.addSizesTo counts an empty segment of a highly compressed status as the average',
    file: 'packages/core/src/shuffle/map-status.ts',
    search: '      if (empties !== undefined && (empties[r >> 3] & (1 << (r & 7))) !== 0) continue;\n',
    replace: '',
    tests: [{ file: 'packages/core/dist/test/shuffle/map-status.test.js' }],
  },
];

// ---- command line ---------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const onlyArg = argv.indexOf('--only');
const only = onlyArg >= 0 ? new Set((argv[onlyArg + 1] ?? '').split(',').filter(Boolean)) : undefined;
if (only) for (const id of only) if (!MUTATIONS.some((m) => m.id === id)) throw new Error(`--only: no mutation '${id}'; --list shows them`);
const selected = MUTATIONS.filter((m) => !only || only.has(m.id));

if (flag('list')) {
  for (const m of MUTATIONS) process.stdout.write(`${m.id.padEnd(28)} ${m.file}\n${''.padEnd(29)}${m.what}\n${''.padEnd(29)}tests: ${testSpecs(m).map(describeSpec).join(', ')}\n`);
  process.exit(0);
}

/** A mutation's tests as { file, pattern? }. */
function testSpecs(m) {
  return m.tests.map((t) => (typeof t === 'string' ? { file: t } : t));
}
function describeSpec(t) {
  return t.pattern ? `${t.file} (tests matching '${t.pattern}')` : t.file;
}

/** Why mutation `m` no longer applies to the working tree at `dir`, or undefined if it does. */
function staleness(dir, m) {
  const file = path.join(dir, m.file);
  if (!fs.existsSync(file)) return `no file ${m.file}`;
  const text = fs.readFileSync(file, 'utf8');
  const n = text.split(m.search).length - 1;
  if (n !== 1) return `its search text occurs ${n} times in ${m.file} (want exactly 1): the code moved; re-point the mutation at the code that now does this`;
  for (const t of testSpecs(m)) {
    // packages/X/dist/test/Y.test.js is compiled from packages/X/test/Y.test.ts.
    const source = t.file.replace(/\/dist\/test\//, '/test/').replace(/\.js$/, '.ts');
    if (!fs.existsSync(path.join(dir, source))) return `its test ${t.file} has no source ${source}`;
  }
  return undefined;
}

const stale = selected.map((m) => ({ m, why: staleness(ROOT, m) })).filter((x) => x.why !== undefined);
if (stale.length > 0) {
  for (const { m, why } of stale) process.stderr.write(`mutants: stale mutation '${m.id}': ${why}\n`);
  process.stderr.write(`mutants: ${stale.length} of ${selected.length} mutation(s) no longer apply (${stale.map((x) => x.m.id).join(', ')})\n`);
  process.exit(1);
}
if (flag('check')) {
  process.stdout.write(`mutants: all ${selected.length} mutation(s) apply (each search text occurs exactly once; every test file has a source)\n`);
  process.exit(0);
}

const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mutants-'));
const log = (msg) => process.stdout.write(`[mutants ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** A copy of the working tree at `dir`, sharing the root node_modules by a link. */
function copyRepo(dir) {
  const skip = new Set(['.git', 'node_modules', '.docker-build']);
  fs.cpSync(ROOT, dir, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    filter: (src) => {
      const rel = path.relative(ROOT, src);
      return rel === '' || !skip.has(rel.split(path.sep)[0]);
    },
  });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
}

function applyMutation(dir, m) {
  const bad = staleness(dir, m);
  if (bad) return bad;
  const file = path.join(dir, m.file);
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace(m.search, () => m.replace));
  return undefined;
}

/**
 * Builds the mutated copy. A mutated packages/X/src/*.ts file whose unmutated text
 * transpiles (TypeScript's transpileModule, one file, no type check) to exactly the
 * dist/*.js that tsc made from it is rebuilt that way: only its JavaScript changes (a
 * mutation changes no types), in well under a second instead of a tsc -b that takes a
 * minute or more on a busy machine. Any other file, or one whose transpiled text differs
 * from tsc's (an elided type-only re-export, a const enum), is built with tsc -b, as is
 * every mutation under --tsc. Returns an error text, or undefined.
 */
function build(dir, m) {
  if (m && !flag('tsc') && transpiled(dir, m)) return undefined;
  return tscBuild(dir);
}

let typescript;
function transpiled(dir, m) {
  const at = /^(packages\/[^/]+)\/(src\/.*)\.ts$/.exec(m.file);
  if (!at || m.file.endsWith('.d.ts')) return false;
  const out = path.join(dir, at[1], 'dist', `${at[2]}.js`);
  if (!fs.existsSync(out)) return false;
  typescript ??= createRequire(import.meta.url)(path.join(ROOT, 'node_modules', 'typescript'));
  const ts = typescript;
  const compilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, esModuleInterop: true, sourceMap: true };
  const emit = (text) => {
    const js = ts.transpileModule(text, { compilerOptions, fileName: path.join(dir, m.file) }).outputText;
    // transpileModule names the map after the file as tsc does; only that last line is compared loosely.
    return js.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  };
  const built = fs.readFileSync(out, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  const original = fs.readFileSync(path.join(ROOT, m.file), 'utf8');
  if (emit(original) !== built) return false;
  const mutated = emit(fs.readFileSync(path.join(dir, m.file), 'utf8'));
  fs.writeFileSync(out, `${mutated}//# sourceMappingURL=${path.basename(out)}.map\n`);
  return true;
}

function tscBuild(dir) {
  const r = spawnSync(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stdout + r.stderr).trim().split('\n').slice(0, 5).join(' | ');
}

/** Run one test file; resolves with the names of its failing tests (top level and subtests) and the exit code. */
function runTestFile(dir, spec) {
  const args = ['--test', '--test-concurrency=1', `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-reporter=tap'];
  if (spec.pattern) args.push(`--test-name-pattern=${spec.pattern}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...args, spec.file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const failed = [...out.matchAll(/^(\s*)not ok \d+ - (.*?)(?: # .*)?$/gm)].map((x) => x[2].trim());
      resolve({ code: code ?? -1, failed, out });
    });
  });
}

/** Run every test file of the mutation; `failed` lists `file: test` for each failing test. */
async function runTests(dir, m) {
  const result = { code: 0, failed: [], missing: [], tails: [] };
  for (const spec of testSpecs(m)) {
    if (!fs.existsSync(path.join(dir, spec.file))) {
      result.missing.push(spec.file);
      continue;
    }
    const r = await runTestFile(dir, spec);
    const name = path.basename(spec.file).replace(/\.test\.js$/, '');
    if (r.code !== 0) result.code = r.code;
    for (const f of r.failed.filter((x, i, a) => a.indexOf(x) === i)) result.failed.push(`${name}: ${f}`);
    if (r.code !== 0 && r.failed.length === 0) result.tails.push(`${name}: exit ${r.code}, ${r.out.trim().split('\n').slice(-2).join(' | ')}`);
  }
  return result;
}

const results = [];
log(`${selected.length} mutation(s); scratch copies under ${scratchRoot}`);
for (const m of selected) {
  const t0 = Date.now();
  const dir = path.join(scratchRoot, m.id);
  copyRepo(dir);
  const row = { id: m.id, what: m.what, file: m.file, status: '', tests: '', seconds: 0 };
  try {
    if (flag('baseline')) {
      const err = build(dir);
      const base = err ? undefined : await runTests(dir, m);
      if (err || base.code !== 0) {
        row.status = 'BASELINE FAILS';
        row.tests = err ? `build: ${err}` : [...base.failed, ...base.tails].join('; ') || `exit ${base.code}`;
        results.push(row);
        log(`${m.id}: the unmutated tests fail; skipped`);
        continue;
      }
    }
    const bad = applyMutation(dir, m);
    if (bad) {
      row.status = 'NOT APPLIED';
      row.tests = bad;
    } else {
      const tb = Date.now();
      const err = build(dir, m);
      row.buildSeconds = Math.round((Date.now() - tb) / 1000);
      if (err) {
        row.status = 'BUILD FAILS';
        row.tests = err;
      } else {
        const r = await runTests(dir, m);
        row.status = r.missing.length === m.tests.length ? 'NO TESTS' : r.code !== 0 ? 'caught' : 'NOT CAUGHT';
        row.tests = [...r.failed, ...r.tails].join('; ') || 'all passed';
        if (r.missing.length) row.tests += ` [missing test files: ${r.missing.join(', ')}]`;
      }
    }
  } finally {
    row.seconds = Math.round((Date.now() - t0) / 1000);
    if (!flag('keep')) fs.rmSync(dir, { recursive: true, force: true });
  }
  results.push(row);
  log(`${m.id}: ${row.status} (${row.seconds} s, build ${row.buildSeconds ?? '-'} s) — ${row.tests}`);
}

const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = [
  '| mutation | what it breaks | file | result | failing tests | s |',
  '|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.id} | ${esc(r.what)} | ${r.file} | ${r.status} | ${esc(r.tests)} | ${r.seconds} |`),
].join('\n');
process.stdout.write(`\n${table}\n`);
fs.writeFileSync(path.join(scratchRoot, 'mutants-report.md'), table + '\n');
log(`report: ${path.join(scratchRoot, 'mutants-report.md')}`);
if (!flag('keep')) for (const e of fs.readdirSync(scratchRoot)) if (e !== 'mutants-report.md') fs.rmSync(path.join(scratchRoot, e), { recursive: true, force: true });
process.exit(results.every((r) => r.status === 'caught') ? 0 : 1);
