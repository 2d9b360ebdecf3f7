/**
 * The local analyzer's speed on 4 KB transcripts, against a baseline measured in the same run: the
 * JSON parse and serialise of the same lines, the least any stand-in for the model must do.
 *
 *   node bin/run-ts.js bench/analyzer.ts [--records N] [--chars N] [--rounds N]
 *
 * Prints a markdown table; bench/results/analyzer.md records one run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeCall, rng } from '../examples/make-transcripts';
import { analyzeFile, analyzeLine } from '../runtime/adapters/local/analyzer';
import { FolderStore } from '../runtime/adapters/local/folder-store';
import { DEFAULT_ANALYSIS } from '../runtime/contract';
import { requestLine, requestTemplate } from '../runtime/core/requests';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const records = flag('records', 2000);
const chars = flag('chars', 4096);
const rounds = flag('rounds', 5);

/** Transcripts of about `chars` characters: whole calls, cut at a line end. */
function transcripts(n: number): string[] {
  const r = rng(42);
  const out: string[] = [];
  while (out.length < n) {
    const call = makeCall(r, Math.ceil(chars / 4.5)).text;
    const cut = call.lastIndexOf('\n', chars);
    out.push(call.length <= chars ? call : call.slice(0, cut > 0 ? cut : chars));
  }
  return out;
}

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function timeAsync(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Medians of `rounds` rounds after one warm-up; each round runs every measurement once, in turn, so
 * that a busy moment of the machine weighs on all of them alike.
 */
async function interleaved(fns: ReadonlyArray<() => Promise<number> | number>): Promise<number[]> {
  for (const fn of fns) await fn();
  const runs: number[][] = fns.map(() => []);
  for (let i = 0; i < rounds; i++) for (const [k, fn] of fns.entries()) runs[k]!.push(await fn());
  return runs.map((r) => r.sort((a, b) => a - b)[Math.floor(r.length / 2)]!);
}

async function main(): Promise<void> {
  const template = requestTemplate(DEFAULT_ANALYSIS);
  const texts = transcripts(records);
  const lines = texts.map((t, i) => requestLine(template, { recordId: `r${i}`, transcript: t }));
  const avgChars = Math.round(texts.reduce((a, t) => a + t.length, 0) / texts.length);
  const now = () => new Date('2026-01-01T00:00:00Z');

  let sink = 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'tap-bench-'));
  const store = new FolderStore(dir, 'bench');
  await store.writeText('input.jsonl', `${lines.join('\n')}\n`);
  let run = 0;
  const [baseline, analyzer, file] = (await interleaved([
    () =>
      time(() => {
        for (const l of lines) sink += JSON.stringify(JSON.parse(l)).length;
      }),
    () =>
      time(() => {
        for (const l of lines) sink += JSON.stringify(analyzeLine(l, { now })).length;
      }),
    () => timeAsync(async () => void (await analyzeFile(store, 'input.jsonl', `out-${run++}`, { now }))),
  ])) as [number, number, number];
  rmSync(dir, { recursive: true, force: true });
  const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);

  const rate = (s: number) => Math.round(records / s).toLocaleString('en-US');
  const row = (name: string, s: number) => `| ${name} | ${rate(s)} | ${(s / baseline).toFixed(1)}× |`;
  process.stdout.write(
    [
      `${records} request lines, transcripts of ${avgChars} characters on average, median of ${rounds} interleaved rounds after a warm-up`,
      '',
      '| what | records per second | time against the baseline |',
      '|---|---:|---:|',
      row('baseline: JSON.parse + JSON.stringify of each line', baseline),
      row('analyzeLine: NLP answer + Vertex output line', analyzer),
      row('analyzeFile: the same, streamed from and to a folder', file),
      '',
      `peak resident memory of the process: ${peakMiB} MiB (node ${process.version}, ${process.platform}/${process.arch})`,
      '',
    ].join('\n'),
  );
  if (sink === 0) process.stdout.write('\n');
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
