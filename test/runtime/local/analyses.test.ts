/**
 * Several analyses on the laptop: the shipped examples (a QA scorecard, call reasons, and a
 * follow-up pass over pass1's summary) run in one run, each with its own results table, version,
 * ledger rows and executions; a change to the upstream's prompt runs the chained analysis again and
 * nothing else.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AnalysisSpec, DEFAULT_ANALYSIS, planAnalyses, resultsTableName, TABLE_NAMES } from '../../../runtime/contract';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { parseFaults } from '../../../runtime/local/faults';
import { runLocalPipeline } from '../../../runtime/local/pipeline';

const ROOT = path.join(__dirname, '..', '..', '..');
const example = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'analyses', file), 'utf8')) as AnalysisSpec;
const ANALYSES = { qa: example('qa-scorecard.json'), reasons: example('call-reasons.json'), followup: example('follow-up.json') };
const NAMES = ['pass1', 'followup', 'qa', 'reasons'];

function sample(n: number): string {
  const lines = fs
    .readFileSync(path.join(ROOT, 'examples', 'transcripts.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .slice(0, n);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tap-analyses-in-')), 'transcripts.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Per analysis: results rows and distinct records by version, and processed_records rows by version. */
async function ledger(dir: string) {
  const ws = await openLocalWorkspace(dir, DEFAULT_ANALYSIS, ANALYSES);
  try {
    const q = (sql: string) => ws.warehouse.query({ sql, params: {} });
    const out: Record<string, { results: Record<string, [number, number]>; processed: Record<string, [number, number]> }> = {};
    for (const name of NAMES) {
      const results = await q(
        `SELECT analysis_version AS v, COUNT(*) AS n, COUNT(DISTINCT record_id) AS d FROM ${ws.warehouse.table(resultsTableName(name))} GROUP BY 1`,
      );
      out[name] = { results: Object.fromEntries(results.map((r) => [String(r.v), [Number(r.n), Number(r.d)]])), processed: {} };
    }
    const processed = await q(
      `SELECT analysis_version AS v, COUNT(*) AS n, COUNT(DISTINCT record_id) AS d FROM ${ws.warehouse.table(TABLE_NAMES.processedRecords)} GROUP BY 1`,
    );
    const errors = await q(`SELECT analysis, analysis_version AS v, error_type FROM ${ws.warehouse.table(TABLE_NAMES.errorTracking)}`);
    return { out, processed: Object.fromEntries(processed.map((r) => [String(r.v), [Number(r.n), Number(r.d)]])), errors };
  } finally {
    await ws.close();
  }
}

describe('several analyses on the laptop', () => {
  test('three analyses, one chained, run in one run with their own tables and versions; an upstream change re-runs only what reads it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-analyses-'));
    const transcripts = sample(24);
    const first = await runLocalPipeline({ workdir: dir, transcripts, analyses: ANALYSES, executionId: 'first', batchSize: 10 });
    expect(first.state).toBe('SUCCEEDED');
    expect(first.summaries!.map((s) => s.execution_id)).toEqual(['first', 'first-followup', 'first-qa', 'first-reasons']);
    const versions = Object.fromEntries(planAnalyses({ pass1: DEFAULT_ANALYSIS, ...ANALYSES }).map((a) => [a.name, a.version]));
    expect(first.summaries!.map((s) => s.analysis_version)).toEqual(NAMES.map((n) => versions[n]));
    expect(new Set(Object.values(versions)).size).toBe(4);

    const once = await ledger(dir);
    // One transcript of the sample is empty: an error row for each unchained analysis, and the
    // chained one never plans it (pass1 has no result for it).
    const analysed = first.summaries![0]!.records_succeeded;
    expect(analysed).toBeGreaterThan(20);
    for (const name of NAMES) {
      expect(once.out[name]!.results).toEqual({ [versions[name]!]: [analysed, analysed] });
    }
    expect(first.summaries![1]!.records_total).toBe(analysed);
    expect(once.errors.map((e) => e.analysis).sort()).toEqual(['pass1', 'qa', 'reasons']);
    for (const name of NAMES) {
      const [rows, records] = once.processed[versions[name]!]!;
      expect(rows).toBe(records);
    }

    // The example QA score: the weights of the questions answered yes over those that applied.
    const ws = await openLocalWorkspace(dir, DEFAULT_ANALYSIS, ANALYSES);
    const scores = await ws.warehouse.query({ sql: fs.readFileSync(path.join(ROOT, 'examples', 'analyses', 'qa-score.sql'), 'utf8') });
    await ws.close();
    expect(scores).toHaveLength(analysed);
    expect(scores.some((r) => typeof r.qa_score === 'number')).toBe(true);
    const WEIGHTS = { verified_identity: 30, offered_upsell: 10, explained_next_steps: 30, closed_properly: 30 };
    for (const row of scores) {
      const applied = Object.entries(WEIGHTS).filter(([q]) => row[q] !== 'not_applicable');
      const yes = applied.filter(([q]) => row[q] === 'yes');
      const sum = (xs: [string, number][]) => xs.reduce((n, [, w]) => n + w, 0);
      expect(row.qa_score).toBe(applied.length === 0 ? null : (100 * sum(yes)) / sum(applied));
    }

    // Nothing new: a second run plans nothing for any analysis.
    const again = await runLocalPipeline({ workdir: dir, analyses: ANALYSES, executionId: 'again' });
    expect(again.summaries!.map((s) => s.records_total)).toEqual([0, 0, 0, 0]);

    // pass1's prompt changes: pass1 and the follow-up pass run again, qa and reasons plan nothing.
    const pass1 = { ...DEFAULT_ANALYSIS, systemInstruction: `${DEFAULT_ANALYSIS.systemInstruction} Mention the product by name.` };
    const changed = await runLocalPipeline({ workdir: dir, analysis: pass1, analyses: ANALYSES, executionId: 'changed' });
    expect(changed.state).toBe('SUCCEEDED');
    const totals = Object.fromEntries(NAMES.map((n, i) => [n, changed.summaries![i]!.records_total]));
    expect(totals).toEqual({ pass1: analysed + 1, followup: analysed, qa: 0, reasons: 0 });
    const newVersions = Object.fromEntries(planAnalyses({ pass1, ...ANALYSES }).map((a) => [a.name, a.version]));
    expect(newVersions.followup).not.toBe(versions.followup);
    expect(newVersions.qa).toBe(versions.qa);
    const twice = await ledger(dir);
    expect(twice.out.followup!.results).toEqual({
      [versions.followup!]: [analysed, analysed],
      [newVersions.followup!]: [analysed, analysed],
    });
    expect(twice.out.qa!.results).toEqual(once.out.qa!.results);
  });

  test('run one analysis alone: it runs what it reads first, and nothing else', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-analyses-'));
    const result = await runLocalPipeline({
      workdir: dir,
      transcripts: sample(6),
      analyses: ANALYSES,
      only: 'followup',
      executionId: 'one',
    });
    expect(result.summaries!.map((s) => s.execution_id)).toEqual(['one', 'one-followup']);
  });

  test('exactly once for every analysis when Vertex AI jobs fail, answers come back malformed and a processor dies mid-commit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-analyses-'));
    const faults = parseFaults('vertex-job-fail:1,malformed-json-rate:0.2,processor-crash-after:results', 7);
    const result = await runLocalPipeline({
      workdir: dir,
      transcripts: sample(20),
      analyses: ANALYSES,
      batchSize: 5,
      faults,
      maxBatchAttempts: 3,
    });
    expect(result.state).toBe('SUCCEEDED');
    const { out, processed, errors } = await ledger(dir);
    // The faults did happen, to every analysis.
    expect(new Set(errors.filter((e) => e.error_type === 'json_parse_error').map((e) => e.analysis))).toEqual(new Set(NAMES));
    for (const name of NAMES) {
      for (const [rows, records] of Object.values(out[name]!.results)) expect(rows).toBe(records);
    }
    for (const [rows, records] of Object.values(processed)) expect(rows).toBe(records);
  });

  test('a chain with a cycle or an unknown upstream is refused before anything is written', async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tap-analyses-')), 'work');
    await expect(runLocalPipeline({ workdir: dir, analyses: { followup: { ...ANALYSES.followup, after: 'pass2' } } })).rejects.toThrow(
      /analyses\.followup\.after must be the name of another analysis of the pipeline/,
    );
    expect(fs.existsSync(dir)).toBe(false);
  });
});
