/**
 * The explorer's and the latest view's BigQuery SQL, checked by Google's ZetaSQL analyser against
 * the contract's tables: every statement the explorer sends for every kind of field, and the view
 * in both of its forms (the contract's source, flat; a source of unknown columns, as a STRUCT).
 */
import {
  AnalysisSpec,
  analysisTables,
  DEFAULT_ANALYSIS,
  latestViewSql,
  resultsTable,
  SOURCE_TABLE,
  TABLE_NAMES,
} from '../../../runtime/contract';
import type { SqlParamTypes, Statement } from '../../../runtime/core/ports';
import { columnKind, ExploreWarehouse, openExplorer } from '../../../runtime/ops/explore';
import { bigQueryExploreWarehouse } from '../../../runtime/ops/explore-target';
import { DATASET, PROJECT, qualified, ZetaSql } from './zetasql';

const ANALYSIS: AnalysisSpec = {
  ...DEFAULT_ANALYSIS,
  fields: [
    ...DEFAULT_ANALYSIS.fields,
    { name: 'escalated', type: 'boolean', description: 'Escalated.' },
    { name: 'satisfaction', type: 'integer', description: 'From 1 to 5.' },
    { name: 'confidence', type: 'number', description: 'From 0 to 1.' },
  ],
};

let zeta: ZetaSql;
beforeAll(async () => {
  zeta = await ZetaSql.start();
});
afterAll(() => zeta.stop());

/** A BigQuery warehouse that records what it is asked and answers one row that fits every question. */
function recording(): { w: ExploreWarehouse; seen: Statement[] } {
  const seen: Statement[] = [];
  const specs = new Map([SOURCE_TABLE, resultsTable(ANALYSIS)].map((s) => [s.name, s]));
  const row = {
    calls: 3,
    first_call: '2026-10-01T00:00:00Z',
    last_call: '2026-10-03T00:00:00Z',
    analysis_version: 'v-1',
    lo: 1,
    hi: 5,
    mean: 3,
    missing: 0,
    n: 3,
    record_id: 'r1',
  };
  return {
    seen,
    w: {
      dialect: 'bigquery',
      table: (id) => qualified(id),
      query: async <T>(s: Statement) => {
        seen.push(s);
        return [row] as T[];
      },
      columns: async (id) =>
        (specs.get(id)?.columns ?? []).map((c) => ({ name: c.name, kind: c.mode === 'REPEATED' ? 'list' : columnKind(c.type) })),
    },
  };
}

/**
 * A dataset's `INFORMATION_SCHEMA.COLUMNS` view, its columns as documented
 * (https://cloud.google.com/bigquery/docs/information-schema-columns): all STRING but
 * `ordinal_position` and `clustering_ordinal_position` (INT64).
 */
const INFORMATION_SCHEMA_COLUMNS = {
  name: 'INFORMATION_SCHEMA.COLUMNS',
  columns: [
    'table_catalog',
    'table_schema',
    'table_name',
    'column_name',
    'ordinal_position',
    'is_nullable',
    'data_type',
    'is_generated',
    'generation_expression',
    'is_stored',
    'is_hidden',
    'is_updatable',
    'is_system_defined',
    'is_partitioning_column',
    'clustering_ordinal_position',
    'collation_name',
    'column_default',
    'rounding_mode',
  ].map((name) => ({
    name,
    type: name.endsWith('ordinal_position') ? ('INTEGER' as const) : ('STRING' as const),
    mode: 'NULLABLE' as const,
    description: '',
  })),
};

function paramTypes(s: Statement): SqlParamTypes {
  const types: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.params ?? {})) {
    types[k] = s.types?.[k] ?? (typeof v === 'number' ? (Number.isInteger(v) ? 'INT64' : 'FLOAT64') : 'STRING');
  }
  return types as SqlParamTypes;
}

describe('BigQuery SQL of the results explorer, checked by ZetaSQL', () => {
  test('every statement of the charts, the trend, the breakdowns and the calls analyses', async () => {
    const { w, seen } = recording();
    const explorer = await openExplorer(w, { tables: analysisTables(), spec: ANALYSIS, since: '2026-10-02' });
    expect(explorer.fields.map((f) => [f.name, f.kind])).toEqual([
      ['summary', 'text'],
      ['sentiment', 'enum'],
      ['topics', 'list'],
      ['resolution', 'enum'],
      ['action_items', 'list'],
      ['customer_intent', 'text'],
      ['escalated', 'boolean'],
      ['satisfaction', 'number'],
      ['confidence', 'number'],
    ]);
    await explorer.summarize();
    await explorer.calls({ equals: { sentiment: 'negative', escalated: 'true', resolution: '(none)' }, search: 'bill' }, 0, 10);
    await explorer.calls({ orderBy: { column: 'satisfaction', descending: true } }, 0, 10);
    expect(seen.length).toBeGreaterThanOrEqual(20);
    for (const s of seen) {
      expect({ sql: s.sql, error: await zeta.check(s.sql, paramTypes(s), ANALYSIS) }).toEqual({ sql: s.sql, error: undefined });
    }
  });

  test("a deployment's columns query analyses against the dataset's INFORMATION_SCHEMA.COLUMNS", async () => {
    const seen: Statement[] = [];
    const w = bigQueryExploreWarehouse(
      {
        table: qualified,
        query: async <T>(s: Statement) => {
          seen.push(s);
          return [] as T[];
        },
      },
      PROJECT,
      DATASET,
    );
    expect(await w.columns(TABLE_NAMES.results)).toEqual([]);
    const [s] = seen;
    expect(s!.params).toEqual({ name: TABLE_NAMES.results });
    expect(await zeta.check(s!.sql, paramTypes(s!), ANALYSIS, [INFORMATION_SCHEMA_COLUMNS])).toBeUndefined();
    expect(
      await zeta.check(s!.sql.replace('data_type AS', 'type_name AS'), paramTypes(s!), ANALYSIS, [INFORMATION_SCHEMA_COLUMNS]),
    ).toMatch(/type_name/);
  });

  test('the latest view analyses over the contract source and over a source of unknown columns', async () => {
    const flat = latestViewSql(qualified, ANALYSIS);
    expect(await zeta.check(flat, {}, ANALYSIS)).toBeUndefined();
    expect(flat).toContain('s.agent_id');
    expect(flat).not.toMatch(/s\.transcript\b/);
    const struct = latestViewSql(qualified, ANALYSIS, analysisTables(), {
      table: TABLE_NAMES.source,
      idColumn: 'transcript_id',
      columns: { allBut: 'transcript' },
    });
    expect(await zeta.check(struct, {}, ANALYSIS)).toBeUndefined();
    expect(struct).toContain('(SELECT AS STRUCT * EXCEPT (transcript) FROM UNNEST([s])) AS source');
  });

  test('the analyser catches a wrong column in the view, so the check above can fail', async () => {
    const broken = latestViewSql(qualified, ANALYSIS).replace('r.sentiment', 'r.sentiments');
    expect(await zeta.check(broken, {}, ANALYSIS)).toMatch(/sentiments/);
  });
});
