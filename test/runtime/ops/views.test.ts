import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../../runtime/adapters/local';
import { VIEW_NAMES } from '../../../runtime/contract';
import { writeFixture } from './fixture';

let dir: string;
let ws: LocalWorkspace;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tap-views-'));
  ws = await openLocalWorkspace(dir);
  await writeFixture(ws.warehouse);
});
afterAll(async () => {
  await ws.close();
  rmSync(dir, { recursive: true, force: true });
});

const view = (name: string, rest = '') =>
  ws.warehouse.query<Record<string, unknown>>({ sql: `SELECT * FROM ${ws.warehouse.table(name)} ${rest}` });

describe('views on DuckDB', () => {
  test('batch_status holds the latest event of each batch', async () => {
    const rows = await view(VIEW_NAMES.batchStatus, 'ORDER BY execution_id, batch_id');
    expect(rows.map((r) => [r.execution_id, r.batch_id, r.attempt, r.status])).toEqual([
      ['e1', 0, 1, 'succeeded'],
      ['e1', 1, 2, 'succeeded'],
      ['e1', 2, 2, 'failed'],
      // submitted and succeeded in the same instant: the further status wins.
      ['e2', 0, 1, 'succeeded'],
    ]);
    expect(rows[0]).toMatchObject({ records: 10, succeeded: 8, failed: 2 });
  });

  test('error_analysis_last_hour counts the last hour only, by type', async () => {
    const rows = await view(VIEW_NAMES.errorAnalysisLastHour, 'ORDER BY error_type');
    expect(rows.map((r) => [r.error_type, r.error_count, r.records_affected])).toEqual([
      ['json_parse_error', 2, 2],
      ['missing_result', 1, 1],
    ]);
  });

  test('pipeline_metrics gives the five key metrics of each execution', async () => {
    const [e1, e2] = await view(VIEW_NAMES.pipelineMetrics, 'ORDER BY execution_id');
    expect(e1).toMatchObject({ execution_id: 'e1', batches: 3, batches_succeeded: 2, recovery_seconds: 1800 });
    expect(e1!.batch_success_rate).toBeCloseTo(2 / 3, 10);
    expect(e1!.batches_per_hour).toBeCloseTo(36 / 7, 10);
    expect(e1!.record_error_rate).toBeCloseTo(2 / 30, 10);
    expect(e1!.deduplication_rate).toBeCloseTo(0.25, 10);
    expect(e2).toMatchObject({
      execution_id: 'e2',
      batches: 1,
      batches_succeeded: 1,
      batch_success_rate: 1,
      record_error_rate: 0,
      deduplication_rate: 0,
      recovery_seconds: null,
    });
    expect(e2!.batches_per_hour).toBeCloseTo(6, 10);
  });
});

describe('the report agrees with pipeline_metrics', () => {
  test('its five key metrics equal the view for the same execution', async () => {
    const { OpsQueries } = await import('../../../runtime/ops/queries');
    const { keyMetrics, loadReport } = await import('../../../runtime/ops/report');
    const report = await loadReport(new OpsQueries(ws.warehouse), 'e1', 'test');
    const shown = Object.fromEntries(keyMetrics(report).map((f) => [f.key, f.value]));
    const [row] = await view(VIEW_NAMES.pipelineMetrics, "WHERE execution_id = 'e1'");
    for (const key of ['batch_success_rate', 'batches_per_hour', 'record_error_rate', 'deduplication_rate', 'recovery_seconds']) {
      expect({ key, value: shown[key] }).toEqual({ key, value: expect.closeTo(row![key] as number, 9) });
    }
    expect(keyMetrics(report).find((f) => f.key === 'recovery_seconds')?.text).toBe('30m00s');
  });
});
