// The stack `sluice` prints under a failed job's message (src/failure-trace.ts), on stacks laid
// out as core's userErrorInfo lays them out; and, on a real `sluice run`, a failed task's frames
// printed once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { failureTrace, foldLibraryFrames } from '../src/failure-trace.js';
import { REPO_DIR, fixture, runCli } from './harness.js';

const F = (name: string, line: number): string => `    at ${name} (/job.ts:${line}:3)`;

test('the first error\'s header is dropped (the message above says it), its frames kept in order', () => {
  assert.deepEqual(failureTrace(['Error: boom', 'second line of the message', F('a', 1), F('b', 2)].join('\n'), 'boom\nsecond line of the message'), [F('a', 1), F('b', 2)]);
  assert.deepEqual(failureTrace('Error: no frames at all', 'no frames at all'), []);
});

test("a cause with its own frames prints them under its header; the frames it shares at the end with its error's fold into '... N more'", () => {
  const stack = ['Error: outer', F('wrap', 9), F('main', 20), F('run', 30), 'Caused by: TypeError: inner', F('parse', 3), F('wrap', 8), F('main', 20), F('run', 30)].join('\n');
  assert.deepEqual(failureTrace(stack, 'outer'), [F('wrap', 9), F('main', 20), F('run', 30), 'Caused by: TypeError: inner', F('parse', 3), F('wrap', 8), '    ... 2 more']);
});

test("a failed task's error and its cause (the task's own error, the same frames, its message within the failure's): the frames print once, the cause not at all", () => {
  const frames = [F('JSON.parse', 0), F('parse', 2), F('eval', 5)];
  const message = 'Job aborted due to stage failure: ... (worker w-1): bad json';
  const stack = [`TaskFailedError: ${message}`, ...frames, 'Caused by: SyntaxError: bad json', ...frames].join('\n');
  assert.deepEqual(failureTrace(stack, message), frames);
  // A cause with the same frames whose message the failure's does not hold is shown, folded.
  assert.deepEqual(failureTrace(stack, 'something else'), [...frames, 'Caused by: SyntaxError: bad json', '    ... 3 more']);
});

test('causes of causes each fold against the error they caused; a cause with no frames is its header alone', () => {
  const stack = ['Error: a', F('x', 1), F('top', 9), 'Caused by: Error: b', F('y', 2), F('top', 9), 'Caused by: Error: c', F('z', 3), F('y', 2), F('top', 9), 'Caused by: Error: d'].join('\n');
  assert.deepEqual(failureTrace(stack, 'a'), [F('x', 1), F('top', 9), 'Caused by: Error: b', F('y', 2), '    ... 1 more', 'Caused by: Error: c', F('z', 3), '    ... 2 more', 'Caused by: Error: d']);
});

test("a failed job's Driver stacktrace (the program's frames where it called the action) prints last, after the task's frames and causes, as it is", () => {
  const frames = [F('JSON.parse', 0), F('parse', 2)];
  const message = 'Job aborted due to stage failure: ... (worker w-1): bad json';
  const driver = [F('main', 7), F('async run', 40)];
  const stack = [`TaskFailedError: ${message}`, ...frames, 'Caused by: SyntaxError: bad json', ...frames, 'Driver stacktrace:', ...driver].join('\n');
  assert.deepEqual(failureTrace(stack, message), [...frames, 'Driver stacktrace:', ...driver]);
  // A cause the message does not hold is shown, folded against the task's frames, not the driver's.
  assert.deepEqual(failureTrace(stack, 'something else'), [...frames, 'Caused by: SyntaxError: bad json', '    ... 2 more', 'Driver stacktrace:', ...driver]);
});

test("frames of installed packages (a path through node_modules) fold into one line naming them, a run of two or more; the user's frames, a lone library frame and the Driver stacktrace print whole", () => {
  const lib = (pkg: string, fn: string): string => `    at ${fn} (/app/node_modules/.pnpm/${pkg.replace('/', '+')}@1.0.0/node_modules/${pkg}/lib/x.js:1:2)`;
  const user = [F('parse', 2), F('main', 7)];
  assert.deepEqual(foldLibraryFrames([lib('pg-protocol', 'parseError'), lib('pg-protocol', 'parse'), lib('pg', 'handle'), ...user]), ['    ... 3 frames in node_modules (pg-protocol, pg)', ...user]);
  assert.deepEqual(foldLibraryFrames([lib('@sluice/redis', 'write'), ...user, lib('lodash', 'map')]), [lib('@sluice/redis', 'write'), ...user, lib('lodash', 'map')]);
  assert.deepEqual(foldLibraryFrames([F('a', 1), lib('@sluice/redis', 'write'), lib('@sluice/redis', 'watch'), F('b', 2)]), [F('a', 1), '    ... 2 frames in node_modules (@sluice/redis)', F('b', 2)]);
  // In a stack: the error's frames and a cause's, folded each; the Driver stacktrace as it is.
  const message = 'Job aborted due to stage failure: ... (worker w-1): rejected a row';
  const stack = [`SluiceError: ${message}`, lib('@sluice/postgres', 'postgresFailure'), lib('@sluice/postgres', 'writePartition'), 'Caused by: error: duplicate key', lib('pg-protocol', 'parseErrorMessage'), lib('pg-protocol', 'handlePacket'), 'Driver stacktrace:', F('main', 7)].join('\n');
  assert.deepEqual(failureTrace(stack, message), ['    ... 2 frames in node_modules (@sluice/postgres)', 'Caused by: error: duplicate key', '    ... 2 frames in node_modules (pg-protocol)', 'Driver stacktrace:', F('main', 7)]);
});

test('sluice run of a job whose task throws: the task\'s frames, the user\'s function among them, and its message are printed once, then the Driver stacktrace naming the line that called the action', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-failure-trace-'));
  try {
    const job = path.join(dir, 'throws.ts');
    const source = [
      'function parseRecord(s: string): number {',
      '  return JSON.parse(s) as number;',
      '}',
      'export default async function (sc: import("@sluice/core").SluiceContext) {',
      "  await sc.parallelize(['1', '{', '3'], 3).map((x) => parseRecord(x)).collect();",
      '}',
      '',
    ];
    fs.writeFileSync(job, source.join('\n'));
    // Where the program calls the action (V8 names a method call by its property): line 5, at `collect`.
    const actionLine = source.findIndex((l) => l.includes('.collect()')) + 1;
    const actionColumn = source[actionLine - 1]!.indexOf('collect()') + 1;
    const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 100_000 });
    const show = `exit ${r.code}\n--- stderr\n${r.stderr}`;
    assert.equal(r.code, 1, show);
    assert.match(r.stderr, /\nJob \S+ failed \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: .*most recent failure: .*\(worker \S+\): SyntaxError: .*in JSON at position 1\n/, show);
    const user = r.stderr.split('\n').filter((l) => /^\s+at parseRecord \(.*throws\.ts:2:\d+\)$/.test(l));
    assert.equal(user.length, 1, `the frame of parseRecord printed once:\n${show}`);
    assert.equal(r.stderr.match(/in JSON at position 1/g)?.length, 1, `the task's error message printed once:\n${show}`);
    // Spark's "Driver stacktrace:": after the task's frames, the program's line that called the action.
    const lines = r.stderr.split('\n');
    const driver = lines.indexOf('Driver stacktrace:');
    assert.ok(driver > lines.findIndex((l) => /^\s+at parseRecord /.test(l)), `a Driver stacktrace after the task's frames:\n${show}`);
    assert.ok(lines[driver + 1]!.endsWith(`throws.ts:${actionLine}:${actionColumn})`) && /^\s+at /.test(lines[driver + 1]!), `the action's line first under it:\n${show}`);
    assert.equal(lines.filter((l) => l === 'Driver stacktrace:').length, 1, show);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a connector's save whose job fails (saveToRedis of an RDD, no server): the Driver stacktrace names the program's line that called saveToRedis, not the connector's", { timeout: 120_000 }, async () => {
  // @sluice/redis's fixture (the CLI's test project does not depend on the connector).
  const job = path.join(REPO_DIR, 'packages', 'redis', 'test', 'fixtures', 'redis-save-fails.ts');
  const source = fs.readFileSync(job, 'utf8').split('\n');
  const callLine = source.findIndex((l) => l.includes('await saveToRedis(')) + 1;
  const callColumn = source[callLine - 1]!.indexOf('saveToRedis(') + 1;
  const r = await runCli(['run', '--workers', '1', job], { timeoutMs: 100_000 });
  const show = `exit ${r.code}\n--- stderr\n${r.stderr}`;
  assert.equal(r.code, 1, show);
  assert.match(r.stderr, /\nJob \S+ failed \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: .*cannot reach the Redis server 127\.0\.0\.1:1 /, show);
  const lines = r.stderr.split('\n');
  const driver = lines.indexOf('Driver stacktrace:');
  assert.ok(driver > 0, `a Driver stacktrace:\n${show}`);
  assert.ok(lines.slice(0, driver).some((l) => /^\s+at .*redis-partition-writer\.ts:\d+:\d+\)$/.test(l)), `the task's own frames (the connector's) above it:\n${show}`);
  assert.ok(/^\s+at /.test(lines[driver + 1]!) && lines[driver + 1]!.endsWith(`redis-save-fails.ts:${callLine}:${callColumn})`), `the program's saveToRedis line first under it:\n${show}`);
  assert.ok(!lines.slice(driver + 1).some((l) => /packages[\\/]redis[\\/](src|dist)[\\/]/.test(l)), `no connector frame under it:\n${show}`);
});
