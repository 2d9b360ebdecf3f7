/** The laptop's `pass1_latest` view: the latest result per record, with the source's descriptive columns. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalWorkspace, type LocalWorkspace } from '../../../../runtime/adapters/local';
import { AnalysisSpec, DEFAULT_ANALYSIS } from '../../../../runtime/contract';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-latest-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function result(ws: LocalWorkspace, record: string, version: string, sentiment: string, at: string): Promise<void> {
  await ws.warehouse.query({
    sql: `INSERT INTO transcription_analyzed_transcripts (record_id, analysis_version, summary, sentiment, model, execution_id, batch_id, processed_at)
VALUES (@record, @version, 's', @sentiment, 'm', 'e', 0, @at)`,
    params: { record, version, sentiment, at },
    types: { at: 'TIMESTAMP' },
  });
}

describe('the latest view on a laptop', () => {
  test('holds one row per record, its latest version, with the source columns and no transcript', async () => {
    const ws = await openLocalWorkspace(dir);
    try {
      await ws.warehouse.query({
        sql: `INSERT INTO transcription_pass_2 (transcript_id, transcript, agent_id, channel, ingested_at)
VALUES ('a', 'hello', 'agent-1', 'phone', TIMESTAMP '2026-10-01 00:00:00'), ('b', 'bye', 'agent-2', 'chat', TIMESTAMP '2026-10-01 00:00:00')`,
      });
      await result(ws, 'a', 'v-old', 'negative', '2026-10-01T00:00:00Z');
      await result(ws, 'a', 'v-new', 'positive', '2026-10-02T00:00:00Z');
      await result(ws, 'b', 'v-old', 'neutral', '2026-10-01T00:00:00Z');
      const rows = await ws.warehouse.query<Record<string, unknown>>({ sql: 'SELECT * FROM pass1_latest ORDER BY record_id' });
      expect(rows.map((r) => [r.record_id, r.analysis_version, r.sentiment, r.agent_id, r.channel])).toEqual([
        ['a', 'v-new', 'positive', 'agent-1', 'phone'],
        ['b', 'v-old', 'neutral', 'agent-2', 'chat'],
      ]);
      expect(Object.keys(rows[0]!)).not.toContain('transcript');
      expect(Object.keys(rows[0]!)).not.toContain('transcript_id');
    } finally {
      await ws.close();
    }
  });

  test('carries the columns of fields an earlier analysis declared after a later one opens the folder', async () => {
    const extended: AnalysisSpec = {
      ...DEFAULT_ANALYSIS,
      fields: [...DEFAULT_ANALYSIS.fields, { name: 'escalated', type: 'boolean', description: 'Escalated.' }],
    };
    const first = await openLocalWorkspace(dir, extended);
    await first.close();
    const again = await openLocalWorkspace(dir, DEFAULT_ANALYSIS);
    try {
      const columns = await again.warehouse.query<{ column_name: string }>({
        sql: `SELECT column_name FROM information_schema.columns WHERE table_name = 'pass1_latest'`,
      });
      expect(columns.map((c) => c.column_name)).toContain('escalated');
    } finally {
      await again.close();
    }
  });
});
