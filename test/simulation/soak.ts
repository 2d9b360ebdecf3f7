/**
 * Runs many random histories of the laptop pipeline against the ledger's invariants (the same
 * property as test/simulation/ledger.test.ts), for as long as wanted:
 *
 *   npm run soak -- --runs 10000 --seed 1 [--concurrency 2] [--record]
 *
 * Histories run in `--concurrency` independent streams, seeds S, S+1, ...; each stream stops at its
 * first failing history and prints it shrunk to the smallest failing one, with the seed and path to
 * replay it. Prints progress as it goes, and at the end how many histories ran, how long they took,
 * and what they did; `--record` also writes that to bench/results/soak.md (for bench/RESULTS.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { historiesHold } from './histories';
import { STATS } from './lab';

interface SoakOptions {
  readonly runs: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly record: boolean;
}

function options(argv: readonly string[]): SoakOptions {
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(`--${name}`);
    if (i === -1) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`--${name} takes a whole number from 1, got ${argv[i + 1] ?? 'nothing'}\n`);
      process.exit(2);
    }
    return n;
  };
  const known = ['--runs', '--seed', '--concurrency'];
  const unknown = argv.filter((a, i) => a.startsWith('--') && ![...known, '--record'].includes(a) && !known.includes(argv[i - 1] ?? ''));
  if (unknown.length > 0) {
    process.stderr.write(`unknown option ${unknown[0]}; usage: npm run soak -- --runs N --seed S [--concurrency C] [--record]\n`);
    process.exit(2);
  }
  return { runs: value('runs', 1000), seed: value('seed', 1), concurrency: value('concurrency', 2), record: argv.includes('--record') };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const started = Date.now();
  let done = 0;
  // Counts every history run, those of shrinking a failure included.
  const progress = () => {
    done++;
    if (done % 100 === 0) {
      const seconds = (Date.now() - started) / 1000;
      process.stderr.write(`${done} histories run, ${seconds.toFixed(0)} s, ${(done / seconds).toFixed(1)} per second\n`);
    }
  };
  const streams = Array.from({ length: Math.min(o.concurrency, o.runs) }, (_, i) => ({
    seed: o.seed + i,
    runs: Math.floor(o.runs / o.concurrency) + (i < o.runs % o.concurrency ? 1 : 0),
  }));
  const outcomes = await Promise.all(streams.map((s) => fc.check(historiesHold(progress), { seed: s.seed, numRuns: s.runs })));
  const seconds = (Date.now() - started) / 1000;
  const failed = outcomes.filter((r) => r.failed);
  const ran = outcomes.reduce((n, r) => n + r.numRuns, 0);
  process.stdout.write(
    JSON.stringify(
      {
        histories: ran,
        seconds: Math.round(seconds),
        violations: failed.length,
        seeds: streams.map((s) => s.seed),
        what_they_did: STATS,
      },
      null,
      2,
    ) + '\n',
  );
  for (const r of failed) process.stderr.write(`${fc.defaultReportMessage(r) ?? 'failed'}\n`);
  if (o.record)
    record(
      o,
      streams.map((s) => s.seed),
      ran,
      seconds,
      failed.length,
    );
  process.exit(failed.length > 0 ? 1 : 0);
}

/** Writes bench/results/soak.md: how many histories ran, how long, with how many violations, and what they did. */
function record(o: SoakOptions, seeds: readonly number[], ran: number, seconds: number, violations: number): void {
  const file = path.join(__dirname, '..', '..', 'bench', 'results', 'soak.md');
  const cpu = os.cpus();
  const rows = Object.entries(STATS)
    .filter(([k]) => !k.startsWith('ms '))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `| ${k} | ${Math.round(v).toLocaleString('en-US')} |`);
  const text = `# The ledger under random histories (soak)

\`npm run soak -- --runs ${o.runs} --seed ${o.seed} --concurrency ${o.concurrency} --record\`, ${new Date().toISOString().slice(0, 10)}, on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'} with Node.js ${process.version}.

| Measure | Result |
|---|---|
| Histories run | ${ran.toLocaleString('en-US')} (seeds ${seeds.join(', ')}) |
| Invariants violated | ${violations} |
| Time | ${Math.round(seconds).toLocaleString('en-US')} s (${(ran / seconds).toFixed(1)} histories per second) |

Each history is a random sequence of up to 12 commands on a fresh laptop work folder (see
\`test/simulation/\`): runs with random batch sizes, concurrency, batch attempts and faults, any of them
cut short by the process dying after its n-th write or commit, recovery in every form, clear-history,
a changed analysis, changed and new transcripts, a reused execution id. After every command every
invariant of the ledger is checked against the tables: one result and one \`processed_records\` row per
record and version (I1), one state per record and summaries that add up, with nothing left open after
a clean run (I2), nothing analysed sent to the model again (I3), \`report\`, \`status\` and
\`batch_status\` equal to an independent reading of the tables, and a clock that never runs backwards
(I4), only a record's own answers using up its attempts (I5).

What the histories did:

| | Count |
|---|---|
${rows.join('\n')}
`;
  fs.writeFileSync(file, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}

void main();
