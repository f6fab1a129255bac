// The StreamingContext's inputs refuse an option they do not know at the call (a misspelt
// option, a Spark setting given as one, fileStream's filter given to textFileStream), as the
// StreamingContext's own options do: SLUICE_BAD_ARGUMENT naming the input, the key, where
// Sluice has the setting when it is Spark's, and the options there are. In process: no
// cluster, no server (the refusal comes before any receiver or listing runs).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SluiceContext, StreamingContext } from '../../src/index.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-input-options-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function context(): StreamingContext {
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined, log: () => undefined });
  return new StreamingContext(sc, 1000, { clock: 'manual' });
}

function refused(call: () => unknown, message: string): void {
  assert.throws(call, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'SLUICE_BAD_ARGUMENT');
    assert.equal(e.message, message);
    return true;
  });
}

test('socketTextStream and rawSocketStream: an unknown option is refused naming it, the StreamingContext setting for a Spark one, and the options', () => {
  const ssc = context();
  refused(() => ssc.socketTextStream('127.0.0.1', 9999, { maxRecordLenght: 1024 } as object), "socketTextStream(127.0.0.1:9999): unknown option 'maxRecordLenght'; the options are maxRecordLength");
  refused(
    () => ssc.socketTextStream('127.0.0.1', 9999, { 'spark.streaming.receiver.maxRate': 500 } as object),
    "socketTextStream(127.0.0.1:9999): unknown option 'spark.streaming.receiver.maxRate' (Spark's setting; in Sluice: { receiverMaxRate: 500 } on the StreamingContext (records per second per receiver)); the options are maxRecordLength",
  );
  refused(() => ssc.rawSocketStream('127.0.0.1', 9998, { blockInterval: '200ms' } as object), "rawSocketStream(127.0.0.1:9998): unknown option 'blockInterval' (Spark's setting; in Sluice: { blockInterval: '200ms' } on the StreamingContext); the options are maxBlockBytes");
  // The known options, and Spark's storage level as the third argument, are taken.
  ssc.socketTextStream('127.0.0.1', 9999, { maxRecordLength: 1024 });
  ssc.socketTextStream('127.0.0.1', 9999, 'MEMORY_AND_DISK_SER_2');
  ssc.rawSocketStream('127.0.0.1', 9998, { maxBlockBytes: 1024 });
});

test("textFileStream, binaryRecordsStream and fileStream: an unknown option is refused; filter and newFilesOnly name fileStream", () => {
  const ssc = context();
  const dir = path.join(root, 'watched');
  const newFiles = 'ignoreMissingFiles, minRememberDuration';
  refused(() => ssc.textFileStream(dir, { ignoreMissingFile: true } as object), `textFileStream(${dir}): unknown option 'ignoreMissingFile'; the options are ${newFiles}`);
  refused(
    () => ssc.textFileStream(dir, { newFilesOnly: false } as object),
    `textFileStream(${dir}): unknown option 'newFilesOnly' (Spark's setting; in Sluice: ssc.fileStream(directory, { newFilesOnly: false }), as Spark's fileStream[K, V, F](directory, filter, newFilesOnly)); the options are ${newFiles}`,
  );
  refused(
    () => ssc.binaryRecordsStream(dir, 8, { 'spark.streaming.fileStream.minRememberDuration': '120s' } as object),
    `binaryRecordsStream(${dir}): unknown option 'spark.streaming.fileStream.minRememberDuration' (Spark's setting; in Sluice: { minRememberDuration: '120s' }); the options are ${newFiles}`,
  );
  refused(() => ssc.fileStream(dir, { newFileOnly: false } as object), `fileStream(${dir}): unknown option 'newFileOnly'; the options are filter, newFilesOnly, ignoreMissingFiles, minRememberDuration`);
  // Every option each takes is taken.
  ssc.textFileStream(dir, { ignoreMissingFiles: true, minRememberDuration: '60s' });
  ssc.binaryRecordsStream(dir, 8, { ignoreMissingFiles: false, minRememberDuration: 60_000 });
  ssc.fileStream(dir, { filter: (f) => f.endsWith('.txt'), newFilesOnly: false, ignoreMissingFiles: true, minRememberDuration: '60s' });
});
