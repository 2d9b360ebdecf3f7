import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { makeCall, makeTranscripts, rng, type TranscriptRow } from '../../../../examples/make-transcripts';
import { SOURCE_TABLE } from '../../../../runtime/contract';

const file = path.join(__dirname, '../../../../examples/transcripts.jsonl');
const text = readFileSync(file, 'utf8');
const rows = text
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as TranscriptRow);

describe('examples/transcripts.jsonl', () => {
  it('is exactly what the generator makes (regenerate it with examples/make-transcripts.ts)', () => {
    const expected = [...makeTranscripts()].map((r) => `${JSON.stringify(r)}\n`).join('');
    expect(text === expected).toBe(true);
  });

  it("has at least 200 calls with the source table's columns, modest in size", () => {
    expect(rows.length).toBeGreaterThanOrEqual(200);
    const columns = SOURCE_TABLE.columns.map((c) => c.name).filter((c) => c !== 'ingested_at');
    for (const r of rows) expect(Object.keys(r)).toEqual(columns);
    expect(text.length).toBeLessThan(4_000_000);
  });

  it('holds the cases a pipeline must survive: empty, over-long, other languages, duplicated ids', () => {
    const blank = rows.filter((r) => r.transcript === null || r.transcript.trim() === '');
    expect(blank.length).toBeGreaterThanOrEqual(3);
    expect(rows.filter((r) => (r.transcript ?? '').length > 400_000).length).toBeGreaterThanOrEqual(2);
    // Over the jobs' own default (DEFAULT_MAX_TRANSCRIPT_CHARS) too, whatever the configuration.
    expect(rows.some((r) => (r.transcript ?? '').length > 1_000_000)).toBe(true);
    expect(new Set(rows.filter((r) => !r.language.startsWith('en')).map((r) => r.language)).size).toBeGreaterThanOrEqual(5);
    const seen = new Map<string, TranscriptRow[]>();
    for (const r of rows) seen.set(r.transcript_id, [...(seen.get(r.transcript_id) ?? []), r]);
    const twice = [...seen.values()].filter((v) => v.length > 1);
    expect(twice.length).toBeGreaterThanOrEqual(2);
    expect(twice.some(([a, b]) => a!.transcript === b!.transcript)).toBe(true);
    expect(twice.some(([a, b]) => a!.transcript !== b!.transcript)).toBe(true);
  });

  it('covers support, billing, sales and complaints, from seconds to half an hour', () => {
    const ordinary = rows.filter(
      (r) => r.language.startsWith('en') && (r.transcript ?? '').trim() !== '' && (r.transcript ?? '').length < 400_000,
    );
    const durations = ordinary.map((r) => r.duration_seconds);
    expect(Math.min(...durations)).toBeLessThan(30);
    expect(Math.max(...durations)).toBeGreaterThan(1200);
    expect(Math.max(...durations)).toBeLessThanOrEqual(1800);
    const all = ordinary.map((r) => r.transcript).join('\n');
    for (const cue of [
      /charged twice|late payment fee|bill went up/,
      /router|no signal|log in/,
      /upgrade|second line|better deals/,
      /make a complaint|really unhappy|furious/,
    ]) {
      expect(all).toMatch(cue);
    }
  });
});

describe('makeCall', () => {
  it('is deterministic for a seed and grows with the words asked for', () => {
    expect(makeCall(rng(7), 600)).toEqual(makeCall(rng(7), 600));
    const short = makeCall(rng(1), 200).text.split(/\s+/).length;
    const long = makeCall(rng(1), 3000).text.split(/\s+/).length;
    expect(short).toBeGreaterThanOrEqual(200);
    expect(long).toBeGreaterThanOrEqual(3000);
    expect(long).toBeLessThan(3300);
  });

  it('makes plain files of any size without special rows', () => {
    const plain = [...makeTranscripts({ count: 50, plain: true, seed: 3 })];
    expect(new Set(plain.map((r) => r.transcript_id)).size).toBe(50);
    expect(plain.every((r) => (r.transcript ?? '').trim() !== '' && r.language.startsWith('en'))).toBe(true);
  });

  it('makes calls of a chosen length, for benchmarks', () => {
    const sized = [...makeTranscripts({ count: 40, plain: true, words: 700 })].map((r) => r.transcript!.split(/\s+/).length);
    expect(Math.min(...sized)).toBeGreaterThanOrEqual(700);
    expect(Math.max(...sized)).toBeLessThan(900);
  });
});
