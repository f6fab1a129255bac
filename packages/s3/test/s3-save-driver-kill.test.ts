// The S3 row of docs/fault-matrix.md (an S3 output: Sluice has no S3 file stream, textFileStream
// refuses s3://): a file stream saved batch by batch to s3rver with saveAsTextFiles
// (fixtures/s3-save-recoverable.ts), a driver process and 2 worker processes, the driver killed
// with -9 twice and started again on its port, the job submitted again and recovered from its
// checkpoint with getOrCreate:
//  1. inside a batch's output: one task of the save held before it writes its part, the other
//     part already under the batch directory's _temporary/ (not committed); the held task is
//     let go after the kill, on a worker whose driver is gone;
//  2. just after a batch's commit (its _SUCCESS seen), before or after the checkpoint that
//     marks it done: the re-run batch replaces a committed directory.
// Checked against the lines fed: every batch directory with parts committed (_SUCCESS), every
// line in exactly one of them, each directory's lines those its batch read, nothing left under
// _temporary/ anywhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';
import { fixture, startCluster, submit, type Cluster } from './sluice-cluster.js';

const BUCKET = 'sluice-save-kill';
const PREFIX = `s3://${BUCKET}/out/lines`;
const BATCH_MS = 1000;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-save-kill-'));
const dirs = { ckpt: path.join(root, 'ckpt'), input: path.join(root, 'in'), out: path.join(root, 'out'), control: path.join(root, 'control'), staging: path.join(root, 'staging') };
for (const d of [dirs.input, dirs.out, dirs.control, dirs.staging]) fs.mkdirSync(d, { recursive: true });

let s3: S3rverProcess | undefined;
let cluster: Cluster | undefined;

before(async () => {
  s3 = await startS3rver([BUCKET]);
  cluster = await startCluster(2, s3.env);
});

after(async () => {
  fs.rmSync(path.join(dirs.control, 'hold-task'), { force: true });
  await cluster?.stop();
  await s3?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const fed: string[] = [];
let fileNo = 0;
/** A file of `n` unique lines (the first `HOLD ...` with `hold`), dated in the past and moved in. */
function feedFile(n = 8, hold = false): void {
  const id = fileNo++;
  const lines = Array.from({ length: n }, (_, i) => `${hold && i === 0 ? 'HOLD' : 'line'} f${id}l${i}`);
  const tmp = path.join(dirs.staging, `f${String(id).padStart(5, '0')}.txt`);
  fs.writeFileSync(tmp, lines.join('\n') + '\n');
  const past = new Date(Date.now() - 5_000);
  fs.utimesSync(tmp, past, past);
  fs.renameSync(tmp, path.join(dirs.input, path.basename(tmp)));
  fed.push(...lines);
}

async function until<T>(f: () => T | undefined | Promise<T | undefined>, ms: number, what: string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function submitDetached(): Promise<void> {
  const r = await submit(cluster!, fixture('s3-save-recoverable.ts'), [dirs.ckpt, dirs.input, dirs.out, dirs.control, String(BATCH_MS), PREFIX], { detach: true }).done;
  if (r.code !== 0) throw new Error(`submit failed (${r.code}):\n${r.stderr}`);
}

/** The batch directories' keys under out/: committed ones (with _SUCCESS), and every key. */
async function objects(): Promise<{ keys: string[]; committed: Set<string> }> {
  const keys = (await s3!.list(BUCKET, 'out/')).map((o) => o.key);
  return { keys, committed: new Set(keys.filter((k) => k.endsWith('/_SUCCESS')).map((k) => k.slice(0, -'/_SUCCESS'.length))) };
}

/** An object's text; undefined when it is gone since it was listed (a re-run batch replacing its directory). */
async function getObject(key: string): Promise<string | undefined> {
  try {
    const res = await s3!.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray()).toString('utf8');
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/** Every line in the committed directories, by directory (one being replaced as it is read is left out until the next look). */
async function committedLines(): Promise<Map<string, string[]>> {
  const { keys, committed } = await objects();
  const byDir = new Map<string, string[]>();
  for (const d of committed) byDir.set(d, []);
  for (const k of keys) {
    const dir = k.slice(0, k.lastIndexOf('/'));
    if (!committed.has(dir) || !/\/part-\d+$/.test(k) || !byDir.has(dir)) continue;
    const text = await getObject(k);
    if (text === undefined) byDir.delete(dir);
    else byDir.get(dir)!.push(...text.split('\n').filter(Boolean));
  }
  return byDir;
}

test('saveAsTextFiles to S3, the driver killed -9 inside a batch\'s save and just after a batch\'s commit, the job recovered: every line in exactly one committed batch directory, nothing left under _temporary/', { timeout: 180_000 }, async () => {
  await submitDetached();
  // Files there before the stream's first batch are not new to it (Spark's newFilesOnly): feed after it.
  await until(() => (fs.readdirSync(dirs.out).some((f) => f.startsWith('input-')) ? true : undefined), 60_000, 'the first batch');
  let feeding = true;
  const feed = (async () => {
    while (feeding) {
      feedFile();
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  try {
    await until(async () => ((await committedLines()).size >= 2 ? true : undefined), 60_000, 'two batches committed');
    // 1. Inside a batch's save: two files in one batch, one task held, the other's part under _temporary/.
    fs.writeFileSync(path.join(dirs.control, 'hold-task'), '');
    feedFile(8, true);
    const temporary = await until(async () => (fs.existsSync(path.join(dirs.control, 'held-task')) ? (await objects()).keys.find((k) => k.includes('/_temporary/')) : undefined), 60_000, 'a save held with a part under _temporary/');
    await cluster!.driver.kill9();
    const dirAtKill1 = temporary.slice(0, temporary.indexOf('/_temporary/'));
    assert.ok(!(await objects()).committed.has(dirAtKill1), `${dirAtKill1} was not committed at the kill`);
    // The held task let go on a worker whose driver is gone.
    fs.rmSync(path.join(dirs.control, 'hold-task'));
    await new Promise((r) => setTimeout(r, BATCH_MS));
    await cluster!.restartDriver();
    await submitDetached();
    await until(async () => ((await objects()).committed.has(dirAtKill1) ? true : undefined), 60_000, `the held batch (${dirAtKill1}) committed by the recovered job`);
    // 2. Just after a batch's commit.
    const before = (await objects()).committed;
    const dirAtKill2 = await until(async () => [...(await objects()).committed].find((d) => !before.has(d)), 30_000, 'the next commit', 5);
    await cluster!.driver.kill9();
    await new Promise((r) => setTimeout(r, BATCH_MS));
    await cluster!.restartDriver();
    await submitDetached();
    await new Promise((r) => setTimeout(r, 2 * BATCH_MS));
    feeding = false;
    await feed;
    try {
      await until(async () => ([...(await committedLines()).values()].flat().length >= fed.length ? true : undefined), 60_000, 'every line fed saved');
    } catch (err) {
      const saved = new Set([...(await committedLines()).values()].flat());
      const lost = fed.filter((l) => !saved.has(l));
      const log = cluster!.driver.logLines.filter((l) => /"level":(40|50|60)/.test(l)).slice(-15).join('\n');
      throw new Error(`${(err as Error).message}: ${lost.length} of ${fed.length} fed lines in no committed directory (${lost.slice(0, 12).join(', ')}; files ${[...new Set(lost.map((l) => l.split(' ')[1]!.split('l')[0]))].join(' ')}); the driver's warnings:\n${log}`, { cause: err });
    }
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    await until(() => (fs.readdirSync(dirs.out).some((f) => f.startsWith('done-')) ? true : undefined), 60_000, 'the job to stop');

    const byDir = await committedLines();
    const all = [...byDir.values()].flat();
    const count = new Map<string, number>();
    for (const l of all) count.set(l, (count.get(l) ?? 0) + 1);
    const missing = fed.filter((l) => !count.has(l));
    const twice = [...count].filter(([, n]) => n > 1).map(([l]) => l);
    assert.deepEqual(missing.slice(0, 10), [], `no line lost (${missing.length} missing)`);
    assert.deepEqual(twice.slice(0, 10), [], `no line in two batch directories (${twice.length} were)`);
    assert.equal(all.length, fed.length, 'no line that was never fed');
    // Each directory holds what its batch read (the batch's own record of its input).
    for (const [dir, lines] of byDir) {
      const time = /lines-(\d+)$/.exec(dir)![1];
      const input = path.join(dirs.out, `input-${time}.json`);
      if (fs.existsSync(input)) assert.deepEqual([...lines].sort(), JSON.parse(fs.readFileSync(input, 'utf8')) as string[], `${dir} holds its batch's lines`);
    }
    const { keys, committed } = await objects();
    assert.deepEqual(keys.filter((k) => k.includes('/_temporary/')), [], 'nothing left under _temporary/');
    const partDirs = new Set(keys.filter((k) => /\/part-\d+$/.test(k)).map((k) => k.slice(0, k.lastIndexOf('/'))));
    assert.deepEqual([...partDirs].filter((d) => !committed.has(d)), [], 'every directory with parts is committed');
    console.log(`# ${fed.length} lines in ${byDir.size} committed batch directories; killed inside ${dirAtKill1}'s save (${temporary.slice(dirAtKill1.length)} written) and just after ${dirAtKill2}'s commit`);
  } finally {
    feeding = false;
    await feed;
  }
});
