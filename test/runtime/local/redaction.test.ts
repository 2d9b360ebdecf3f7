/**
 * A laptop run with redaction on: no planted personal value reaches a request file, a prediction,
 * a commit file, a log line or a table the pipeline writes; the results carry counts by type.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labelledTranscripts } from '../../../bench/corpus/pii';
import { openLocalWorkspace } from '../../../runtime/adapters/local';
import { analysisVersion, DEFAULT_ANALYSIS, resolveRedaction, TABLE_NAMES } from '../../../runtime/contract';
import { runLocalPipeline } from '../../../runtime/local/pipeline';

const REDACTED = { ...DEFAULT_ANALYSIS, redaction: resolveRedaction({}) };
const set = labelledTranscripts(60, 11, { bareNames: false });
/** Values long enough not to occur by chance in the rest of a call ("Al" does, in "Also"). */
const planted = [...new Set(set.flatMap((t) => t.planted.map((p) => p.value)).filter((v) => v.replace(/\W/g, '').length >= 5))];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('a laptop run with redaction on', () => {
  let workdir: string;
  let redacted: Readonly<Record<string, number>> | undefined;

  beforeAll(async () => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-redact-'));
    const input = path.join(workdir, '..', `${path.basename(workdir)}-transcripts.jsonl`);
    fs.writeFileSync(input, set.map((t, i) => JSON.stringify({ transcript_id: `call-${i}`, transcript: t.text })).join('\n') + '\n');
    const result = await runLocalPipeline({ workdir, transcripts: input, analysis: REDACTED, batchSize: 20 });
    fs.rmSync(input);
    expect(result.state).toBe('SUCCEEDED');
    expect(result.summary?.records_succeeded).toBe(set.length);
    redacted = result.redacted;
  }, 120_000);

  afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

  it('plants enough values to mean something', () => {
    expect(planted.length).toBeGreaterThan(150);
  });

  it('leaves no planted value in any file of the work folder but the source data', () => {
    // The warehouse file holds the source table and the planner's staged copy of it (batch_inputs),
    // and _inputs/ the file the transcripts were loaded from: the user's own data, as given.
    const files = filesUnder(workdir).filter(
      (f) => !path.basename(f).startsWith('warehouse.duckdb') && !f.includes(`${path.sep}_inputs${path.sep}`),
    );
    expect(files.some((f) => f.endsWith('input.jsonl'))).toBe(true);
    expect(files.some((f) => f.endsWith('predictions.jsonl'))).toBe(true);
    expect(files.some((f) => f.includes(`${path.sep}logs${path.sep}`))).toBe(true);
    const leaks: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      for (const value of planted) if (text.includes(value)) leaks.push(`${path.relative(workdir, file)}: ${value}`);
    }
    expect(leaks).toEqual([]);
  });

  it('leaves no planted value in any table the pipeline writes', async () => {
    const ws = await openLocalWorkspace(workdir);
    try {
      const written = [
        TABLE_NAMES.results,
        TABLE_NAMES.errorTracking,
        TABLE_NAMES.processedRecords,
        TABLE_NAMES.batchEvents,
        TABLE_NAMES.executions,
      ];
      const leaks: string[] = [];
      for (const table of written) {
        const rows = await ws.warehouse.query({ sql: `SELECT * FROM ${ws.warehouse.table(table)}` });
        const text = JSON.stringify(rows);
        for (const value of planted) if (text.includes(value)) leaks.push(`${table}: ${value}`);
      }
      expect(leaks).toEqual([]);
    } finally {
      await ws.close();
    }
  });

  it('records what was redacted per record, by type, as counts', async () => {
    const ws = await openLocalWorkspace(workdir);
    try {
      const rows = await ws.warehouse.query<{ record_id: string; redaction_counts: string; analysis_version: string }>({
        sql: `SELECT record_id, redaction_counts, analysis_version FROM ${ws.warehouse.table(TABLE_NAMES.results)} ORDER BY record_id`,
      });
      expect(rows).toHaveLength(set.length);
      const byRecord = new Map(rows.map((r) => [r.record_id, JSON.parse(r.redaction_counts) as Record<string, number>]));
      set.forEach((t, i) => {
        const counts = byRecord.get(`call-${i}`)!;
        const planted = new Set(t.planted.map((p) => p.type));
        for (const type of planted) expect(counts[type]).toBeGreaterThanOrEqual(1);
      });
      const totals: Record<string, number> = {};
      for (const counts of byRecord.values()) for (const [type, n] of Object.entries(counts)) totals[type] = (totals[type] ?? 0) + n;
      expect(redacted).toEqual(totals);
      expect(new Set(rows.map((r) => r.analysis_version))).toEqual(new Set([analysisVersion(REDACTED)]));
    } finally {
      await ws.close();
    }
  });

  it('is a different analysis version from the same analysis without redaction', () => {
    expect(analysisVersion(REDACTED)).not.toBe(analysisVersion(DEFAULT_ANALYSIS));
    expect(analysisVersion({ ...DEFAULT_ANALYSIS, redaction: resolveRedaction({ infoTypes: ['PHONE_NUMBER'] }) })).not.toBe(
      analysisVersion(REDACTED),
    );
  });
});
