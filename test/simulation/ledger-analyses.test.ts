/**
 * Exactly once for every analysis of a pipeline: random histories of runs, crashes, recoveries,
 * clear-history and a changed pass1 (see lab.ts and histories.ts), with three analyses in every run:
 * pass1, one over the transcripts and one chained on pass1's summary.
 */
import { checkHistories } from './fixed-set';

checkHistories([101], { several: true, runs: 20 });
