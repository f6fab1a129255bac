// Watches a directory: every new text file moved into it is counted once it has settled
// (in the next batch when it was written more than a batch interval ago, else one batch
// later, once a listing found it unchanged).
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/directory-wordcount.ts [DIR]
//       without DIR: uses a temporary directory and drops a file into it every second
//       for 6 seconds; with DIR: watches DIR until stopped (`sluice stop JOB`)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamingContext, type SluiceContext } from '@sluice/core';

export default async function directoryWordCount(sc: SluiceContext, args: string[]): Promise<void> {
  const demo = args[0] === undefined;
  const dir = args[0] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-watch-'));
  const ssc = new StreamingContext(sc, '1s');
  ssc
    .textFileStream(dir)
    .flatMap((line) => line.split(/\s+/).filter((w) => w.length > 0))
    .map((word) => [word.toLowerCase(), 1] as [string, number])
    .reduceByKey((a, b) => a + b)
    .print();
  ssc.start();
  if (!demo) return ssc.awaitTermination();

  // Demo: move a file in atomically (write elsewhere, then rename) once a second.
  for (let i = 0; i < 6; i++) {
    const tmp = path.join(os.tmpdir(), `sluice-demo-${process.pid}-${i}.txt`);
    fs.writeFileSync(tmp, `file ${i} says hello\nhello again from file ${i}\n`);
    fs.renameSync(tmp, path.join(dir, `part-${i}.txt`));
    await new Promise((r) => setTimeout(r, 1000));
  }
  await ssc.stop({ graceful: true });
  fs.rmSync(dir, { recursive: true, force: true });
}
