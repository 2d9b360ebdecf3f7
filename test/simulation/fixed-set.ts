/** The fixed set of histories `npm test` runs: 50 per seed, each seed's histories one after another. */
import fc from 'fast-check';
import { historiesHold } from './histories';

export const HISTORIES_PER_SEED = 50;

/** One jest test per seed; a failure prints the history shrunk to the smallest one that fails, with its seed. */
export function checkHistories(
  seeds: readonly number[],
  options: { readonly several?: boolean; readonly auto?: boolean; readonly runs?: number } = {},
): void {
  const what = [
    ...(options.several ? [', with three analyses (one chained) in every run'] : []),
    ...(options.auto ? [', three runs in four sizing their batches with auto'] : []),
  ].join('');
  describe(`the ledger under random histories of runs, crashes and recoveries${what}`, () => {
    test.each(seeds)(
      'seed %d: every history keeps every invariant',
      async (seed) => {
        await fc.assert(historiesHold(undefined, options), { seed, numRuns: options.runs ?? HISTORIES_PER_SEED });
      },
      900_000,
    );
  });
}
