/** What the benchmarks share: reading their flags, timing, medians, and transcripts made to size. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..');

/** The value after `--name` on the command line, or `fallback`. */
export function argText(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** The number after `--name` on the command line, or `fallback`. */
export function argNumber(name: string, fallback: number): number {
  return Number(argText(name, String(fallback)));
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Milliseconds `fn` takes. */
export async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** N transcripts of about 4 KB: the bundled examples' texts, cut or repeated to size, new ids. */
export function makeTranscripts(n: number, file: string): void {
  const texts = fs
    .readFileSync(path.join(ROOT, 'examples', 'transcripts.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { transcript: string | null }).transcript ?? '')
    .filter((t) => t.length > 500);
  const out = fs.openSync(file, 'w');
  for (let i = 0; i < n; i++) {
    let text = texts[i % texts.length]!;
    while (text.length < 4000) text += '\n' + text;
    text = text.slice(0, 4000 + (i % 200));
    fs.writeSync(out, JSON.stringify({ transcript_id: `bench-${String(i).padStart(7, '0')}`, transcript: text, channel: 'phone' }) + '\n');
  }
  fs.closeSync(out);
}

/** Runs candidate and baseline once each to warm up, then alternately `runs` times; medians in ms. */
export async function alternate(candidate: () => Promise<unknown> | unknown, baseline: () => Promise<unknown> | unknown, runs: number) {
  await candidate();
  await baseline();
  const c: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    c.push(await time(candidate));
    b.push(await time(baseline));
  }
  return { candidate: median(c), baseline: median(b), ratio: median(c) / median(b) };
}
