// The connector tests' job runner (@sluice/test-servers/job-runner: startCluster, startJob,
// jsonLines, freePort, mulberry32), with this package's fixtures.
import { fixturesOf } from '@sluice/test-servers/job-runner';

/** packages/redis/test/fixtures/<name> (tests run from packages/redis/dist/test). */
export const fixture = fixturesOf(new URL('../../', import.meta.url));
export * from '@sluice/test-servers/job-runner';
