/**
 * Several analyses per run on the laptop: N transcripts of about 4 KB through `runLocalPipeline`
 * with pass1 alone, then with the three example analyses beside it (a QA scorecard, call reasons,
 * and a follow-up pass chained on pass1's summary), then again after a change to pass1's prompt
 * (which runs pass1 and the chained pass again, and nothing else). Each in a fresh process and work
 * folder, except the re-run, which continues the work folder of the run before it.
 *
 *   node bin/run-ts.js bench/analyses.ts [--records 2000] [--batch-size 500]
 *
 * Writes bench/results/analyses.md.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AnalysisSpec, DEFAULT_ANALYSIS } from '../runtime/contract';
import { runLocalPipeline } from '../runtime/local/pipeline';
import { argText, makeTranscripts, ROOT } from './common';

const example = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'analyses', file), 'utf8')) as AnalysisSpec;
const MORE = { qa: example('qa-scorecard.json'), reasons: example('call-reasons.json'), followup: example('follow-up.json') };
const CHANGED = { ...DEFAULT_ANALYSIS, systemInstruction: `${DEFAULT_ANALYSIS.systemInstruction} Name the product when the caller does.` };

interface Measured {
  readonly mode: string;
  readonly seconds: number;
  readonly planned: Record<string, number>;
  readonly tokensIn: number;
}

/** One measurement, in this process; prints a JSON line. */
async function measure(mode: string, file: string, workdir: string, batchSize: number): Promise<void> {
  const several = mode !== 'pass1';
  const started = process.hrtime.bigint();
  const result = await runLocalPipeline({
    workdir,
    transcripts: mode === 'changed' ? undefined : file,
    analysis: mode === 'changed' ? CHANGED : DEFAULT_ANALYSIS,
    analyses: several ? MORE : {},
    batchSize,
    maxConcurrentBatches: 4,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.state !== 'SUCCEEDED') throw new Error(JSON.stringify(result.error));
  const summaries = result.summaries!;
  const out: Measured = {
    mode,
    seconds,
    planned: Object.fromEntries(summaries.map((s) => [s.analysis, s.records_total])),
    tokensIn: summaries.reduce((n, s) => n + s.tokens_in, 0),
  };
  console.log(JSON.stringify(out));
}

function child(mode: string, file: string, workdir: string, batchSize: number): Measured {
  const out = execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'run-ts.js'),
      __filename,
      '--measure',
      mode,
      '--file',
      file,
      '--workdir',
      workdir,
      '--batch-size',
      String(batchSize),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Measured;
}

async function main(): Promise<void> {
  const mode = argText('measure', '');
  if (mode) return measure(mode, argText('file', ''), argText('workdir', ''), Number(argText('batch-size', '500')));
  const records = Number(argText('records', '2000'));
  const batchSize = Number(argText('batch-size', '500'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bench-analyses-'));
  try {
    const file = path.join(scratch, 'transcripts.jsonl');
    makeTranscripts(records, file);
    const alone = child('pass1', file, path.join(scratch, 'alone'), batchSize);
    const several = child('several', file, path.join(scratch, 'several'), batchSize);
    const changed = child('changed', file, path.join(scratch, 'several'), batchSize);
    const rate = (m: Measured) => Object.values(m.planned).reduce((a, b) => a + b, 0) / m.seconds;
    const row = (label: string, m: Measured) =>
      `| ${label} | ${Object.entries(m.planned)
        .map(([a, n]) => `${a} ${n.toLocaleString('en-US')}`)
        .join(
          ', ',
        )} | ${m.seconds.toFixed(1)} | ${rate(m).toFixed(0)} | ${(m.tokensIn / 1e6).toFixed(2)} | ${(m.seconds / alone.seconds).toFixed(2)}× |`;
    const text = `# Several analyses per run

\`node bin/run-ts.js bench/analyses.ts --records ${records} --batch-size ${batchSize}\`, ${new Date().toISOString().slice(0, 10)}, Node.js ${process.version}, ${os.cpus().length} cores.

| run | records planned, by analysis | s | records/s (all analyses) | prompt tokens, M | time ÷ pass1 alone |
|---|---|---:|---:|---:|---:|
${row('pass1 alone', alone)}
${row('pass1 + qa + reasons + followup (after pass1)', several)}
${row('the same after a change to the prompt of pass1', changed)}

How it was measured: ${records.toLocaleString('en-US')} transcripts of about 4 KB (the bundled examples' texts cut or
repeated to size, new ids), \`runLocalPipeline\` with \`maxConcurrentBatches: 4\` and the local analyzer, each run in
its own process; the first two in fresh work folders (their times include loading the transcripts), the third
in the second's folder with pass1's system instruction changed. The third run plans pass1 and the chained followup again (their versions changed) and
nothing for qa and reasons, whose versions did not: that is the saving of keeping versions per analysis.
The followup pass reads pass1's summary instead of the transcript, so its prompts are a fraction of the others'
(the tokens column). Time is the local analyzer's, roughly proportional to the text it reads; on Google Cloud the
analyses of a run follow one another the same way, each with its own batches and Vertex AI jobs.
`;
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'analyses.md'), text);
    process.stdout.write(text);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
