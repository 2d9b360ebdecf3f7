/**
 * Google's ZetaSQL analyser (the BigQuery dialect's reference front end), as shipped by npm
 * `@fivetrandevelopers/zetasql`: a gRPC server binary (`lib/zetasql/remote_server[.so]`, started
 * with `<host> <port>`) and a client. The catalog is built from the contract's table schemas, so a
 * statement naming a column that does not exist fails to analyse.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { ZetaSQLClient } from '@fivetrandevelopers/zetasql';
import type { LanguageOptionsProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/LanguageOptionsProto';
import type { TypeProto } from '@fivetrandevelopers/zetasql/lib/types/zetasql/TypeProto';
import { Column, TableSpec } from '../../runtime/contract';
import type { SqlParamTypes, Statement } from '../../runtime/core/ports';

const TYPE_KINDS: Record<Column['type'], string> = {
  STRING: 'TYPE_STRING',
  INTEGER: 'TYPE_INT64',
  FLOAT: 'TYPE_DOUBLE',
  BOOLEAN: 'TYPE_BOOL',
  TIMESTAMP: 'TYPE_TIMESTAMP',
};

const PARAM_KINDS: Record<string, TypeProto> = {
  STRING: { typeKind: 'TYPE_STRING' },
  INT64: { typeKind: 'TYPE_INT64' },
  FLOAT64: { typeKind: 'TYPE_DOUBLE' },
  BOOL: { typeKind: 'TYPE_BOOL' },
  TIMESTAMP: { typeKind: 'TYPE_TIMESTAMP' },
  'ARRAY<STRING>': { typeKind: 'TYPE_ARRAY', arrayType: { elementType: { typeKind: 'TYPE_STRING' } } },
};

function columnType(c: Column): TypeProto {
  const scalar = { typeKind: TYPE_KINDS[c.type] } as TypeProto;
  return c.mode === 'REPEATED' ? ({ typeKind: 'TYPE_ARRAY', arrayType: { elementType: scalar } } as TypeProto) : scalar;
}

/** The path of the server binary for this machine, as the package's own `runServer` picks it. */
export function serverBinary(): string {
  const lib = path.dirname(require.resolve('@fivetrandevelopers/zetasql'));
  const extension = (process.arch.startsWith('arm') ? '_arm' : '') + (process.platform === 'darwin' ? '' : '.so');
  return path.join(lib, 'zetasql', `remote_server${extension}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class ZetaSql {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: ZetaSQLClient,
    private readonly catalogId: string,
    private readonly languageOptions: LanguageOptionsProto,
  ) {}

  /** Starts the server, and registers a catalog of `tables`, each under its fully qualified name. */
  static async start(tables: ReadonlyArray<{ fullName: string; spec: TableSpec }>): Promise<ZetaSql> {
    const port = await freePort();
    const child = spawn(serverBinary(), ['localhost', String(port)], { stdio: 'ignore' });
    try {
      ZetaSQLClient.init(port);
      const client = ZetaSQLClient.getInstance();
      if (!(await client.testConnection())) throw new Error(`the ZetaSQL server did not answer on port ${port}`);
      // Every released feature (QUALIFY, analytic functions, ...), external product mode (BigQuery's
      // types only), and the statement kinds the runtime issues: queries and INSERTs.
      const maximum = (await client.getLanguageOptions({ maximumFeatures: true })) as LanguageOptionsProto;
      const languageOptions: LanguageOptionsProto = {
        ...maximum,
        productMode: 'PRODUCT_EXTERNAL',
        supportedStatementKinds: ['RESOLVED_QUERY_STMT', 'RESOLVED_INSERT_STMT'],
      };
      const registered = await client.registerCatalog({
        simpleCatalog: {
          name: 'tap',
          builtinFunctionOptions: { languageOptions },
          table: tables.map(({ fullName, spec }, i) => ({
            name: fullName,
            serializationId: i + 1,
            column: spec.columns.map((c) => ({ name: c.name, type: columnType(c) })),
          })),
        },
      });
      return new ZetaSql(child, client, String(registered!.registeredId), languageOptions);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  /** Analyses one statement with its parameters declared; resolves to the error message, or undefined. */
  async analyze(statement: Statement): Promise<string | undefined> {
    const types: SqlParamTypes = statement.types ?? {};
    try {
      await this.client.analyze({
        registeredCatalogId: this.catalogId,
        sqlStatement: statement.sql,
        options: {
          languageOptions: this.languageOptions,
          parameterMode: 'PARAMETER_NAMED',
          errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
          queryParameters: Object.entries(types).map(([name, type]) => ({ name, type: PARAM_KINDS[type] })),
        },
      });
      return undefined;
    } catch (e) {
      return (e as { details?: string; message?: string }).details ?? (e as Error).message;
    }
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}
