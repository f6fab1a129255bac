import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { wire } from '@sluice/core/internal';
import { ReceiverReporter, type ReportAnswer, type ReportStream, type ReportStreamHandlers } from '../../src/receiver/receiver-reporter.js';

const header = { job_id: 'job-1', stream_id: 0, receiver_id: '0.1', worker_id: 'w1' };
const block = (id: string): wire.ReceiverEvent => ({ block: { block_id: id, num_records: 1, locations: [] } });
const silent = pino({ level: 'silent' });

interface FakeStream {
  readonly handlers: ReportStreamHandlers;
  readonly written: wire.ReceiverReport[];
  ended: boolean;
  cancelled: boolean;
}

/**
 * A driver as the ReceiverTracker is one: it applies each event number once, in order
 * (events after a gap wait), and answers each report with the last number applied. What
 * a stream does is up to the test: `failOpens` streams fail at once (the driver is away),
 * `answer` false leaves reports unanswered (a paused driver), and `cut()` breaks the
 * current stream after the driver applied what was written but before its answers arrive.
 */
function driver() {
  const applied: string[] = [];
  const opens: number[] = [];
  const streams: FakeStream[] = [];
  let last = 0;
  const d = {
    applied,
    opens,
    streams,
    keep: true,
    rate: 0,
    failOpens: 0,
    answer: true,
    /** Answers wait for `flush()` instead of going at once (several reports in flight). */
    hold: false,
    held: [] as (() => void)[],
    writes: () => streams.reduce((n, s) => n + s.written.length, 0),
    apply(r: wire.ReceiverReport): ReportAnswer {
      const first = Number(r.first_seq);
      r.events!.forEach((e, i) => {
        if (first + i !== last + 1) return;
        last++;
        applied.push(e.block?.block_id ?? (e.stopped !== undefined ? `stopped:${e.stopped}` : e.started ? 'started' : '?'));
      });
      return { keep: d.keep, rateLimit: d.rate, appliedSeq: last };
    },
    open: (handlers: ReportStreamHandlers): ReportStream => {
      opens.push(Date.now());
      const s: FakeStream = { handlers, written: [], ended: false, cancelled: false };
      streams.push(s);
      const away = d.failOpens > 0;
      if (away) {
        d.failOpens--;
        setImmediate(() => handlers.closed(new Error('UNAVAILABLE: the driver does not answer')));
      }
      return {
        write: (r) => {
          s.written.push(r);
          if (away || s.cancelled || s.ended || !d.answer) return;
          const a = d.apply(r);
          if (d.hold) d.held.push(() => s.handlers.answer(a));
          else setImmediate(() => !s.cancelled && s.handlers.answer(a));
        },
        end: () => void (s.ended = true),
        cancel: () => void (s.cancelled = true),
      };
    },
    /** Break the current stream: what it carried was applied, its answers never come. */
    cut(): void {
      d.held.length = 0;
      streams.at(-1)!.handlers.closed(new Error('UNAVAILABLE: connection reset'));
    },
    flush(): void {
      for (const f of d.held.splice(0)) f();
    },
  };
  return d;
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

test('a reporter keeps its events while the driver is away and delivers them in order once it answers, each once', async () => {
  const d = driver();
  d.failOpens = 4;
  const r = new ReceiverReporter(header, d.open, () => assert.fail('not dropped'), silent);
  for (let i = 0; i < 5; i++) r.report(block(`b${i}`));
  await until(() => d.applied.length === 5, 'the blocks');
  assert.deepEqual(d.applied, ['b0', 'b1', 'b2', 'b3', 'b4']);
  await until(() => r.pending === 0, 'the answers');
  // Four failed streams: opened again 100, 200, 400, 800 ms apart (backoff), not a busy loop.
  const gaps = d.opens.slice(1, 5).map((t, i) => t - d.opens[i]);
  assert.ok(gaps[3] >= 700 && gaps[3] < 8000, `retries back off: ${gaps}`);
  assert.equal(d.streams.length, 5, 'one stream after the failures');
  // Later events go on the same stream.
  r.report(block('b5'));
  r.report({ stopped: 'done' });
  await until(() => r.isClosed, 'the reporter to close');
  assert.deepEqual(d.applied.slice(5), ['b5', 'stopped:done']);
  assert.equal(d.streams.length, 5);
  assert.ok(d.streams[4].ended, 'a delivered stop closes the reporter and ends its stream');
});

test('reports go on the stream without waiting for answers; a stream that breaks is followed by one carrying what was not acknowledged, each event applied once', async () => {
  const d = driver();
  d.hold = true;
  const delivered: string[] = [];
  const r = new ReceiverReporter(header, d.open, () => assert.fail('not dropped'), silent);
  const report = (id: string): void => r.report(block(id), (err) => delivered.push(err ? `${id}: ${err.message}` : id));
  for (let i = 0; i < 3; i++) report(`b${i}`);
  assert.equal(d.writes(), 3, 'three reports in flight at once');
  d.flush();
  assert.deepEqual(delivered, ['b0', 'b1', 'b2']);
  // Two more go, the driver applies them, and the connection breaks before their answers come.
  report('b3');
  report('b4');
  d.cut();
  assert.deepEqual(delivered, ['b0', 'b1', 'b2'], 'not delivered before an answer');
  report('b5');
  d.hold = false;
  await until(() => r.pending === 0, 'the events to be acknowledged');
  assert.equal(d.streams.length, 2);
  const again = d.streams[1].written.flatMap((w) => w.events!.map((e) => e.block!.block_id));
  assert.deepEqual(again, ['b3', 'b4', 'b5'], 'the new stream carries the unacknowledged events again, then the new one');
  assert.deepEqual(d.applied, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'], 'each applied once, in order');
  assert.deepEqual(delivered, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'], 'each delivered once');
  // Two more are lost in flight (the driver never gets them) when the stream breaks: they
  // go again, in front of the next one.
  d.answer = false;
  report('b6');
  report('b7');
  d.cut();
  d.answer = true;
  report('b8');
  await until(() => r.pending === 0, 'the lost events to be sent again and acknowledged');
  assert.deepEqual(d.applied, ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8'], 'nothing lost, nothing twice, in order');
  assert.deepEqual(delivered.slice(6), ['b6', 'b7', 'b8']);
  r.close();
});

test('a stream the driver leaves unanswered is given up and the events go again on a new one', async () => {
  const d = driver();
  d.answer = false;
  const r = new ReceiverReporter(header, d.open, () => assert.fail('not dropped'), silent, undefined, 200);
  r.report(block('b0'));
  r.report(block('b1'));
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(d.streams.length, 1);
  d.answer = true;
  await until(() => r.pending === 0, 'the events to be acknowledged');
  assert.ok(d.streams[0].cancelled, 'the unanswered stream is cancelled');
  assert.deepEqual(d.applied, ['b0', 'b1']);
  r.close();
});

test('keep: false from the driver closes the reporter and stops the receiver', async () => {
  const d = driver();
  d.keep = false;
  let dropped = 0;
  const r = new ReceiverReporter(header, d.open, () => dropped++, silent);
  r.report(block('b0'));
  await until(() => dropped === 1, 'the drop');
  assert.ok(r.isClosed);
  assert.ok(d.streams[0].ended, 'its stream is ended');
  let refused: Error | undefined;
  r.report(block('b1'), (err) => (refused = err));
  assert.ok(refused, 'an event after the close is refused at once');
  assert.deepEqual(d.applied, ['b0']);
});

test("the driver's backpressure rate in an answer reaches the receiver once per change; 0 (no rate) does not", async () => {
  const d = driver();
  const answers = [0, 800, 800, 650.5, 0, 650.5, 900];
  const rates: number[] = [];
  const r = new ReceiverReporter(header, d.open, () => assert.fail('not dropped'), silent, (rate) => rates.push(rate));
  for (let i = 0; i < 7; i++) {
    d.rate = answers[i];
    r.report(block(`b${i}`));
    await until(() => r.pending === 0, 'the answer');
  }
  assert.deepEqual(rates, [800, 650.5, 900]);
  r.close();
});
