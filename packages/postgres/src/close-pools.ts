import { endCachedPools } from './pool-cache.js';

/**
 * Ends every pg pool of this job thread (the connections close in order).
 *
 * A module of its own so that the package's public declarations never import 'pg', which has
 * no types of its own (they are DefinitelyTyped's @types/pg, not a dependency of ours):
 * pool-cache.d.ts names pg.Pool, and a user's `tsc` with skipLibCheck false and no @types/pg
 * failed inside it with TS7016 while index.d.ts re-exported closePools from there.
 */
export function closePools(): Promise<void> {
  return endCachedPools();
}
