// `sluice shell`, spark-shell's counterpart, driven through plain stdin and stdout pipes (real
// processes: the command, its driver-program thread, its worker processes): Spark's Quick Start
// typed at the prompt on a fixture text file, each value computed here from the file's text; a
// closure over a const of the shell; a capture that cannot travel; a task that throws; Ctrl-C
// (a SIGINT to the command) cancelling a running job; `.exit` leaving no process behind.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, freePort, pollUntil, processAlive, REPO_DIR, within } from './harness.js';

const PROMPT = 'sluice> ';

/** A README-like text: lines of words, some with "Spark", an empty line, one long line. */
function fixtureText(): string {
  const words = ['Spark', 'Sluice', 'stream', 'batch', 'the', 'a', 'of', 'worker', 'driver', 'RDD'];
  const lines: string[] = [];
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 120; i++) {
    if (i === 40) lines.push('');
    const n = 1 + Math.floor(next() * (i === 77 ? 30 : 9));
    lines.push(Array.from({ length: n }, () => words[Math.floor(next() * words.length)]!).join(' '));
  }
  return lines.join('\n') + '\n';
}

interface Shell {
  readonly child: ChildProcess;
  out: string;
  err: string;
  readonly exited: Promise<number | null>;
  /** Type `line`; resolves with what the shell wrote before its next prompt. */
  type(line: string, ms?: number): Promise<string>;
}

function startShell(cwd: string, args: readonly string[] = []): Shell {
  const child = spawn(process.execPath, [CLI_BIN, 'shell', '--workers', '2', ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
  const sh: Shell = {
    child,
    out: '',
    err: '',
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
    async type(line, ms = 120_000) {
      const from = sh.out.length;
      child.stdin!.write(line + '\n');
      await pollUntil(() => (sh.out.length > from && sh.out.endsWith(PROMPT) ? true : undefined), ms, `the prompt after ${line}\nstdout: ${sh.out}\nstderr: ${sh.err}`, 20);
      return sh.out.slice(from, -PROMPT.length).trim();
    },
  };
  child.stdout!.on('data', (d: Buffer) => (sh.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (sh.err += d.toString()));
  return sh;
}

/** README's Quick Start transcript (its first ```text block after `## Quick Start`), from `$ ... sluice.js shell` to `.exit`. */
function readmeQuickStart(): string[] {
  const readme = fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8');
  const from = readme.indexOf('```text\n', readme.indexOf('\n## Quick Start'));
  const block = readme.slice(from + '```text\n'.length, readme.indexOf('\n```', from + 1)).split('\n');
  assert.match(block[0]!, /^\$ node packages\/cli\/bin\/sluice\.js shell$/, "README's Quick Start transcript starts with the command");
  return block.slice(1);
}

/** A transcript's ports and job ids, which differ from run to run, masked. */
const masked = (line: string): string => line.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').replace(/job-\d{4}-[0-9a-f]{6}/g, 'JOB');

/** The processes whose parent is `pid` (the shell's worker processes). */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

test("sluice shell: Spark's Quick Start at the prompt, closures over the shell's consts, errors that leave it usable, Ctrl-C, .exit", { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shell-'));
  const text = fixtureText();
  fs.writeFileSync(path.join(dir, 'README.md'), text);
  const lines = text.split('\n').slice(0, -1);
  const sh = startShell(dir);
  try {
    await pollUntil(() => (sh.out.endsWith(PROMPT) ? true : undefined), 120_000, `the first prompt\nstdout: ${sh.out}\nstderr: ${sh.err}`, 20);
    assert.match(sh.out, /Sluice context available as 'sc' \(master = local\[2\]/);
    const ui = /Sluice web UI available at (http:\/\/127\.0\.0\.1:\d+)\/jobs\/([^/]+)\//.exec(sh.out);
    assert.ok(ui, sh.out);
    const workers = childPids(sh.child.pid!);
    assert.equal(workers.length, 2, `the shell's worker processes: ${workers.join(', ')}`);
    // README's Quick Start shows what the shell prints before its first prompt, line for line
    // (ports and job ids aside): until 2026-12-06 (user56) it left out the third line.
    const transcript = readmeQuickStart();
    const greeting = sh.out.slice(0, -PROMPT.length).trimEnd().split('\n').map(masked);
    assert.deepEqual(transcript.slice(0, transcript.findIndex((l) => l.startsWith(PROMPT))).map(masked), greeting, "README's Quick Start greeting");
    /** What README's transcript shows after `sluice> line` (the next line): the shell's answer to a declaration, which the test checks below. */
    const readmeAnswer = (line: string): string | undefined => transcript[transcript.indexOf(PROMPT + line) + 1];

    // Spark's Quick Start, in TypeScript.
    assert.equal(await sh.type('const textFile = sc.textFile("README.md")'), 'undefined');
    assert.equal(readmeAnswer('const textFile = sc.textFile("README.md")'), 'undefined', "README's Quick Start shows the shell's answer to const textFile");
    assert.equal(await sh.type('textFile.count()'), String(lines.length));
    assert.equal(await sh.type('textFile.first()'), `'${lines[0]}'`);
    const withSpark = lines.filter((l) => l.includes('Spark'));
    assert.equal(await sh.type('const linesWithSpark = textFile.filter(line => line.includes("Spark"))'), 'undefined');
    assert.equal(readmeAnswer('const linesWithSpark = textFile.filter(line => line.includes("Spark"))'), 'undefined', "README's Quick Start shows the shell's answer to const linesWithSpark");
    assert.equal(await sh.type('linesWithSpark.count()'), String(withSpark.length));
    const maxWords = Math.max(...lines.map((l) => l.split(' ').length));
    assert.equal(await sh.type('textFile.map(line => line.split(" ").length).reduce((a, b) => (a > b ? a : b))'), String(maxWords));
    assert.equal(await sh.type('const wordCounts = textFile.flatMap(line => line.split(" ")).map(word => [word, 1]).reduceByKey((a, b) => a + b)'), 'undefined');
    assert.equal(readmeAnswer('const wordCounts = textFile.flatMap(line => line.split(" ")).map(word => [word, 1]).reduceByKey((a, b) => a + b)'), 'undefined', "README's Quick Start shows the shell's answer to const wordCounts");
    const counts = new Map<string, number>();
    for (const w of lines.flatMap((l) => l.split(' '))) counts.set(w, (counts.get(w) ?? 0) + 1);
    const printed = await sh.type('console.log(JSON.stringify(await wordCounts.collect()))');
    const collected = JSON.parse(printed.split('\n')[0]!) as Array<[string, number]>;
    assert.deepEqual(new Map(collected), counts);
    assert.equal(collected.length, counts.size);
    assert.match(await sh.type('linesWithSpark.cache()'), /^MapPartitionsRDD\[\d+\] at filter at REPL\d+:\d+:\d+/);
    assert.equal(await sh.type('linesWithSpark.count()'), String(withSpark.length));
    assert.equal(await sh.type('linesWithSpark.count()'), String(withSpark.length));

    // A closure over the shell's own consts (a value and a function), shipped to the workers.
    await sh.type('const k = 7');
    await sh.type('const twice = x => 2 * x');
    assert.equal(await sh.type('await sc.parallelize([1, 2, 3], 3).map(x => twice(x) * k).collect()'), '[ 14, 28, 42 ]');
    // `var` and `function` at the prompt make globals, which travel too (a recursive one included).
    await sh.type('var offset = 10');
    await sh.type('function addOffset(x) { return x + offset }');
    await sh.type('function fact(n) { return n <= 1 ? 1 : n * fact(n - 1) }');
    const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
    assert.equal(await sh.type('sc.parallelize([1, 2, 3, 4], 2).map(x => addOffset(x) + fact(x)).collect()'), `[ ${[1, 2, 3, 4].map((x) => x + 10 + fact(x)).join(', ')} ]`);
    assert.match(await sh.type('sc.parallelize([1]).map(x => sc.appName).count()'), /Task not serializable: rdd\.map at REPL\d+:\d+:\d+ captures 'sc' \(the SluiceContext\)/);
    // An RDD inside another RDD's function: Spark's SPARK-5063, refused at once.
    assert.match(await sh.type('sc.parallelize([1]).map(x => textFile.count()).count()'), /captures 'textFile' \(an RDD\).*SPARK-5063/);
    // What cannot travel fails at once, naming the variable, and the shell goes on.
    await sh.type('const lock = new WeakMap()');
    const notShipped = await sh.type('sc.parallelize([1]).map(x => lock.has(x)).count()');
    assert.match(notShipped, /Task not serializable: rdd\.map at REPL\d+:\d+:\d+ captures 'lock' \(a WeakMap\)/);
    // A task that throws: its error, then the next command works.
    const failed = await sh.type('textFile.map(line => { throw new Error("no way: " + line.length) }).count()');
    assert.match(failed, /^Uncaught:?\s+TaskFailedError \[SLUICE_TASK_FAILED\]: Job aborted due to stage failure: .*Error: no way: \d+$/);
    assert.equal(await sh.type('textFile.count()'), String(lines.length));

    // Ctrl-C while an action runs: its job is cancelled, the prompt comes back.
    const running = sh.type('sc.parallelize([1, 2], 2).map(x => { const end = Date.now() + 200000; while (Date.now() < end); return x }).count()');
    await pollUntil(async () => {
      const jobs = (await (await fetch(`${ui[1]}/api/v1/applications/${ui[2]}/jobs`)).json()) as Array<{ status: string }>;
      return jobs.some((j) => j.status === 'RUNNING') ? true : undefined;
    }, 60_000, 'the long job running');
    sh.child.kill('SIGINT');
    const cancelled = await within(running, 60_000, 'the prompt after Ctrl-C');
    assert.match(cancelled, /Cancelling 1 running job/);
    assert.match(cancelled, /\[SLUICE_CANCELLED\]: .*cancelled/);
    assert.equal(await sh.type('k * 6'), '42');

    // .exit: the shell exits, and its worker processes with it.
    sh.child.stdin!.write('.exit\n');
    assert.equal(await within(sh.exited, 60_000, 'the shell to exit'), 0);
    for (const pid of workers) await pollUntil(() => (processAlive(pid) ? undefined : true), 30_000, `worker process ${pid} to end`);
  } finally {
    if (sh.child.exitCode === null) sh.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sluice shell: the end of its input (Ctrl-D) ends it; --conf spark.default.parallelism as spark-shell takes it; --master local[N] is refused naming --workers N, spark://HOST:PORT with no driver there says so', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shell-'));
  // 2 workers x 1 core would give 2; spark-shell --conf spark.default.parallelism=5 gives 5.
  const sh = startShell(dir, ['--conf', 'spark.default.parallelism=5', '--conf', 'spark.locality.wait=0']);
  try {
    await pollUntil(() => (sh.out.endsWith(PROMPT) ? true : undefined), 120_000, `the first prompt\nstderr: ${sh.err}`, 20);
    const workers = childPids(sh.child.pid!);
    assert.equal(await sh.type('sc.defaultParallelism'), '5');
    assert.equal(await sh.type('sc.parallelize([1, 2, 3, 4, 5, 6, 7]).getNumPartitions()'), '5');
    assert.equal(await sh.type('await sc.parallelize([3, 4]).reduce((a, b) => a * b)'), '12');
    // Lines typed ahead (here: piped at once) wait for the line before, an action awaited included.
    const from = sh.out.length;
    sh.child.stdin!.write('const a = await sc.parallelize([1, 2, 3]).count()\na * 10\n');
    await pollUntil(() => (sh.out.slice(from).split(PROMPT).length === 3 ? true : undefined), 60_000, `two prompts\nstdout: ${sh.out}`, 20);
    assert.deepEqual(sh.out.slice(from).split(PROMPT).map((s) => s.trim()), ['undefined', '30', '']);
    sh.child.stdin!.end();
    assert.equal(await within(sh.exited, 60_000, 'the shell to exit'), 0);
    for (const pid of workers) await pollUntil(() => (processAlive(pid) ? undefined : true), 30_000, `worker process ${pid} to end`);
  } finally {
    if (sh.child.exitCode === null) sh.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // spark-shell --master spark://HOST:PORT is --driver HOST:PORT (remote-shell-client.test): with no driver there, it says so.
  const nobody = await freePort();
  const refused = spawn(process.execPath, [CLI_BIN, 'shell', '--master', `spark://127.0.0.1:${nobody}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_SECRET: 'f'.repeat(32), SLUICE_SECRET_FILE: '' } });
  let err = '';
  refused.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await within(new Promise<number | null>((r) => refused.once('exit', r)), 60_000, 'sluice shell --master to exit');
  assert.notEqual(code, 0);
  assert.match(err, new RegExp(`no Sluice driver answers at 127\\.0\\.0\\.1:${nobody}`));
  // spark-shell --master local[3] is --workers 3 here.
  const local = spawn(process.execPath, [CLI_BIN, 'shell', '--master', 'local[3]'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let localErr = '';
  local.stderr!.on('data', (d: Buffer) => (localErr += d.toString()));
  assert.notEqual(await within(new Promise<number | null>((r) => local.once('exit', r)), 60_000, 'sluice shell --master local[3] to exit'), 0);
  assert.match(localErr, /spark-shell's --master local\[3\] is 'sluice shell --workers 3'/);
});

test('sluice shell on a terminal (a pseudo-terminal, by script(1)): the line editor echoes and edits, .editor takes lines until Ctrl-D, Ctrl-C is a key that cancels the running job, Ctrl-D leaves', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shell-'));
  // script(1) runs the command on a pseudo-terminal fed from our pipe: keys in, the screen out.
  const child = spawn('script', ['-qfec', `${process.execPath} ${CLI_BIN} shell --workers 2`, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
  let screen = '';
  child.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (screen += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // The text without the terminal's control sequences (colours, cursor moves).
  const text = (): string => screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  try {
    // The terminal is raw before the cluster has started (before the greeting): a key typed while the
    // shell starts is never the terminal's to echo. stty reads the pseudo-terminal's mode.
    const pty = await pollUntil(() => {
      for (const pid of childPids(child.pid!)) {
        try {
          const tty = fs.readlinkSync(`/proc/${pid}/fd/0`);
          if (tty.startsWith('/dev/pts/')) return tty;
        } catch {
          // not yet, or gone
        }
      }
      return undefined;
    }, 60_000, 'the shell on its pseudo-terminal', 5);
    await pollUntil(() => (/(^|\s)-icanon(\s|$)/.test(execFileSync('stty', ['-a', '-F', pty], { encoding: 'utf8' })) ? true : undefined), 120_000, `raw mode on ${pty}\nscreen: ${text()}`, 5);
    assert.ok(!text().includes('Sluice web UI available'), `the terminal went raw only after the greeting\nscreen: ${JSON.stringify(text())}`);
    // Keys typed while the shell starts (here: at its greeting, before its program listens) wait
    // unechoed: the terminal is raw from the start, so it neither echoes nor edits them itself.
    const ui = await pollUntil(() => /Sluice web UI available at (http:\/\/127\.0\.0\.1:\d+)\/jobs\/([^/]+)\//.exec(text()) ?? undefined, 120_000, `the greeting\nscreen: ${text()}`, 5);
    // "k", then Backspace (DEL) takes it back: the line evaluated is 6 * 7.
    child.stdin!.write('k\x7f6 * 7\r');
    await pollUntil(() => (/\r\n42\r\nsluice> $/.test(text()) ? true : undefined), 60_000, `42 and the prompt\nscreen: ${text()}`, 20);
    // The line as edited, echoed once by the shell's line editor (the terminal is raw: it echoes nothing itself,
    // neither the keys nor its own erase of the "k").
    assert.match(text(), /sluice> 6 \* 7\r?\r\n42\r\n/);
    assert.equal(text().split('6 * 7').length, 2, `the line echoed once\nscreen: ${JSON.stringify(text())}`);
    assert.ok(!text().includes('k\b \b'), `the terminal's own erase echoed\nscreen: ${JSON.stringify(text())}`);
    // The REPL's editor mode: lines without a prompt until Ctrl-D, then evaluated together.
    child.stdin!.write('.editor\r');
    await pollUntil(() => (text().includes('Entering editor mode') ? true : undefined), 60_000, `editor mode\nscreen: ${text()}`, 20);
    child.stdin!.write('const zz = [1, 2, 3]\r');
    child.stdin!.write('await sc.parallelize(zz).map(x => x * 5).reduce((a, b) => a + b)\r\x04');
    await pollUntil(() => (/\r\n30\r\nsluice> $/.test(text()) ? true : undefined), 60_000, `30 after the editor's lines\nscreen: ${text()}`, 20);
    child.stdin!.write('sc.parallelize([1, 2], 2).map(x => { const end = Date.now() + 200000; while (Date.now() < end); return x }).count()\r');
    await pollUntil(async () => {
      const jobs = (await (await fetch(`${ui[1]}/api/v1/applications/${ui[2]}/jobs`)).json()) as Array<{ status: string }>;
      return jobs.some((j) => j.status === 'RUNNING') ? true : undefined;
    }, 60_000, 'the long job running');
    child.stdin!.write('\x03');
    await pollUntil(() => (/SLUICE_CANCELLED.*\r\nsluice> $/.test(text()) ? true : undefined), 60_000, `the prompt after Ctrl-C\nscreen: ${text()}`, 20);
    // Node's REPL writes 'Uncaught:' and a line break before an error line longer than the terminal (since 5e97d7bf the message ends with Spark's reason).
    assert.match(text(), /Cancelling 1 running job \(Ctrl-C\)\.\r\nUncaught:?\s+SluiceError \[SLUICE_CANCELLED\]: .*cancelled: as part of cancellation of all jobs/);
    child.stdin!.write('\x04');
    assert.equal(await within(exited, 60_000, 'the shell to leave on Ctrl-D'), 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("sluice shell: instances of a class declared at the prompt travel as records and keep their class (Spark's REPL case classes); Node's classes and classes inside a function are refused", { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shell-'));
  const sh = startShell(dir);
  try {
    await pollUntil(() => (sh.out.endsWith(PROMPT) ? true : undefined), 120_000, `the first prompt\nstdout: ${sh.out}\nstderr: ${sh.err}`, 20);
    const xs = [1, 2, 3, 4, 5, 6];
    const json = async (line: string): Promise<unknown> => {
      const printed = await sh.type(`console.log(JSON.stringify(${line}))`);
      try {
        return JSON.parse(printed.split('\n')[0]!) as unknown;
      } catch {
        assert.fail(`${line}: ${printed}`);
      }
    };
    await sh.type('class P { constructor(x) { this.x = x } get twice() { return this.x * 2 } label() { return "p" + this.x } }');
    await sh.type('class Q extends P { get thrice() { return this.x * 3 } }');
    await sh.type(`const ps = sc.parallelize(${JSON.stringify(xs)}, 3).map(x => x % 2 === 0 ? new Q(x) : new P(x))`);
    // Task results to the driver: collect, take, first; each record of the prompt's own class.
    assert.match(await sh.type('ps.collect()'), /^\[\s*P \{ x: 1 \},\s*Q \{ x: 2 \},/);
    const expected = xs.map((x) => [x, x % 2 === 0 ? 'Q' : 'P', 2 * x, `p${x}`, x % 2 === 0 ? 3 * x : null]);
    const show = '.map(p => [p.x, p instanceof Q ? "Q" : p instanceof P ? "P" : "?", p.twice, p.label(), p instanceof Q ? p.thrice : null])';
    assert.deepEqual(await json(`(await ps.collect())${show}`), expected);
    assert.deepEqual(await json(`(await ps.take(2))${show}`), expected.slice(0, 2));
    assert.deepEqual(await json(`[await ps.first()]${show}`), expected.slice(0, 1));
    // A shuffle: the records cross from worker to worker, the reducing function's methods and instanceof work on them.
    const byParity = new Map<number, number[]>();
    for (const x of xs) byParity.set(x % 2, [...(byParity.get(x % 2) ?? []), 2 * x]);
    const grouped = (await json(`await ps.map(p => [p.x % 2, p]).groupByKey(2).mapValues(v => [...v].map(p => (p instanceof P ? p.twice : -1)).sort((a, b) => a - b)).collect()`)) as Array<[number, number[]]>;
    assert.deepEqual(new Map(grouped), byParity);
    // And back to the driver after a shuffle.
    const regrouped = (await json(`(await ps.map(p => [p.x % 2, p]).groupByKey(2).collect()).map(([k, v]) => [k, [...v].map(p => p.label()).sort()])`)) as Array<[number, string[]]>;
    assert.deepEqual(new Map(regrouped), new Map([...byParity].map(([k, v]) => [k, v.map((t) => `p${t / 2}`).sort()])));
    // Cached on the workers, read by two jobs.
    await sh.type('const cached = ps.cache()');
    const sumTwice = xs.reduce((a, x) => a + 2 * x, 0);
    assert.equal(await sh.type('cached.map(p => p.twice).reduce((a, b) => a + b)'), String(sumTwice));
    assert.equal(await sh.type('cached.map(p => p.twice).reduce((a, b) => a + b)'), String(sumTwice));
    // parallelize of instances made at the prompt: the workers' function never captured P.
    await sh.type(`const made = ${JSON.stringify(xs)}.map(x => new P(x))`);
    assert.deepEqual(await json(`await sc.parallelize(made, 2).map(p => [p.label(), p.twice]).collect()`), xs.map((x) => [`p${x}`, 2 * x]));
    assert.equal(await sh.type('(await sc.parallelize(made, 2).collect()).every((p, i) => p instanceof P && p !== made[i] && p.x === made[i].x)'), 'true');
    // A class whose methods use another prompt name: at the prompt (its own class) and in the function that made it.
    await sh.type('const rate = 7');
    await sh.type('class R { constructor(x) { this.x = x } get v() { return this.x * rate } }');
    assert.deepEqual(await json(`(await sc.parallelize(${JSON.stringify(xs)}, 2).map(x => new R(x)).collect()).map(r => r.v)`), xs.map((x) => 7 * x));
    assert.deepEqual(await json(`await sc.parallelize(${JSON.stringify(xs)}, 2).map(x => new R(x).v).collect()`), xs.map((x) => 7 * x));
    // Classes only ever sent from the prompt (no function names them): rebuilt on the workers with what they use of the prompt, a parent class included.
    await sh.type('class S0 { constructor(x) { this.x = x } get v() { return this.x * rate } }');
    await sh.type('class S1 extends S0 { get w() { return this.v + 1 } }');
    assert.deepEqual(await json(`await sc.parallelize(${JSON.stringify(xs)}.map(x => new S1(x)), 3).map(s => [s.w, s instanceof s.constructor]).collect()`), xs.map((x) => [7 * x + 1, true]));

    // Node's own classes are refused as before, made on a worker or at the prompt.
    const nodeClass = /SLUICE_.*records of class URL cannot travel between processes: it is not a class of the job's code but Node's/;
    assert.match(await sh.type('sc.parallelize([1]).map(x => new URL("http://h/" + x)).collect()'), nodeClass);
    assert.match(await sh.type('sc.parallelize([new URL("http://h/")]).count()'), nodeClass);
    // A class declared at the prompt but inside a function: named as such.
    await sh.type('function mk(x) { class Inner { constructor() { this.x = x } }; return new Inner() }');
    assert.match(await sh.type('sc.parallelize([mk(1)]).count()'), /SLUICE_BAD_RECORD.*records of class Inner cannot travel between processes: the class was declared at the shell's prompt, but inside a function or block/);
    assert.equal(await sh.type('ps.count()'), String(xs.length));
    sh.child.stdin!.end();
    assert.equal(await within(sh.exited, 60_000, 'the shell to exit'), 0);
  } finally {
    if (sh.child.exitCode === null) sh.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
