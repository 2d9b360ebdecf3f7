/**
 * Exactly once, under random histories of runs, crashes and recoveries (see lab.ts for the
 * invariants and histories.ts for the commands): part 3 of the fixed set of 300 histories, split
 * in three files so that they run beside the other suites. `npm run soak -- --runs N --seed S` runs
 * as many more as wanted.
 */
import { checkHistories } from './fixed-set';

checkHistories([53, 67]);
