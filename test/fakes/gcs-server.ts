/**
 * A fake Cloud Storage JSON API, enough for `@google-cloud/storage`:
 * - `POST /upload/storage/v1/b/{bucket}/o?uploadType=multipart`: "a multipart/related request: the
 *   first part is the object's metadata (JSON), the second its data"; answers the object resource.
 *   `uploadType=media` with `?name=` also works. Resumable sessions are refused (not used here).
 * - `GET /storage/v1/b/{bucket}/o/{object}`: the object resource (`kind: storage#object`, `name`,
 *   `bucket`, `generation`, `size` as a string, `md5Hash`, `crc32c`, ...); `?alt=media`: its bytes,
 *   with `x-goog-hash: crc32c=…,md5=…` and `x-goog-stored-content-encoding: identity` as Cloud
 *   Storage sends them (the client validates the download against them).
 * - `GET /storage/v1/b/{bucket}/o?prefix=&pageToken=&maxResults=`: `{kind: storage#objects, items,
 *   nextPageToken}`, names in lexicographic order.
 * Errors are Google's JSON error body; a missing object is 404 `notFound`.
 */
import { createHash } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { FakeServer, Request, sendError, sendJson, startServer } from './http';

interface StoredObject {
  readonly data: Buffer;
  readonly contentType: string;
  readonly generation: number;
  readonly created: string;
}

export interface FakeGcs extends FakeServer {
  readonly buckets: Map<string, Map<string, StoredObject>>;
  /** Object names whose downloads carry a wrong hash header, to check the client validates. */
  readonly corrupt: Set<string>;
  put(bucket: string, name: string, data: string | Buffer): void;
  get(bucket: string, name: string): Buffer | undefined;
  text(bucket: string, name: string): string | undefined;
}

function crc32c(data: Buffer): string {
  const c = new CRC32C();
  c.update(data);
  return c.toString();
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

/** Splits a multipart/related body into its parts (headers dropped). */
function multipartParts(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error('multipart upload without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) parts.push(part.subarray(headerEnd + 4, part.length - 2));
    start = next;
  }
  return parts;
}

export async function startFakeGcs(options: { pageSize?: number } = {}): Promise<FakeGcs> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const corrupt = new Set<string>();
  let generation = 1;
  const bucketOf = (name: string) => {
    let b = buckets.get(name);
    if (!b) buckets.set(name, (b = new Map()));
    return b;
  };
  const store = (bucket: string, name: string, data: Buffer, contentType = 'application/octet-stream') => {
    const obj = { data, contentType, generation: generation++, created: new Date().toISOString() };
    bucketOf(bucket).set(name, obj);
    return obj;
  };
  const resource = (bucket: string, name: string, obj: StoredObject) => ({
    kind: 'storage#object',
    id: `${bucket}/${name}/${obj.generation}`,
    selfLink: `/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`,
    name,
    bucket,
    generation: String(obj.generation),
    metageneration: '1',
    contentType: obj.contentType,
    storageClass: 'STANDARD',
    size: String(obj.data.length),
    md5Hash: md5(obj.data),
    crc32c: crc32c(obj.data),
    timeCreated: obj.created,
    updated: obj.created,
  });
  const notFound = (res: Parameters<typeof sendError>[0], bucket: string, name: string) =>
    sendError(res, 404, 'NOT_FOUND', 'notFound', `No such object: ${bucket}/${name}`);

  // ifGenerationMatch=0: "the operation succeeds only if there are no live versions of the
  // object"; otherwise 412 Precondition Failed (Cloud Storage JSON API, objects.insert).
  const preconditionFailed = (req: Request, bucket: string, name: string) =>
    req.query.get('ifGenerationMatch') === '0' && bucketOf(bucket).has(name);
  const upload = (req: Request, res: Parameters<typeof sendError>[0]) => {
    const bucket = decodeURIComponent(req.match[1]!);
    const type = req.query.get('uploadType');
    if (type === 'multipart') {
      const [meta, media] = multipartParts(req.body, String(req.headers['content-type']));
      const metadata = JSON.parse(meta!.toString('utf8')) as { name?: string; contentType?: string };
      const name = metadata.name ?? req.query.get('name');
      if (!name) return sendError(res, 400, 'INVALID_ARGUMENT', 'required', 'Required: object name');
      if (preconditionFailed(req, bucket, name))
        return sendError(
          res,
          412,
          'FAILED_PRECONDITION',
          'conditionNotMet',
          'At least one of the pre-conditions you specified did not hold.',
        );
      return sendJson(res, 200, resource(bucket, name, store(bucket, name, Buffer.from(media!), metadata.contentType)));
    }
    if (type === 'media') {
      const name = req.query.get('name');
      if (!name) return sendError(res, 400, 'INVALID_ARGUMENT', 'required', 'Required: object name');
      if (preconditionFailed(req, bucket, name))
        return sendError(
          res,
          412,
          'FAILED_PRECONDITION',
          'conditionNotMet',
          'At least one of the pre-conditions you specified did not hold.',
        );
      return sendJson(res, 200, resource(bucket, name, store(bucket, name, req.body, String(req.headers['content-type'] ?? ''))));
    }
    return sendError(res, 400, 'INVALID_ARGUMENT', 'invalid', `uploadType ${type} is not supported by this fake`);
  };

  const server = await startServer([
    { method: 'POST', pattern: /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/, handler: upload },
    // objects.delete: `DELETE /storage/v1/b/{bucket}/o/{object}`, an empty 204 answer; 404 when there is none.
    {
      method: 'DELETE',
      pattern: /^(?:\/storage\/v1)?\/b\/([^/]+)\/o\/(.+)$/,
      handler: (req, res) => {
        const bucket = decodeURIComponent(req.match[1]!);
        const name = decodeURIComponent(req.match[2]!);
        if (!bucketOf(bucket).delete(name)) return notFound(res, bucket, name);
        res.writeHead(204);
        res.end();
      },
    },
    {
      method: 'GET',
      pattern: /^(?:\/storage\/v1)?\/b\/([^/]+)\/o$/,
      handler: (req, res) => {
        const bucket = decodeURIComponent(req.match[1]!);
        const prefix = req.query.get('prefix') ?? '';
        const pageSize = Math.min(Number(req.query.get('maxResults') ?? 1000), options.pageSize ?? 1000);
        const names = [...bucketOf(bucket).keys()].filter((n) => n.startsWith(prefix)).sort();
        const from = Number(req.query.get('pageToken') ?? 0);
        const page = names.slice(from, from + pageSize);
        const next = from + pageSize < names.length ? String(from + pageSize) : undefined;
        sendJson(res, 200, {
          kind: 'storage#objects',
          items: page.map((n) => resource(bucket, n, bucketOf(bucket).get(n)!)),
          ...(next ? { nextPageToken: next } : {}),
        });
      },
    },
    {
      method: 'GET',
      pattern: /^(?:\/storage\/v1)?\/b\/([^/]+)\/o\/(.+)$/,
      handler: (req, res) => {
        const bucket = decodeURIComponent(req.match[1]!);
        const name = decodeURIComponent(req.match[2]!);
        const obj = bucketOf(bucket).get(name);
        if (!obj) return notFound(res, bucket, name);
        if (req.query.get('alt') !== 'media') return sendJson(res, 200, resource(bucket, name, obj));
        const hashed = corrupt.has(name) ? Buffer.concat([obj.data, Buffer.from('!')]) : obj.data;
        res.writeHead(200, {
          'content-type': obj.contentType,
          'content-length': String(obj.data.length),
          'x-goog-hash': `crc32c=${crc32c(hashed)},md5=${md5(hashed)}`,
          'x-goog-stored-content-encoding': 'identity',
          'x-goog-generation': String(obj.generation),
        });
        res.end(obj.data);
      },
    },
  ]);
  return {
    ...server,
    buckets,
    corrupt,
    put: (bucket, name, data) => void store(bucket, name, Buffer.isBuffer(data) ? data : Buffer.from(data)),
    get: (bucket, name) => bucketOf(bucket).get(name)?.data,
    text: (bucket, name) => bucketOf(bucket).get(name)?.data.toString('utf8'),
  };
}
