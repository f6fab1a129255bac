// A worker reads requests of at most 128 MiB (issue 7, item 11: message limits sized to
// what each RPC needs). A task whose plan carries more (parallelized data) fails with a
// message naming its size, the limit and the fix, without being sent; 100 MB runs. A task's
// result past the 256 MiB of a message reaches the driver whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, runCli } from './harness.js';

test('a task over 128 MiB fails with its size and the fix; a 100 MB task runs', async () => {
  const big = await runCli(['run', '--workers', '1', fixture('big-task.ts'), '140'], { timeoutMs: 120_000 });
  assert.equal(big.code, 1, big.stderr);
  const m = /the task for partition 0 of stage \d+ is ([\d.]+) MiB encoded, more than the 128\.0 MiB a worker accepts/.exec(big.stderr);
  assert.ok(m, big.stderr);
  // 140,000 lines of 1000 bytes: at least 140,000,000 bytes (133.5 MiB), plus a little encoding.
  const mib = Number(m[1]);
  assert.ok(mib >= 133.5 && mib < 140, `reported ${mib} MiB`);
  assert.match(big.stderr, /sc\.textFile.*sc\.broadcast/);

  const ok = await runCli(['run', '--workers', '1', fixture('big-task.ts'), '100'], { timeoutMs: 120_000 });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^COUNT 100000$/m);
});

test("a result over the 256 MiB a message carries reaches the driver whole (kept on the worker and read in chunks, as Spark's IndirectTaskResult); a small one beside it as before", async () => {
  const r = await runCli(['run', '--workers', '1', fixture('big-result.ts'), '260'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  // 260 MiB and 1 KiB, every 4096th byte (66,560 and 1) where the task put it.
  assert.match(r.stdout, /^RESULT 272629760 1024 66561$/m);
});
