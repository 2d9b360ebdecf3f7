/**
 * Google's ZetaSQL analyser (npm `@fivetrandevelopers/zetasql`, its local gRPC server) with a
 * catalog made from the contract's table schemas, for checking BigQuery SQL: names, types,
 * functions, QUALIFY, parameters. A renamed column fails the analysis.
 */
import * as net from 'node:net';
import { LanguageOptions, ZetaSQLClient, runServer, terminateServer } from '@fivetrandevelopers/zetasql';
import { DEFAULT_ANALYSIS, FIXED_TABLES, SOURCE_TABLE, resultsTable, type AnalysisSpec, type TableSpec } from '../../../runtime/contract';
import type { SqlParamTypes } from '../../../runtime/core/ports';

const TYPE_KINDS: Readonly<Record<string, string>> = {
  STRING: 'TYPE_STRING',
  INTEGER: 'TYPE_INT64',
  INT64: 'TYPE_INT64',
  FLOAT: 'TYPE_DOUBLE',
  FLOAT64: 'TYPE_DOUBLE',
  BOOLEAN: 'TYPE_BOOL',
  BOOL: 'TYPE_BOOL',
  TIMESTAMP: 'TYPE_TIMESTAMP',
};

function typeProto(type: string, repeated = false): Record<string, unknown> {
  if (type === 'ARRAY<STRING>') return typeProto('STRING', true);
  const simple = { typeKind: TYPE_KINDS[type] };
  return repeated ? { typeKind: 'TYPE_ARRAY', arrayType: { elementType: simple } } : simple;
}

export const PROJECT = 'p';
export const DATASET = 'd';

/** `p.d.table`, the name queries use through `table()`. */
export function qualified(id: string): string {
  return `\`${PROJECT}.${DATASET}.${id}\``;
}

function tableProto(spec: Pick<TableSpec, 'name' | 'columns'>): Record<string, unknown> {
  return {
    name: `${PROJECT}.${DATASET}.${spec.name}`,
    column: spec.columns.map((c) => ({ name: c.name, type: typeProto(c.type, c.mode === 'REPEATED') })),
  };
}

export class ZetaSql {
  private languageOptions?: unknown;
  private constructor(private readonly client: ZetaSQLClient) {}

  static async start(): Promise<ZetaSql> {
    const port = await freePort();
    void runServer(port);
    ZetaSQLClient.init(port);
    const client = ZetaSQLClient.getInstance();
    if (!(await client.testConnection())) throw new Error('the ZetaSQL server did not start');
    const z = new ZetaSql(client);
    z.languageOptions = (await new LanguageOptions().enableMaximumLanguageFeatures()).serialize();
    return z;
  }

  stop(): void {
    terminateServer();
  }

  /**
   * Analyses one statement; resolves to undefined when it is valid, or ZetaSQL's error message.
   * The results table has the columns of `analysis`; `more` are other tables of the dataset
   * (a view of its `INFORMATION_SCHEMA`, say).
   */
  async check(
    sql: string,
    params: SqlParamTypes = {},
    analysis: AnalysisSpec = DEFAULT_ANALYSIS,
    more: readonly Pick<TableSpec, 'name' | 'columns'>[] = [],
  ): Promise<string | undefined> {
    const tables = [SOURCE_TABLE, ...FIXED_TABLES, resultsTable(analysis), ...more].map(tableProto);
    try {
      await this.client.analyze({
        sqlStatement: sql,
        simpleCatalog: {
          name: 'catalog',
          table: tables,
          builtinFunctionOptions: { languageOptions: this.languageOptions as never },
        } as never,
        options: {
          languageOptions: this.languageOptions as never,
          queryParameters: Object.entries(params).map(([name, type]) => ({ name, type: typeProto(type) })),
          errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
        } as never,
      });
      return undefined;
    } catch (error) {
      return (error as { details?: string }).details ?? String(error);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
