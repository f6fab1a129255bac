import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { wire } from '@sluice/core/internal';
import { ReceiverReporter } from '../../src/receiver/receiver-reporter.js';

const header = { job_id: 'job-1', stream_id: 0, receiver_id: '0.1', worker_id: 'w1' };
const block = (id: string): wire.ReceiverEvent => ({ block: { block_id: id, num_records: 1, locations: [] } });

/** A driver that is away for the first `failures` reports, then takes them (applying each sequence number once). */
function driver(failures: number) {
  const applied: string[] = [];
  const sends: number[] = [];
  let last = 0;
  let keep = true;
  const send = async (r: wire.ReceiverReport): Promise<{ keep: boolean; rateLimit?: number }> => {
    sends.push(Date.now());
    if (failures-- > 0) throw new Error('UNAVAILABLE: the driver does not answer');
    r.events!.forEach((e, i) => {
      const seq = Number(r.first_seq) + i;
      if (seq > last) {
        last = seq;
        applied.push(e.block?.block_id ?? (e.stopped !== undefined ? `stopped:${e.stopped}` : '?'));
      }
    });
    return { keep };
  };
  return { applied, sends, send, refuse: () => (keep = false) };
}

test('a reporter keeps its events while the driver is away and delivers them in order once it answers, each once', async () => {
  const d = driver(4);
  const r = new ReceiverReporter(header, d.send, () => assert.fail('not dropped'), pino({ level: 'silent' }));
  for (let i = 0; i < 5; i++) r.report(block(`b${i}`));
  const deadline = Date.now() + 10_000;
  while (d.applied.length < 5 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(d.applied, ['b0', 'b1', 'b2', 'b3', 'b4']);
  assert.equal(r.pending, 0);
  // Four failures: retries 100, 200, 400, 800 ms apart (backoff), not a busy loop.
  const gaps = d.sends.slice(1, 5).map((t, i) => t - d.sends[i]);
  assert.ok(gaps[3] >= 700 && gaps[3] < 8000, `retries back off: ${gaps}`);
  r.report({ stopped: 'done' });
  while (!r.isClosed && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(d.applied.at(-1), 'stopped:done');
  assert.ok(r.isClosed, 'a delivered stop closes the reporter');
});

test('keep: false from the driver closes the reporter and stops the receiver', async () => {
  const d = driver(0);
  d.refuse();
  let dropped = 0;
  const r = new ReceiverReporter(header, d.send, () => dropped++, pino({ level: 'silent' }));
  r.report(block('b0'));
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(dropped, 1);
  assert.ok(r.isClosed);
  r.report(block('b1'));
  await new Promise((res) => setTimeout(res, 50));
  assert.deepEqual(d.applied, ['b0']);
});

test("the driver's backpressure rate in an answer reaches the receiver once per change; 0 (no rate) does not", async () => {
  const answers = [0, 800, 800, 650.5, 0, 650.5, 900];
  const send = async (): Promise<{ keep: boolean; rateLimit: number }> => ({ keep: true, rateLimit: answers.shift() ?? 900 });
  const rates: number[] = [];
  const r = new ReceiverReporter(header, send, () => assert.fail('not dropped'), pino({ level: 'silent' }), (rate) => rates.push(rate));
  for (let i = 0; i < 7; i++) {
    r.report(block(`b${i}`));
    while (r.pending > 0) await new Promise((res) => setTimeout(res, 5));
  }
  assert.deepEqual(rates, [800, 650.5, 900]);
});
