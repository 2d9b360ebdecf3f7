/** The `<analysis>_latest` view the construct creates for BI tools. */
import { analysisTables, DEFAULT_ANALYSIS, SOURCE_DESCRIPTIVE_COLUMNS, TABLE_NAMES } from '../../runtime/contract';
import { findResource, synthPipelines } from './helpers';

const LATEST = analysisTables().latest;

describe('the latest view of the analysis', () => {
  test('over the source it creates: every result column and the descriptive source columns, flat', () => {
    const s = synthPipelines({ namePrefix: 'tap-dev', deletionProtection: false });
    const view = findResource(s.json, 'google_bigquery_table', (t) => t.table_id === LATEST);
    expect(LATEST).toBe('pass1_latest');
    expect(view.view.use_legacy_sql).toBe(false);
    expect(view.deletion_protection).toBe(false);
    const query = String(view.view.query);
    expect(query).toContain(`FROM \`my-project-123.tap_dev_transcript_analysis.${TABLE_NAMES.results}\``);
    expect(query).toContain(
      `LEFT JOIN \`my-project-123.tap_dev_transcript_analysis.${TABLE_NAMES.source}\` AS s ON s.transcript_id = r.record_id`,
    );
    for (const f of DEFAULT_ANALYSIS.fields) expect(query).toContain(`r.${f.name}`);
    for (const c of SOURCE_DESCRIPTIVE_COLUMNS.filter((c) => c !== 'transcript_id')) expect(query).toContain(`s.${c}`);
    expect(query).not.toMatch(/s\.transcript\b/);
    expect(query).toContain('QUALIFY ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY processed_at DESC');
    expect(query).not.toContain('${');
    expect(view.depends_on.length).toBeGreaterThanOrEqual(6);
  });

  test('over an existing source: its columns but the transcript, in one source STRUCT', () => {
    const s = synthPipelines({ source: { table: 'data-project-1.calls.transcripts', idColumn: 'call_id', textColumn: 'text' } });
    const query = String(findResource(s.json, 'google_bigquery_table', (t) => t.table_id === LATEST).view.query);
    expect(query).toContain('LEFT JOIN `data-project-1.calls.transcripts` AS s ON s.call_id = r.record_id');
    expect(query).toContain('(SELECT AS STRUCT * EXCEPT (text) FROM UNNEST([s])) AS source');
  });

  test('is a public attribute, by analysis', () => {
    const s = synthPipelines({});
    expect(Object.keys(s.pipelines[0]!.warehouse.latestViews)).toEqual(['pass1']);
  });
});
