import assert from 'node:assert/strict';
import { test } from 'node:test';
import { earlierJobsNote, missingJobReason, type JobNumbering } from '../../src/job/missing-job.js';

// 2026-12-07 08:05:54 UTC
const AT = Date.UTC(2026, 11, 7, 8, 5, 54);

const restarted: JobNumbering = {
  kept: ['job-0007-aaaaaa', 'job-0009-bbbbbb'],
  relaunched: new Set(['job-0007-aaaaaa', 'job-0002-cccccc']),
  nextNumber: 10,
  startedAt: AT,
  stateDir: '/var/lib/sluice',
  earlierBelow: 8,
  retainedJobs: 200,
};

test('missingJobReason: an earlier driver\'s ended job, a relaunched one no longer kept, one of this driver past --retained-jobs, a number not given, a mistyped suffix, not an id', () => {
  assert.match(missingJobReason('job-0003-dddddd', restarted), /^job-0003 was submitted to an earlier driver on its --state-dir \/var\/lib\/sluice, before this driver started at 2026-12-07 08:05:54 UTC: a restarted driver relaunches only/);
  // Relaunched here, then ended and forgotten: this driver's, not the earlier one's.
  assert.equal(missingJobReason('job-0002-cccccc', restarted), 'job-0002 ended and is no longer kept: this driver keeps its last 200 finished jobs (sluice driver --retained-jobs)');
  assert.equal(missingJobReason('job-0008-eeeeee', restarted), 'job-0008 ended and is no longer kept: this driver keeps its last 200 finished jobs (sluice driver --retained-jobs)');
  assert.equal(missingJobReason('job-0010-ffffff', restarted), 'no job numbered 10 was submitted to it: the last number it gave is 9');
  assert.equal(missingJobReason('job-0009-000000', restarted), 'the job it numbered 9 is job-0009-bbbbbb (is the id mistyped?)');
  assert.equal(missingJobReason('app-20261207', restarted), "'app-20261207' is not a job id: ids look like job-0001-5b6f72, as sluice submit and sluice jobs print them");
});

test('missingJobReason without --state-dir: its numbers started from 1 at its start, an earlier driver\'s jobs went with it', () => {
  const fresh: JobNumbering = { kept: ['job-0001-aaaaaa'], relaunched: new Set(), nextNumber: 2, startedAt: AT, stateDir: undefined, earlierBelow: undefined, retainedJobs: 1 };
  const since = '; this driver started at 2026-12-07 08:05:54 UTC without --state-dir: an earlier driver\'s jobs went with it, and its job numbers start from 1 again';
  assert.equal(missingJobReason('job-0001-bbbbbb', fresh), `the job it numbered 1 is job-0001-aaaaaa (is the id mistyped?)${since}`);
  assert.equal(missingJobReason('job-0004-bbbbbb', fresh), `no job numbered 4 was submitted to it: the last number it gave is 1${since}`);
  assert.equal(missingJobReason('job-0001-bbbbbb', { ...fresh, kept: [] }), `job-0001 ended and is no longer kept: this driver keeps its last finished job (sluice driver --retained-jobs)${since}`);
  assert.equal(earlierJobsNote(fresh), undefined);
});

test('earlierJobsNote: the earlier numbers not relaunched, as ranges; nothing when every one was relaunched', () => {
  assert.equal(
    earlierJobsNote(restarted),
    'this driver started at 2026-12-07 08:05:54 UTC on the --state-dir /var/lib/sluice of an earlier driver: it relaunched the 2 jobs running when that one stopped, and has nothing of its 5 jobs numbered 1, 3-6, which had ended (or were sluice shells): a restarted driver keeps no ended job (README: Driver restarts). Said until 200 more jobs end here, when they would have left this list (--retained-jobs 200)',
  );
  const all = { ...restarted, earlierBelow: 3, relaunched: new Set(['job-0001-aaaaaa', 'job-0002-bbbbbb']) };
  assert.equal(earlierJobsNote(all), undefined);
  const none = { ...restarted, relaunched: new Set<string>() };
  assert.match(earlierJobsNote(none)!, /it relaunched no job \(none was running when that one stopped\), and has nothing of its 7 jobs numbered 1-7,/);
  // A new state dir (no earlier driver): nothing to say.
  assert.equal(earlierJobsNote({ ...restarted, earlierBelow: undefined }), undefined);
});

test('earlierJobsNote: the last earlier driver\'s jobs alone (those of drivers before it were told of at their restart); gone once --retained-jobs jobs ended here', () => {
  // The last driver numbered from 5: jobs 1-4 were an older driver's (the restart before told of them).
  assert.match(earlierJobsNote({ ...restarted, earlierFrom: 5 })!, /and has nothing of its 2 jobs numbered 5-6, which had ended/);
  // Every number of the last driver relaunched: nothing to say, though older ones are gone.
  assert.equal(earlierJobsNote({ ...restarted, earlierFrom: 7 }), undefined);
  // Ended here: 199 of 200, one more; 200, they would have left the list.
  assert.match(earlierJobsNote({ ...restarted, endedHere: 199 })!, /\. Said until a job ends here, when they would have left this list \(--retained-jobs 200\)$/);
  assert.equal(earlierJobsNote({ ...restarted, endedHere: 200 }), undefined);
  assert.match(earlierJobsNote({ ...restarted, earlierFrom: 6, retainedJobs: 3, endedHere: 1 })!, /has nothing of its job numbered 6, .*Said until 2 more jobs end here, when it would have left this list \(--retained-jobs 3\)$/);
});
