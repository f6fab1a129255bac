// A receiver's outage and its recovery, as `sluice jobs`, REST streaming/receivers and the
// Streaming page (in Debian's Chromium) show them. The fixture receiver-recovery.ts stores 5
// records and reports an error in the same turn (its source went offline), then nothing until
// the test makes <dir>/resume, then 3 records every 100 ms. Spark's receiver table leaves the
// error standing beside ACTIVE with only the rate chart to tell; here the error is kept with its
// time and the receiver is said to be receiving again once records come after the error:
// - during the outage (the 5 records taken by a batch, so reported to the driver): REST has no
//   receivingAgainTime, the page's State says "ACTIVE, nothing received since the error", and
//   `sluice jobs` prints the error with no "receiving again" line;
// - after the resume: REST's receivingAgainTime is after the error's time and after the resume
//   file was made (no record came before it), the page says "ACTIVE, receiving again since
//   <that time>", `sluice jobs` prints "receiving again", its first block no longer ago than the error.
// Screenshots: test-artifacts/receiver-recovery-outage.png, receiver-recovery-again.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bundleJob } from '../src/bundle-job.js';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, jsonLines, pollUntil, runCli, within, withCluster } from './harness.js';

const ERROR = 'source offline: connection refused';

interface ReceiverJson {
  streamId: number;
  streamName: string;
  isActive: boolean;
  lastErrorMessage?: string;
  lastErrorTime?: string;
  receivingAgainTime?: string;
}

const restMs = (d: string): number => Date.parse(d.replace('GMT', 'Z'));

test("a receiver's outage and recovery: the error kept with its time, and 'receiving again' once records come after it (REST, sluice jobs, Chromium)", { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-receiver-recovery-'));
  const browser = await launchChromium();
  try {
    await withCluster({ workers: 1, coresPerWorker: 2, driver: { webPort: 0 } }, async (h) => {
      const driver = h.cluster.driver;
      const bundle = await bundleJob(fixture('receiver-recovery.ts'));
      const job = driver.submit({ name: 'receiver-recovery', code: bundle.code, sourceMap: bundle.sourceMap, args: [dir, '300'] });
      const printed: string[] = [];
      job.on('output', (l) => printed.push(l));
      const ended = new Promise<string>((r) => job.once('end', (s) => r(s)));
      const web = `http://127.0.0.1:${driver.webPort}`;
      const receiver = async (): Promise<ReceiverJson> => ((await (await fetch(`${web}/api/v1/applications/${job.id}/streaming/receivers`)).json()) as ReceiverJson[])[0]!;
      const env = { SLUICE_SECRET: h.cluster.secret, SLUICE_SECRET_FILE: '' };
      const jobs = async (): Promise<string> => {
        const r = await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 30_000 });
        assert.equal(r.code, 0, r.stderr);
        return r.stdout;
      };
      const counted = (): number => jsonLines<{ records: number }>(printed, 'COUNT ').reduce((n, c) => n + c.records, 0);

      // The outage: the 5 records stored before the error are in a batch, nothing after.
      await pollUntil(() => (counted() === 5 ? true : undefined), 90_000, 'a batch to count the 5 records stored before the error');
      const during = await receiver();
      assert.equal(during.lastErrorMessage, ERROR);
      assert.ok(during.lastErrorTime, JSON.stringify(during));
      assert.equal(during.isActive, true);
      assert.equal(during.receivingAgainTime, undefined, `records stored before the error are no recovery: ${JSON.stringify(during)}`);
      const out1 = await jobs();
      assert.match(out1, new RegExp(`^${job.id} last receiver error, \\d+\\.\\d s ago: stream 0 \\(FlakySource\\) on \\S+: ${ERROR}$`, 'm'), out1);
      assert.doesNotMatch(out1, /receiving again/, out1);
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      await page.goto(`${web}/jobs/${job.id}/streaming/`);
      const state = (): Promise<string> => inPage<string>(page, `document.querySelector('#receivers tbody tr td:nth-child(4)')?.textContent ?? ''`);
      await pollUntil(async () => ((await state()) !== '' ? true : undefined), 30_000, 'the receivers table');
      assert.equal(await state(), 'ACTIVE, nothing received since the error');
      await page.screenshot({ path: path.join(ARTIFACTS, 'receiver-recovery-outage.png'), fullPage: true });

      // The source comes back.
      const resumedAt = Date.now();
      fs.writeFileSync(path.join(dir, 'resume'), '');
      const again = await pollUntil(async () => {
        const r = await receiver();
        return r.receivingAgainTime !== undefined ? r : undefined;
      }, 60_000, 'REST to say the receiver receives again');
      assert.equal(again.lastErrorMessage, ERROR, 'the error is kept');
      assert.equal(again.lastErrorTime, during.lastErrorTime, 'with its time');
      // REST dates have ms; the driver's clock is this machine's.
      assert.ok(restMs(again.receivingAgainTime!) >= resumedAt, `${again.receivingAgainTime} is after the resume at ${new Date(resumedAt).toISOString()}`);
      assert.ok(restMs(again.receivingAgainTime!) > restMs(again.lastErrorTime!));
      const out2 = await pollUntil(async () => {
        const o = await jobs();
        return /receiving again/.test(o) ? o : undefined;
      }, 30_000, 'sluice jobs to say receiving again');
      const errAgo = Number(new RegExp(`^${job.id} last receiver error, (\\d+\\.\\d) s ago: `, 'm').exec(out2)?.[1]);
      const m = new RegExp(`^${job.id} receiving again: that receiver has reported records since, the first (\\d+\\.\\d) s ago$`, 'm').exec(out2);
      assert.ok(m, out2);
      assert.ok(Number(m[1]) <= errAgo, out2);
      const shown = await pollUntil(async () => {
        const s = await state();
        return s.startsWith('ACTIVE, receiving again since ') ? s : undefined;
      }, 30_000, "the page's State to say receiving again");
      // The time shown is REST's, in the page's format (HH:mm:ss at the end).
      const hms = new Date(restMs(again.receivingAgainTime!)).toTimeString().slice(0, 8);
      assert.ok(shown.endsWith(hms), `${shown} ends with ${hms}`);
      assert.equal(await inPage<string>(page, `document.querySelector('#receivers tbody tr td:nth-child(7)')?.textContent ?? ''`), ERROR);
      await page.screenshot({ path: path.join(ARTIFACTS, 'receiver-recovery-again.png'), fullPage: true });

      fs.writeFileSync(path.join(dir, 'stop'), '');
      assert.equal(await within(ended, 60_000, 'the job to stop'), 'succeeded', printed.join('\n'));
    });
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
