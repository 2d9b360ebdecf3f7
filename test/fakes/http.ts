/** A minimal HTTP server for the fakes: routes by method and path pattern, JSON in and out. */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How long a fake keeps an idle kept-alive connection open (see `startServer`). */
export const IDLE_CONNECTION_MS = 10 * 60 * 1000;

export interface Request {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly match: RegExpExecArray;
}

export type Handler = (req: Request, res: ServerResponse) => Promise<void> | void;

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handler: Handler;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(data.length), ...headers });
  res.end(data);
}

/** Google's JSON error body: `{"error": {"code", "message", "errors": [{"reason", "message"}], "status"}}`. */
export function sendError(res: ServerResponse, code: number, status: string, reason: string, message: string): void {
  sendJson(res, code, { error: { code, message, errors: [{ domain: 'global', reason, message }], status } });
}

export interface FakeServer {
  readonly url: string;
  /** Every request seen, `METHOD path`, for tests that check which API was used. */
  readonly calls: string[];
  close(): Promise<void>;
}

export async function startServer(routes: readonly Route[]): Promise<FakeServer> {
  const calls: string[] = [];
  const server: Server = createServer((incoming, res) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (c: Buffer) => chunks.push(c));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://fake');
      const method = incoming.method ?? 'GET';
      calls.push(`${method} ${url.pathname}`);
      for (const route of routes) {
        const match = route.method === method ? route.pattern.exec(url.pathname) : null;
        if (!match) continue;
        const req: Request = {
          method,
          path: url.pathname,
          query: url.searchParams,
          headers: incoming.headers,
          body: Buffer.concat(chunks),
          match,
        };
        Promise.resolve(route.handler(req, res)).catch((e: Error) => {
          if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'backendError', e.message);
        });
        return;
      }
      sendError(res, 404, 'NOT_FOUND', 'notFound', `no fake route for ${method} ${url.pathname}`);
    });
  });
  // Kept-alive connections stay open as long as Google's front ends keep them (Node's 5 s default
  // would close one under a client that waited on a busy machine: "socket hang up").
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
