// A receiver's report to a driver that does not run that receiver (a placement of the driver's
// previous instance, reporting its held blocks to the restarted driver; or a job that ended)
// is answered `keep: false` with nothing applied: applied_seq before the report's first event.
// Before, the answer said every event was applied, so the worker took the blocks as delivered
// and a reliable receiver's store() resolved (log off: durable means reported): it acknowledged
// records to its source that no batch would ever read, and they were lost. Found by
// scripts/chaos-probe.mjs (log off: a driver SIGKILL, the receiver's held blocks reported to the
// restarted driver before its worker registered again; records acknowledged 1.1 s after the
// kill never read). Real driver process, its ReceiverReports RPC called with a raw gRPC client.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { metadataWith, randomSecret, rawClient, startDriverProcess, type SluiceProcess } from './sluice-processes.js';

const secret = randomSecret();
let driver: SluiceProcess & { readonly address: string };

before(async () => {
  driver = await startDriverProcess(secret);
});

after(async () => {
  await driver?.stop();
});

interface Answer {
  keep: boolean;
  applied_seq: string | number;
}

/** Writes `report` on one ReceiverReports stream and resolves with the driver's answer to it. */
function reportOnce(report: object): Promise<Answer> {
  const client = rawClient('Driver', driver.address);
  const call = (client as unknown as Record<string, (md: grpc.Metadata) => grpc.ClientDuplexStream<object, Answer>>).ReceiverReports.call(client, metadataWith({ kind: 'value', value: secret }));
  return new Promise<Answer>((resolve, reject) => {
    call.on('data', (a: Answer) => {
      resolve(a);
      call.end();
    });
    call.on('error', reject);
    call.write(report);
  }).finally(() => client.close());
}

test("a report of a receiver the driver does not run is answered keep: false with none of its events applied", async () => {
  const block = (id: string) => ({ block: { block_id: id, num_records: 4, locations: [{ worker_id: 'worker-gone', address: '127.0.0.1:1' }] } });
  for (const [jobId, firstSeq] of [['job-0001-previous', 7], ['job-never-submitted', 1]] as const) {
    const answer = await reportOnce({ job_id: jobId, stream_id: 0, receiver_id: `${jobId}.r0`, worker_id: 'worker-gone', first_seq: firstSeq, events: [block('b1'), block('b2')] });
    assert.equal(answer.keep, false, `${jobId}: the receiver is told to stop`);
    assert.equal(Number(answer.applied_seq), firstSeq - 1, `${jobId}: nothing of the report is applied (events from ${firstSeq} on)`);
  }
});
