// An S3 endpoint that is not an http(s) URL, as a user meets it in `sluice run`:
// AWS_ENDPOINT_URL=127.0.0.1:4568 (no scheme), `localhost`, `s3://host:port`. The job fails
// naming the variable, the value and the form to write; before, it read "saveAsTextFile (list)
// of s3://bucket/out/ failed at bucket 'bucket' at endpoint 127.0.0.1:4568: TypeError: Invalid
// URL" (the SDK's words; `s3://` gave its "Custom endpoint ... was not a valid URI"). The same
// job with the endpoint as http://host:port saves to a real s3rver (the control). 1 worker.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startS3rver, S3RVER_KEY_ID, S3RVER_SECRET, type S3rverProcess } from './s3rver-process.js';
import { fixture, SLUICE_BIN } from './sluice-cluster.js';

const BUCKET = 'sluice-endpoint';
let s3: S3rverProcess | undefined;

before(async () => {
  s3 = await startS3rver([BUCKET]);
});

after(async () => {
  await s3?.stop();
});

/** `sluice run --workers 1` of the fixture with `env` over s3rver's credentials: its exit code and stderr. */
function run(dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SLUICE_BIN, 'run', '--workers', '1', fixture('s3-save-lines.ts'), `s3://${BUCKET}/${dir}`], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: S3RVER_KEY_ID, AWS_SECRET_ACCESS_KEY: S3RVER_SECRET, AWS_ENDPOINT_URL_S3: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => child.once('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}

test('sluice run: an endpoint without its scheme, a bare host or an s3:// one fails naming AWS_ENDPOINT_URL, the value and the form; http://host:port saves', { timeout: 240_000 }, async () => {
  const hostPort = s3!.endpoint.replace(/^http:\/\//, '');
  const ok = await run('good', { AWS_ENDPOINT_URL: s3!.endpoint });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^SAVED$/m);
  assert.ok((await s3!.list(BUCKET, 'good/')).some((o) => o.key === 'good/_SUCCESS'), 'the control committed its directory');
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const [value, perhaps] of [[hostPort, true], ['localhost', true], [`s3://${hostPort}`, false]] as const) {
    const bad = await run('bad', { AWS_ENDPOINT_URL: value });
    assert.equal(bad.code, 1, bad.stderr);
    const line = bad.stderr.split('\n').find((l) => l.includes('AWS_ENDPOINT_URL')) ?? '';
    assert.match(line, new RegExp(`SLUICE_BAD_ARGUMENT.*@sluice/s3: AWS_ENDPOINT_URL: got "${esc(value)}", which is not an http\\(s\\) URL; give the endpoint with its scheme and port`), bad.stderr);
    if (perhaps) assert.ok(line.includes(`perhaps 'http://${value}'`), line);
    assert.doesNotMatch(bad.stderr, /Invalid URL|not a valid URI/, bad.stderr);
  }
  assert.deepEqual(await s3!.list(BUCKET, 'bad/'), [], 'nothing written by the failed runs');
});
