/**
 * Every statement of runtime/core/sql.ts, analysed by ZetaSQL against a catalog made from the
 * contract's table schemas, and run on DuckDB (the local warehouse's engine) for the dialects'
 * common ground.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AnalysisSpec,
  DEFAULT_ANALYSIS,
  FIXED_TABLES,
  resultsTable,
  resultsTableName,
  SOURCE_TABLE,
  TABLE_NAMES,
  VIEW_KEYS,
  viewSql,
} from '../../../runtime/contract';
import type { Statement } from '../../../runtime/core/ports';
import * as sql from '../../../runtime/core/sql';
import { DuckEngine } from '../../fakes/duck-engine';
import { ZetaSql } from '../../fakes/zetasql';

const PROJECT = 'test-project';
const DATASET = 'tap';
const t = (id: string) => (id.includes('.') ? `\`${id}\`` : `\`${PROJECT}.${DATASET}.${id}\``);
const source = { table: `${PROJECT}.${DATASET}.transcription_pass_2`, idColumn: 'transcript_id', textColumn: 'transcript' };
const plan = {
  executionId: 'e',
  analysisVersion: 'v',
  batchSize: 100,
  maxRecordAttempts: 3,
  limit: null,
  plannedAt: '2026-11-28T10:00:00Z',
};
const now = '2026-11-28T10:00:00Z';
const span = { analysisVersion: 'v', firstRecord: 'a', lastRecord: 'z' };
/** A chained analysis's source: the records with a pass1 result under pass1's current version. */
const chained = { ...source, upstream: { table: TABLE_NAMES.results, version: 'v-up' } };
const upstreamFields = [
  { key: 'pass1.summary', column: 'summary', repeated: false },
  { key: 'pass1.topics', column: 'topics', repeated: true },
];

/** Every statement the runtime can issue, in each of its forms. */
export function allStatements(): Array<[string, Statement]> {
  const execution = {
    executionId: 'e',
    status: 'planned' as const,
    analysisVersion: 'v',
    params: null,
    recordsTotal: 1,
    skippedDedup: 0,
    batchCount: 1,
    summary: null,
    eventTime: now,
  };
  return [
    ['plan_assign', sql.planAssign(t, source, plan)],
    ['plan_assign with a limit', sql.planAssign(t, source, { ...plan, limit: 10 })],
    ['plan_stage', sql.planStage(t, source, 'e', [])],
    ['plan_stage with template columns', sql.planStage(t, source, 'e', ['channel', 'agent_id'])],
    ['plan_assign for a chained analysis', sql.planAssign(t, chained, plan)],
    ['plan_stage for a chained analysis, with upstream fields', sql.planStage(t, chained, 'e', ['channel'], upstreamFields)],
    ['plan_preview for a chained analysis', sql.planPreview(t, chained, plan)],
    ['plan_measure for a chained analysis', sql.planMeasure(t, chained, plan)],
    ['plan_skipped for a chained analysis', sql.planSkipped(t, chained, 'v')],
    ['plan_preview', sql.planPreview(t, source, plan)],
    ['plan_measure', sql.planMeasure(t, source, plan)],
    ['plan_counts', sql.planCounts(t, 'e')],
    ['plan_skipped', sql.planSkipped(t, source, 'v')],
    ['plan_events', sql.planEvents(t, 'e', now)],
    ['plan_execution', sql.insertExecution(t, execution, true)],
    ['report_execution', sql.insertExecution(t, { ...execution, status: 'succeeded', summary: '{}' }, false)],
    ['batch_span by batch id', sql.batchSpan(t, 'e', { batchId: 0 })],
    ['batch_span over rows of a batch', sql.batchSpan(t, 'e', { batchId: 0, rows: { startRow: 1, endRow: 9 } })],
    ['batch_records by batch id', sql.batchRecords(t, 'e', { batchId: 0 }, 1, span)],
    ['batch_records over rows of a batch', sql.batchRecords(t, 'e', { batchId: 0, rows: { startRow: 1, endRow: 9 } }, 2, span)],
    ['batch_planned by batch id', sql.batchPlanned(t, 'e', { batchId: 0 }, 1, span)],
    ['batch_planned over rows of a batch', sql.batchPlanned(t, 'e', { batchId: 0, rows: { startRow: 1, endRow: 9 } }, 3, span)],
    ['report_plan', sql.reportPlan(t, 'e')],
    ['report_records', sql.reportRecords(t, 'e')],
    ['report_batches', sql.reportBatches(t, 'e')],
    ['report_errors', sql.reportErrors(t, 'e')],
    ['report_usage', sql.reportUsage(t, 'e')],
    ['clock_latest', sql.clockLatest(t)],
  ];
}

const tables = [SOURCE_TABLE, ...FIXED_TABLES, resultsTable(DEFAULT_ANALYSIS)].map((spec) => ({
  fullName: `${PROJECT}.${DATASET}.${spec.name}`,
  spec,
}));
const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples', 'analyses');
/** The shipped QA score query reads the results table of the example scorecard, named as the README says. */
const qaScorecard = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'qa-scorecard.json'), 'utf8')) as AnalysisSpec;
const qaTable = { fullName: 'qa_results', spec: resultsTable(qaScorecard, resultsTableName('qa')) };

describe('the SQL module', () => {
  test('every statement id is covered and starts its statement', () => {
    const ids = new Set(allStatements().map(([, s]) => sql.statementId(s.sql)));
    expect([...ids].sort()).toEqual([...sql.STATEMENT_IDS].sort());
  });

  test('identifiers are validated, never spliced from input', () => {
    expect(() => sql.planAssign(t, { ...source, idColumn: 'id) OR (1=1' }, plan)).toThrow(/invalid column name/);
    expect(() => sql.planStage(t, source, 'e', ['x`y'])).toThrow(/invalid column name/);
    expect(() => sql.planStage(t, chained, 'e', [], [{ key: "pass1.x'y", column: 'x', repeated: false }])).toThrow(
      /invalid upstream field/,
    );
    expect(() => sql.planStage(t, chained, 'e', [], [{ key: 'pass1.x', column: 'x`y', repeated: false }])).toThrow(/invalid column name/);
    const s = sql.planCounts(t, "e'; DROP TABLE x; --");
    expect(s.sql).not.toContain('DROP');
    expect(s.params).toEqual({ execution_id: "e'; DROP TABLE x; --" });
  });

  test('every parameter used is declared with a type, and every declared one is used', () => {
    for (const [name, s] of allStatements()) {
      const used = new Set([...s.sql.matchAll(/@([a-z_]+)/g)].map((m) => m[1]));
      expect({ name, used: [...used].sort() }).toEqual({ name, used: Object.keys(s.params ?? {}).sort() });
      expect({ name, typed: Object.keys(s.types ?? {}).sort() }).toEqual({ name, typed: Object.keys(s.params ?? {}).sort() });
    }
  });

  test.each(allStatements())('%s runs on DuckDB', async (_name, statement) => {
    const engine = await DuckEngine.create(
      DEFAULT_ANALYSIS,
      [
        { name: 'channel', type: 'STRING', mode: 'NULLABLE', description: '' },
        { name: 'agent_id', type: 'STRING', mode: 'NULLABLE', description: '' },
      ].filter((c) => !SOURCE_TABLE.columns.some((s) => s.name === c.name)) as never,
    );
    await expect(engine.run(statement)).resolves.toBeDefined();
  });
});

describe('ZetaSQL analysis of every BigQuery statement', () => {
  let zeta: ZetaSql;
  beforeAll(async () => {
    zeta = await ZetaSql.start([...tables, qaTable]);
  }, 60_000);
  afterAll(() => zeta?.stop());

  test.each(allStatements())('%s analyses with no error', async (_name, statement) => {
    expect(await zeta.analyze(statement)).toBeUndefined();
  });

  test.each(VIEW_KEYS)('the view %s (runtime/contract/views.ts) analyses with no error', async (view) => {
    expect(await zeta.analyze({ sql: viewSql(view, t) })).toBeUndefined();
  });

  test('the example QA score query (examples/analyses/qa-score.sql) analyses with no error', async () => {
    expect(await zeta.analyze({ sql: fs.readFileSync(path.join(EXAMPLES, 'qa-score.sql'), 'utf8') })).toBeUndefined();
  });

  test('a misspelled column is caught', async () => {
    const wrong = sql.planCounts(t, 'e');
    const error = await zeta.analyze({ ...wrong, sql: wrong.sql.replace('MAX(batch_id)', 'MAX(batch_idd)') });
    expect(error).toMatch(/Unrecognized name: batch_idd/);
  });

  test('a misspelled table and an undeclared parameter are caught', async () => {
    expect(await zeta.analyze({ sql: `SELECT record_id FROM ${t('processed_record')}` })).toMatch(/not found/i);
    expect(await zeta.analyze({ sql: `SELECT record_id FROM ${t('processed_records')} WHERE status = @status` })).toMatch(/status/);
  });

  test('an INSERT of a wrong type is caught', async () => {
    const s = sql.planEvents(t, 'e', now);
    expect(await zeta.analyze({ ...s, types: { ...s.types, event_time: 'INT64' } })).toMatch(/event_time|TIMESTAMP|INT64/);
  });
});
