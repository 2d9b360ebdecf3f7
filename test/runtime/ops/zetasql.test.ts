import { VIEW_KEYS, viewSql } from '../../../runtime/contract';
import type { SqlParamTypes, Statement } from '../../../runtime/core/ports';
import { OpsQueries } from '../../../runtime/ops/queries';
import { ZetaSql, qualified } from './zetasql';

let zeta: ZetaSql;
beforeAll(async () => {
  zeta = await ZetaSql.start();
});
afterAll(() => zeta.stop());

/** Every statement the operator queries send, captured from a warehouse that answers nothing. */
async function opsStatements(): Promise<Statement[]> {
  const seen: Statement[] = [];
  const q = new OpsQueries({
    table: (id) => qualified(id),
    query: async <T>(s: Statement) => {
      seen.push(s);
      return [] as T[];
    },
  });
  await q.recentExecutions();
  await q.execution('e');
  await q.batches('e');
  await q.outcomes('e');
  await q.span('e');
  await q.errorsByType('e');
  await q.recordsFailed('e');
  await q.resultsByModel('e');
  await q.historyCounts('e');
  await q.clearHistory('e');
  return seen;
}

function paramTypes(s: Statement): SqlParamTypes {
  const types: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.params ?? {})) {
    types[k] =
      s.types?.[k] ?? (typeof v === 'number' ? (Number.isInteger(v) ? 'INT64' : 'FLOAT64') : typeof v === 'boolean' ? 'BOOL' : 'STRING');
  }
  return types as SqlParamTypes;
}

describe('BigQuery SQL of the operator, checked by ZetaSQL', () => {
  test.each(VIEW_KEYS)('the %s view analyses against the contract tables', async (key) => {
    expect(await zeta.check(viewSql(key, qualified))).toBeUndefined();
  });

  test('every operator query analyses, with its parameters', async () => {
    const statements = await opsStatements();
    expect(statements.length).toBeGreaterThanOrEqual(11);
    for (const s of statements) {
      expect({ sql: s.sql, error: await zeta.check(s.sql, paramTypes(s)) }).toEqual({ sql: s.sql, error: undefined });
    }
  });

  test('the analyser catches a wrong column, so the checks above can fail', async () => {
    const broken = viewSql('batchStatus', qualified).replace('vertex_state', 'vertex_status');
    expect(await zeta.check(broken)).toMatch(/Unrecognized name: vertex_status/);
  });
});
