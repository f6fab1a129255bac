// The warning for a batch interval given as a small number (PySpark's seconds ported as is),
// in process: which intervals are warned of, listed by hand. The job-level case (the warning
// in the driver's log, with the program's line) is packages/cli/test/job-mistakes.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceContext } from '../../src/context.js';
import { StreamingContext } from '../../src/streaming/streaming-context.js';
import { Milliseconds, Seconds } from '../../src/streaming/duration.js';
import type { Duration } from '../../src/streaming/duration.js';

test("a batch interval given as a number under 20 is warned of (PySpark's 1, 2, 5, 10, 15 seconds); 20 and up, as 50 ms batches, and strings are not", () => {
  const warned = (interval: Duration): boolean => {
    const logs: { level: string; message: string }[] = [];
    const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined, log: (level, message) => void logs.push({ level, message }) });
    new StreamingContext(sc, interval, { clock: 'manual' });
    return logs.some((l) => l.level === 'warn' && l.message.startsWith('the batch interval is a number under 20'));
  };
  const cases: [Duration, boolean][] = [
    [1, true],
    [2, true],
    [5, true],
    [10, true],
    [15, true],
    [19, true],
    [20, false],
    [50, false],
    [100, false],
    [1000, false],
    ['5ms', false],
    ['50ms', false],
    [Seconds(2), false],
    [Milliseconds(50), false],
  ];
  assert.deepEqual(cases.map(([d]) => [d, warned(d)]), cases);
});
