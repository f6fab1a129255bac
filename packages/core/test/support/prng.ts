/** Small seeded PRNG in [0, 1), so a failing case can be replayed: the one core samples with. */
export { mulberry32 } from '../../src/util/random.js';
