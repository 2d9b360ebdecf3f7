/**
 * `tapctl serve`: the explorer page on 127.0.0.1, over the warehouse itself (a work folder's DuckDB
 * or a deployment's BigQuery dataset). The page is built afresh for each visit; its table asks
 * `CALLS_PATH` for each filtered page of calls, which one query answers over every call (the
 * written page can only filter the sample it carries).
 *
 * The target is opened for each request and closed after it, so that a laptop run can take a work
 * folder between two requests (DuckDB lets one process at a time open it).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXPLORER_LIMITS } from '../contract';
import type { AnalysisSpec } from '../contract';
import type { Target } from './config';
import { OperatorError, UsageError } from './errors';
import type { CallFilter, Explorer } from './explore';
import { CALLS_PATH, explorerHtml } from './explore-html';
import { openTargetExplorer } from './explore-target';
import { withTarget } from './target';

export interface ExplorerServerOptions {
  readonly target: Target;
  readonly env: NodeJS.ProcessEnv;
  readonly analysis?: string;
  readonly since?: string;
  /** The analysis's declaration. @default - a work folder's saved one; on a deployment, none */
  readonly spec?: AnalysisSpec;
  /** Sentences the page shows under its header. */
  readonly notes?: readonly string[];
  /** @default 0 - any free port */
  readonly port?: number;
  /** Called with each request's outcome, for the server's log. */
  readonly log?: (line: string) => void;
}

export interface ExplorerServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  close(): Promise<void>;
}

/** The filter of a calls request: `eq=field=value` (repeated), `q=text`, `sort=column` (`-column`: highest first), `offset=N`. */
export function callsQuery(search: URLSearchParams): { filter: CallFilter; offset: number } {
  const equals: Record<string, string> = {};
  for (const pair of search.getAll('eq')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`eq must be FIELD=VALUE, got ${JSON.stringify(pair)}`);
    equals[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const offsetText = search.get('offset') ?? '0';
  const offset = Number(offsetText);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new UsageError(`offset must be a whole number from 0, got ${offsetText}`);
  const sort = search.get('sort') ?? '';
  const orderBy = sort ? { column: sort.replace(/^-/, ''), descending: sort.startsWith('-') } : undefined;
  return { filter: { equals, search: search.get('q') ?? undefined, orderBy }, offset };
}

/** Starts the server; it answers until `close`. */
export async function startExplorerServer(options: ExplorerServerOptions): Promise<ExplorerServer> {
  const log = options.log ?? (() => undefined);
  const withExplorer = <T>(use: (explorer: Explorer) => Promise<T>): Promise<T> =>
    withTarget(options.target, options.env, async (open) =>
      use(await openTargetExplorer(open, { analysis: options.analysis, since: options.since, spec: options.spec })),
    );
  // The analysis and the target are checked before the server listens: a bad one fails at once.
  await withExplorer(async () => undefined);
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      response.end(body);
      log(`${request.method} ${url.pathname}${url.search} ${status}`);
    };
    const answer = async () => {
      if (request.method !== 'GET') return send(405, 'text/plain', 'only GET\n');
      if (url.pathname === '/') {
        const html = await withExplorer(async (explorer) => {
          const summary = await explorer.summarize();
          const calls = await explorer.calls({}, 0, EXPLORER_LIMITS.servePageRows);
          return explorerHtml({
            explorer,
            summary,
            calls,
            sampleLimit: EXPLORER_LIMITS.servePageRows,
            generatedAt: new Date().toISOString(),
            served: true,
            notes: options.notes,
          });
        });
        return send(200, 'text/html', html);
      }
      if (url.pathname === CALLS_PATH) {
        const { filter, offset } = callsQuery(url.searchParams);
        const page = await withExplorer((explorer) => explorer.calls(filter, offset, EXPLORER_LIMITS.servePageRows));
        return send(200, 'application/json', JSON.stringify(page));
      }
      return send(404, 'text/plain', 'not found\n');
    };
    answer().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const status = error instanceof UsageError ? 400 : error instanceof OperatorError ? 503 : 500;
      send(status, 'application/json', JSON.stringify({ error: message }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
