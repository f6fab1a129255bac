// A test's SIGSTOP and SIGCONT of a process, recorded so that a test that never resumes its
// victim (it timed out) leaves none stopped (@sluice/test-disk/pause), for the connector
// packages' tests.
export { killPaused, pause, resume, resumeAll, type Victim } from '@sluice/test-disk/pause';
