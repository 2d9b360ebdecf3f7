/**
 * The standard library of Workflows, exactly the functions Google lists on its standard-library
 * overview, each with Google's argument names in Google's order (a `call` step passes them by name,
 * a positional `args` list or an expression by position), its defaults and its documented errors.
 * Where Google's pages are silent, the choice made is commented here and listed in CHOICES.md.
 *
 * Calls that leave the engine (`http.*`, `gke.*`, `events.*`, `experimental.executions.*`) are
 * checked here, then answered by the caller's handler for that name, like a `googleapis.*` connector.
 *
 * @see https://cloud.google.com/workflows/docs/reference/stdlib/overview
 */
import * as crypto from 'node:crypto';
import { raise } from './errors';
import { checkedInt } from './expression';
import { JsonLayout, decodeJson, encodeJson, formatDouble } from './json';
import { codePoints, compileRegex, decodeText, decodeUrl, encodeText, encodeUrl, fromCodePoints, requireUtf8 } from './text';
import { formatTimestamp, parseTimestamp } from './time';
import { INT64_MAX, INT64_MIN, Value, WfMap, deepCopy, isNumber, typeName } from './values';

/** What the standard library needs from the running execution. */
export interface StdlibContext {
  /** Virtual epoch seconds. */
  now(): number;
  /** Sleeps on the virtual clock. */
  sleep(seconds: number): Promise<void>;
  /** An environment variable (built-in or user), or undefined. */
  getEnv(name: string): string | undefined;
  /** Records a `sys.log` entry. */
  log(severity: string, payload: Value): void;
  /** The next UUID of this execution (deterministic per execution id). */
  nextUuid(): string;
  /** Whether the caller gave a handler for this call name. */
  hasHandler(name: string): boolean;
  /** Runs the caller's handler for a call that leaves the engine; with no handler, a `SystemError`. */
  callHandler(name: string, args: WfMap): Promise<Value>;
}

export interface StdlibFunction {
  /** Google's argument names, in Google's order. */
  readonly params: readonly string[];
  /** Number of leading params that must be given. */
  readonly required: number;
  /**
   * Google lists it among the blocking calls: a `call` step may use it, an expression may not.
   * @see https://cloud.google.com/workflows/docs/reference/syntax/expressions
   */
  readonly blocking?: boolean;
  /** It waits (on the clock or on a handler), so an expression calling it is evaluated asynchronously. */
  readonly waits?: boolean;
  /** A positional `args` list is refused (Google's documented argument order has changed). */
  readonly byNameOnly?: boolean;
  run(args: (Value | undefined)[], ctx: StdlibContext): Value | Promise<Value>;
}

/** The built-in retry policies, by the name written in `retry: ${...}`. */
export const RETRY_POLICIES = {
  // SL/http/default_retry, SL/http/default_retry_non_idempotent: 5 retries, backoff retry.default_backoff.
  'http.default_retry': { predicate: 'http.default_retry_predicate', maxRetries: 5, initialDelay: 1, maxDelay: 60, multiplier: 1.25 },
  'http.default_retry_non_idempotent': {
    predicate: 'http.default_retry_predicate_non_idempotent',
    maxRetries: 5,
    initialDelay: 1,
    maxDelay: 60,
    multiplier: 1.25,
  },
  // Our choice: used as a whole policy, retry.always keeps the default max_retries (5) and backoff;
  // retry.never makes no retry.
  'retry.always': { predicate: 'retry.always', maxRetries: 5, initialDelay: 1, maxDelay: 60, multiplier: 1.25 },
  'retry.never': { predicate: 'retry.never', maxRetries: 0, initialDelay: 1, maxDelay: 60, multiplier: 1.25 },
} as const;
export type RetryPolicyName = keyof typeof RETRY_POLICIES;

/** `retry.default_backoff`: 1 s initial delay, 60 s maximum, multiplier 1.25 (SL/retry/default_backoff). */
export const DEFAULT_BACKOFF = { initialDelay: 1, maxDelay: 60, multiplier: 1.25 } as const;

/** Names Google documents as objects, not functions: usable as a retry policy or backoff, never called. */
export const STDLIB_OBJECTS = ['http.default_retry', 'http.default_retry_non_idempotent', 'retry.default_backoff'] as const;

/**
 * Names Google's overview lists without a signature anywhere: the engine knows them but refuses a
 * call, since it cannot know what the call means.
 */
export const UNDOCUMENTED_SIGNATURES: Readonly<Record<string, string>> = {
  'experimental.executions.execution_error':
    'Google names experimental.executions.execution_error on its standard-library overview but documents no arguments or result',
};

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const LOG_SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];
const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  SHA1: 'sha1',
  SHA224: 'sha224',
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
};
const ONE_YEAR_SECONDS = 31_536_000;

function given(v: Value | undefined): v is Value {
  return v !== undefined;
}

function arg(args: (Value | undefined)[], i: number): Value {
  const v = args[i];
  return v === undefined ? null : v;
}

function str(fn: string, name: string, v: Value | undefined): string {
  if (typeof v !== 'string') raise('TypeError', `${fn}: ${name} must be a string, got ${typeName(v ?? null)}`);
  return v;
}

function num(fn: string, name: string, v: Value | undefined): number {
  if (!isNumber(v ?? null)) raise('TypeError', `${fn}: ${name} must be a number, got ${typeName(v ?? null)}`);
  return Number(v);
}

function int(fn: string, name: string, v: Value | undefined): number {
  if (typeof v !== 'bigint') raise('TypeError', `${fn}: ${name} must be an int, got ${typeName(v ?? null)}`);
  return Number(v);
}

function bool(fn: string, name: string, v: Value | undefined): boolean {
  if (typeof v !== 'boolean') raise('TypeError', `${fn}: ${name} must be a bool, got ${typeName(v ?? null)}`);
  return v;
}

function bytes(fn: string, name: string, v: Value | undefined): Uint8Array {
  if (!(v instanceof Uint8Array)) raise('TypeError', `${fn}: ${name} must be bytes, got ${typeName(v ?? null)} (use text.encode)`);
  return v;
}

function map(fn: string, name: string, v: Value | undefined): WfMap {
  if (!(v instanceof Map)) raise('TypeError', `${fn}: ${name} must be a map, got ${typeName(v ?? null)}`);
  return v;
}

function list(fn: string, name: string, v: Value | undefined): Value[] {
  if (!Array.isArray(v)) raise('TypeError', `${fn}: ${name} must be a list, got ${typeName(v ?? null)}`);
  return v;
}

/**
 * The arguments by name, for a handler: positional values labelled with the function's params,
 * and the documented defaults of those not given.
 */
function named(fn: StdlibFunction, args: (Value | undefined)[], defaults: Readonly<Record<string, Value>> = {}): WfMap {
  const out: WfMap = new Map();
  fn.params.forEach((p, i) => {
    if (args[i] !== undefined) out.set(p, args[i]!);
    else if (Object.prototype.hasOwnProperty.call(defaults, p)) out.set(p, defaults[p]!);
  });
  return out;
}

function toStringValue(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatDouble(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return raise('TypeError', `string(): cannot convert a ${typeName(v)} (use json.encode_to_string for lists and maps)`);
}

function mergeNested(a: WfMap, b: WfMap): WfMap {
  const out = deepCopy(a) as WfMap;
  for (const [k, v] of b) {
    const cur = out.get(k);
    out.set(k, cur instanceof Map && v instanceof Map ? mergeNested(cur, v) : deepCopy(v));
  }
  return out;
}

function hasTag(e: Value, tags: readonly string[]): boolean {
  if (!(e instanceof Map)) return false;
  const t = e.get('tags');
  return Array.isArray(t) && t.some((x) => typeof x === 'string' && tags.includes(x));
}

function httpCode(e: Value): number | undefined {
  if (!(e instanceof Map)) return undefined;
  const c = e.get('code');
  return isNumber(c ?? null) ? Number(c) : undefined;
}

function hashAlgorithm(fn: string, v: Value | undefined): string {
  const a = str(fn, 'algorithm', v);
  // Our choice: Google writes the names in upper case; lower case is accepted too.
  const h = HASH_ALGORITHMS[a.toUpperCase()];
  if (!h) raise('ValueError', `${fn}: unsupported algorithm ${JSON.stringify(a)} (one of ${Object.keys(HASH_ALGORITHMS).join(', ')})`);
  return h;
}

function jsonLayout(fn: string, v: Value | undefined): JsonLayout {
  const fourSpaces = '    ';
  // SL/json/encode: indent true means the defaults (prefix "", indent four spaces); false, none.
  if (v === undefined || v === null || v === false) return { prefix: '', indent: '' };
  if (v === true) return { prefix: '', indent: fourSpaces };
  if (v instanceof Map) {
    for (const k of v.keys())
      if (k !== 'prefix' && k !== 'indent') raise('ValueError', `${fn}: indent takes prefix and indent, not ${JSON.stringify(k)}`);
    const prefix = v.has('prefix') ? str(fn, 'indent.prefix', v.get('prefix')) : '';
    const indent = v.has('indent') ? str(fn, 'indent.indent', v.get('indent')) : fourSpaces;
    return { prefix, indent };
  }
  return raise('TypeError', `${fn}: indent must be a bool or a map {prefix, indent}, got ${typeName(v)}`);
}

/** The `index` of each match of `text.find_all_regex` counts code points. */
function matchEntry(cps: readonly number[], start: number, end: number): WfMap {
  return new Map<string, Value>([
    ['index', BigInt(start)],
    ['match', fromCodePoints(cps, start, end)],
  ]);
}

function checkLogValue(name: string, v: Value): void {
  if (v === null || v instanceof Uint8Array)
    raise('TypeError', `sys.log: ${name} must be an integer, float, bool, string, list or dict, got ${typeName(v)}`);
}

function httpTimeout(fn: string, v: Value | undefined, max: number): void {
  if (v === undefined) return;
  const t = num(fn, 'timeout', v);
  if (t > max) raise('ValueError', `${fn}: timeout is at most ${max} seconds, got ${t}`);
  // Our choice: a timeout that is not positive cannot be honoured.
  if (t <= 0) raise('ValueError', `${fn}: timeout must be positive, got ${t}`);
}

function checkStringMap(fn: string, name: string, v: Value | undefined): void {
  if (v === undefined) return;
  for (const [k, x] of map(fn, name, v))
    if (typeof x !== 'string') raise('TypeError', `${fn}: ${name}.${k} must be a string, got ${typeName(x)}`);
}

function checkQuery(fn: string, v: Value | undefined): void {
  if (v === undefined) return;
  const scalar = (x: Value): boolean => typeof x === 'string' || typeof x === 'boolean' || isNumber(x);
  for (const [k, x] of map(fn, 'query', v)) {
    if (!(scalar(x) || (Array.isArray(x) && x.every(scalar))))
      raise('TypeError', `${fn}: query.${k} must be a string, number, bool or a list of them, got ${typeName(x)}`);
  }
}

/** Checks the arguments every `http.*` request function shares (SL/http/get, "Raised exceptions"). */
function checkHttpArgs(fn: string, a: WfMap): void {
  const url = str(fn, 'url', a.get('url'));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return raise('ValueError', `${fn}: ${JSON.stringify(url)} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    raise('ValueError', `${fn}: the URL must be http or https, got ${JSON.stringify(url)}`);
  httpTimeout(fn, a.get('timeout'), 1800);
  checkStringMap(fn, 'headers', a.get('headers'));
  checkQuery(fn, a.get('query'));
  const auth = a.get('auth');
  if (auth !== undefined) {
    const type = map(fn, 'auth', auth).get('type');
    if (type !== 'OIDC' && type !== 'OAuth2')
      raise('ValueError', `${fn}: auth.type must be "OIDC" or "OAuth2", got ${JSON.stringify(type ?? null)}`);
  }
  const service = a.get('private_service_name');
  if (service !== undefined) {
    str(fn, 'private_service_name', service);
    if (parsed.port !== '') raise('ValueError', `${fn}: a URL with a port cannot be used with private_service_name`);
  }
  const ca = a.get('ca_certificate');
  if (ca !== undefined && !(ca instanceof Uint8Array))
    raise('ValueError', `${fn}: ca_certificate must be bytes (DER), got ${typeName(ca)}`);
}

const F = (params: string[], required: number, run: StdlibFunction['run'], extra: Partial<StdlibFunction> = {}): StdlibFunction => ({
  params,
  required,
  run,
  ...extra,
});

/** An `http.*` request function: checked, then answered by the caller's handler. */
function httpFunction(name: string, params: string[], required: number): StdlibFunction {
  const fn: StdlibFunction = F(
    params,
    required,
    async (a, ctx) => {
      // SL/http/*: timeout defaults to 300 seconds.
      const args = named(fn, a, { timeout: 300 });
      if (params[0] === 'method') {
        const method = str(name, 'method', args.get('method'));
        if (!HTTP_METHODS.includes(method))
          raise('ValueError', `${name}: method must be one of ${HTTP_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
      }
      checkHttpArgs(name, args);
      return ctx.callHandler(name, args);
    },
    { blocking: true, waits: true },
  );
  return fn;
}

/** A `gke.*` function (CN/gke/...): checked, then answered by the caller's handler. */
function gkeFunction(
  name: string,
  params: string[],
  required: number,
  maxTimeout: number,
  defaults: Record<string, Value>,
  check: (a: WfMap) => void = () => undefined,
): StdlibFunction {
  const fn: StdlibFunction = F(
    params,
    required,
    async (a, ctx) => {
      const args = named(fn, a, defaults);
      str(name, 'cluster_id', args.get('cluster_id'));
      for (const p of ['location', 'project', 'namespace', 'job_name', 'path']) if (args.has(p)) str(name, p, args.get(p));
      httpTimeout(name, args.get('timeout'), maxTimeout);
      checkQuery(name, args.get('query'));
      check(args);
      return ctx.callHandler(name, args);
    },
    // Our choice: Google's documented argument order of the gke functions changed between versions
    // of its pages, so the engine takes their arguments by name only.
    { blocking: true, waits: true, byNameOnly: true },
  );
  return fn;
}

/** Every standard-library function, by its dotted name. */
export const STDLIB: Readonly<Record<string, StdlibFunction>> = {
  // Expression helpers (SL/expression-helpers). Google gives the conversion and data-type helpers no
  // argument names; ours are `value` and `map`.
  default: F(['val', 'defaultVal'], 2, (a) => (arg(a, 0) === null ? arg(a, 1) : arg(a, 0))),
  // Our choice: if() is a function, so all three arguments are evaluated before it runs.
  if: F(['condition', 'ifTrue', 'ifFalse'], 3, (a) => {
    const c = arg(a, 0);
    if (c !== null && typeof c !== 'boolean') raise('TypeError', `if(): condition must be a bool or null, got ${typeName(c)}`);
    return c === true ? arg(a, 1) : arg(a, 2);
  }),
  keys: F(['map'], 1, (a) => [...map('keys', 'map', a[0]).keys()]),
  len: F(['value'], 1, (a) => {
    const v = arg(a, 0);
    if (typeof v === 'string') return BigInt(codePoints(v).length);
    if (Array.isArray(v)) return BigInt(v.length);
    if (v instanceof Map) return BigInt(v.size);
    // Our choice: Google documents len() for lists, maps and strings; bytes give their length too.
    if (v instanceof Uint8Array) return BigInt(v.length);
    return raise('TypeError', `len(): a ${typeName(v)} has no length`);
  }),
  get_type: F(['arg'], 1, (a) => typeName(arg(a, 0))),
  int: F(['value'], 1, (a) => {
    const v = arg(a, 0);
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) raise('ValueError', `int(): ${v} is not finite`);
      return checkedInt(BigInt(Math.trunc(v)));
    }
    if (typeof v === 'string') {
      if (!/^[+-]?\d+$/.test(v.trim())) raise('ValueError', `int(): ${JSON.stringify(v)} is not an integer`);
      return checkedInt(BigInt(v.trim()));
    }
    return raise('TypeError', `int(): cannot convert a ${typeName(v)}`);
  }),
  double: F(['value'], 1, (a) => {
    const v = arg(a, 0);
    if (isNumber(v)) return Number(v);
    if (typeof v === 'string') {
      const n = Number(v.trim());
      if (v.trim() === '' || Number.isNaN(n)) raise('ValueError', `double(): ${JSON.stringify(v)} is not a number`);
      return n;
    }
    return raise('TypeError', `double(): cannot convert a ${typeName(v)}`);
  }),
  string: F(['value'], 1, (a) => toStringValue(arg(a, 0))),

  'base64.encode': F(['data', 'padding'], 1, (a) => {
    const text = Buffer.from(bytes('base64.encode', 'data', a[0])).toString('base64');
    return given(a[1]) && !bool('base64.encode', 'padding', a[1]) ? text.replace(/=+$/, '') : text;
  }),
  'base64.decode': F(['data', 'padding'], 1, (a) => {
    const padding = given(a[1]) ? bool('base64.decode', 'padding', a[1]) : true;
    // SL/base64/decode: CR and LF are ignored.
    const text = str('base64.decode', 'data', a[0]).replace(/[\r\n]/g, '');
    const valid = padding
      ? /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0
      : /^[A-Za-z0-9+/]*$/.test(text) && text.length % 4 !== 1;
    if (!valid)
      raise(
        'ValueError',
        padding
          ? 'base64.decode: not valid padded base64 (alphabet A-Z a-z 0-9 + /, length a multiple of 4)'
          : 'base64.decode: not valid unpadded base64',
      );
    return new Uint8Array(Buffer.from(text, 'base64'));
  }),

  'events.create_callback_endpoint': F(
    ['http_callback_method'],
    0,
    async (a, ctx) => {
      const method = given(a[0]) ? str('events.create_callback_endpoint', 'http_callback_method', a[0]) : 'POST';
      if (!HTTP_METHODS.includes(method))
        raise(
          'ValueError',
          `events.create_callback_endpoint: http_callback_method must be one of ${HTTP_METHODS.join(', ')}, got ${JSON.stringify(method)}`,
        );
      const args: WfMap = new Map([['http_callback_method', method]]);
      if (ctx.hasHandler('events.create_callback_endpoint')) return ctx.callHandler('events.create_callback_endpoint', args);
      // Without a handler: an endpoint in the shape of Google's callback URLs, which nothing will call.
      const env = (n: string): string => ctx.getEnv(n) ?? '';
      const url = `https://workflowexecutions.googleapis.com/v1/projects/${env('GOOGLE_CLOUD_PROJECT_ID')}/locations/${env('GOOGLE_CLOUD_LOCATION')}/workflows/${env('GOOGLE_CLOUD_WORKFLOW_ID')}/executions/${env('GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID')}/callbacks/${ctx.nextUuid()}`;
      return new Map<string, Value>([['url', url]]);
    },
    { waits: true },
  ),
  'events.await_callback': F(
    ['callback', 'timeout'],
    1,
    async (a, ctx) => {
      const fn = 'events.await_callback';
      const url = map(fn, 'callback', a[0]).get('url');
      if (typeof url !== 'string')
        raise('ValueError', `${fn}: callback must be the map events.create_callback_endpoint returned (with its url)`);
      const timeout = given(a[1]) ? num(fn, 'timeout', a[1]) : 43200;
      if (timeout < 0) raise('ValueError', `${fn}: timeout must not be negative, got ${timeout}`);
      if (ctx.hasHandler(fn))
        return ctx.callHandler(
          fn,
          new Map<string, Value>([
            ['callback', a[0]!],
            ['timeout', timeout],
          ]),
        );
      // Without a handler nothing can call back: the wait runs out on the virtual clock.
      await ctx.sleep(timeout);
      return raise('TimeoutError', `${fn}: no callback to ${url} within ${timeout} seconds`);
    },
    { blocking: true, waits: true },
  ),

  // SL/experimental.executions/*: answered by the caller's handlers.
  'experimental.executions.run': F(
    ['workflow_id', 'location', 'project_id', 'argument'],
    1,
    async (a, ctx) => {
      const fn = 'experimental.executions.run';
      str(fn, 'workflow_id', a[0]);
      if (given(a[1])) str(fn, 'location', a[1]);
      if (given(a[2])) str(fn, 'project_id', a[2]);
      if (given(a[3]) && (a[3] === null || a[3] instanceof Uint8Array))
        raise('TypeError', `${fn}: argument must be an integer, float, bool, string, list or dict, got ${typeName(a[3])}`);
      return ctx.callHandler(fn, named(STDLIB[fn]!, a));
    },
    { blocking: true, waits: true },
  ),
  'experimental.executions.map': F(
    ['workflow_id', 'arguments', 'timeout', 'location', 'project_id'],
    2,
    async (a, ctx) => {
      const fn = 'experimental.executions.map';
      str(fn, 'workflow_id', a[0]);
      list(fn, 'arguments', a[1]);
      if (given(a[2])) num(fn, 'timeout', a[2]);
      if (given(a[3])) str(fn, 'location', a[3]);
      if (given(a[4])) str(fn, 'project_id', a[4]);
      return ctx.callHandler(fn, named(STDLIB[fn]!, a, { timeout: 1800 }));
    },
    { blocking: true, waits: true },
  ),

  // CN/gke/*: timeouts default to 300 s (1800 s for await_job), the namespace to "default".
  'gke.request': gkeFunction(
    'gke.request',
    ['cluster_id', 'path', 'method', 'location', 'project', 'timeout', 'body', 'headers', 'query'],
    2,
    1800,
    { timeout: 300 },
    (a) => {
      str('gke.request', 'path', a.get('path'));
      if (a.has('method') && !HTTP_METHODS.includes(str('gke.request', 'method', a.get('method')))) {
        raise('ValueError', `gke.request: method must be one of ${HTTP_METHODS.join(', ')}, got ${JSON.stringify(a.get('method'))}`);
      }
      checkStringMap('gke.request', 'headers', a.get('headers'));
    },
  ),
  'gke.create_job': gkeFunction(
    'gke.create_job',
    ['cluster_id', 'job', 'location', 'namespace', 'project', 'query', 'timeout'],
    2,
    1800,
    { namespace: 'default', timeout: 300 },
    (a) => void map('gke.create_job', 'job', a.get('job')),
  ),
  'gke.await_job': gkeFunction(
    'gke.await_job',
    ['cluster_id', 'job_name', 'location', 'namespace', 'project', 'query', 'timeout', 'polling_policy'],
    2,
    ONE_YEAR_SECONDS,
    { namespace: 'default', timeout: 1800 },
    (a) => {
      str('gke.await_job', 'job_name', a.get('job_name'));
      if (a.has('polling_policy')) map('gke.await_job', 'polling_policy', a.get('polling_policy'));
    },
  ),
  'gke.delete_job': gkeFunction(
    'gke.delete_job',
    ['cluster_id', 'job_name', 'location', 'namespace', 'project', 'query', 'timeout'],
    2,
    1800,
    { namespace: 'default', timeout: 300 },
    (a) => void str('gke.delete_job', 'job_name', a.get('job_name')),
  ),

  'hash.compute_checksum': F(
    ['data', 'algorithm'],
    2,
    (a) =>
      new Uint8Array(
        crypto
          .createHash(hashAlgorithm('hash.compute_checksum', a[1]))
          .update(bytes('hash.compute_checksum', 'data', a[0]))
          .digest(),
      ),
  ),
  'hash.compute_hmac': F(
    ['key', 'data', 'algorithm'],
    3,
    (a) =>
      new Uint8Array(
        crypto
          .createHmac(hashAlgorithm('hash.compute_hmac', a[2]), bytes('hash.compute_hmac', 'key', a[0]))
          .update(bytes('hash.compute_hmac', 'data', a[1]))
          .digest(),
      ),
  ),

  'http.request': httpFunction(
    'http.request',
    ['method', 'url', 'timeout', 'body', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate'],
    2,
  ),
  'http.get': httpFunction('http.get', ['url', 'timeout', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate'], 1),
  'http.post': httpFunction(
    'http.post',
    ['url', 'timeout', 'body', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate'],
    1,
  ),
  'http.put': httpFunction('http.put', ['url', 'timeout', 'body', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate'], 1),
  'http.patch': httpFunction(
    'http.patch',
    ['url', 'timeout', 'body', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate'],
    1,
  ),
  'http.delete': httpFunction(
    'http.delete',
    ['url', 'timeout', 'body', 'headers', 'query', 'auth', 'private_service_name', 'ca_certificate'],
    1,
  ),
  'http.default_retry_predicate': F(['exception'], 1, (a) => {
    const e = arg(a, 0);
    const code = httpCode(e);
    return (
      (code !== undefined && [429, 502, 503, 504].includes(code)) || hasTag(e, ['ConnectionError', 'ConnectionFailedError', 'TimeoutError'])
    );
  }),
  'http.default_retry_predicate_non_idempotent': F(['exception'], 1, (a) => {
    const e = arg(a, 0);
    const code = httpCode(e);
    return (code !== undefined && [429, 503].includes(code)) || hasTag(e, ['ConnectionFailedError']);
  }),

  'json.decode': F(['data'], 1, (a) => {
    const d = a[0];
    if (d instanceof Uint8Array) return decodeJson(Buffer.from(d).toString('utf8'));
    return decodeJson(str('json.decode', 'data', d));
  }),
  'json.encode': F(
    ['data', 'indent'],
    1,
    (a) => new Uint8Array(Buffer.from(encodeJson(arg(a, 0), jsonLayout('json.encode', a[1])), 'utf8')),
  ),
  'json.encode_to_string': F(['data', 'indent'], 1, (a) => encodeJson(arg(a, 0), jsonLayout('json.encode_to_string', a[1]))),

  // SL/list/concat: val becomes one new last element (a list argument is nested, not spread).
  'list.concat': F(['objs', 'val'], 2, (a) => [...list('list.concat', 'objs', a[0]), arg(a, 1)]),
  'list.prepend': F(['objs', 'val'], 2, (a) => [arg(a, 1), ...list('list.prepend', 'objs', a[0])]),

  // SL/map/get: null for a missing key or a map that is not a map; TypeError only for bad keys.
  'map.get': F(['map', 'keys'], 2, (a) => {
    const k = arg(a, 1);
    const path =
      typeof k === 'string'
        ? [k]
        : Array.isArray(k)
          ? k
          : raise('TypeError', `map.get: keys must be a string or a list of strings, got ${typeName(k)}`);
    for (const key of path) if (typeof key !== 'string') raise('TypeError', `map.get: keys must be strings, got ${typeName(key)}`);
    let cur = arg(a, 0);
    for (const key of path as string[]) {
      if (!(cur instanceof Map)) return null;
      const next: Value | undefined = cur.get(key);
      if (next === undefined) return null;
      cur = next;
    }
    return cur;
  }),
  'map.delete': F(['map', 'key'], 2, (a) => {
    const out = new Map(map('map.delete', 'map', a[0]));
    out.delete(str('map.delete', 'key', a[1]));
    return out;
  }),
  'map.merge': F(['first', 'second'], 2, (a) => {
    const out = new Map(map('map.merge', 'first', a[0]));
    for (const [k, v] of map('map.merge', 'second', a[1])) out.set(k, v);
    return out;
  }),
  'map.merge_nested': F(['first', 'second'], 2, (a) =>
    mergeNested(map('map.merge_nested', 'first', a[0]), map('map.merge_nested', 'second', a[1])),
  ),

  'math.abs': F(['x'], 1, (a) => {
    const x = arg(a, 0);
    if (typeof x === 'bigint') {
      if (x === INT64_MIN) raise('ValueError', 'math.abs: the smallest 64-bit integer has no positive counterpart');
      return x < 0n ? -x : x;
    }
    return Math.abs(num('math.abs', 'x', x));
  }),
  // Our choice: math.floor returns an int (the floor of a double is integral; ints pass through).
  'math.floor': F(['x'], 1, (a) => {
    const x = arg(a, 0);
    if (typeof x === 'bigint') return x;
    const f = Math.floor(num('math.floor', 'x', x));
    if (!Number.isFinite(f) || f < Number(INT64_MIN) || f >= Number(INT64_MAX))
      raise('ValueError', `math.floor: ${x} does not fit in an int`);
    return BigInt(f);
  }),
  // SL/math/max, SL/math/min: an int only when both arguments are ints, otherwise a double.
  'math.max': F(['x', 'y'], 2, (a) => {
    const x = num('math.max', 'x', a[0]);
    const y = num('math.max', 'y', a[1]);
    if (typeof a[0] === 'bigint' && typeof a[1] === 'bigint') return a[0] >= a[1] ? a[0] : a[1];
    return Math.max(x, y);
  }),
  'math.min': F(['x', 'y'], 2, (a) => {
    const x = num('math.min', 'x', a[0]);
    const y = num('math.min', 'y', a[1]);
    if (typeof a[0] === 'bigint' && typeof a[1] === 'bigint') return a[0] <= a[1] ? a[0] : a[1];
    return Math.min(x, y);
  }),

  // SL/retry/always, SL/retry/never: predicates (Google names no argument; ours is `e`).
  'retry.always': F(['e'], 1, () => true),
  'retry.never': F(['e'], 1, () => false),

  'sys.get_env': F(['name', 'default'], 1, (a, ctx) => {
    const v = ctx.getEnv(str('sys.get_env', 'name', a[0]));
    if (given(a[1])) str('sys.get_env', 'default', a[1]);
    // Our choice: an unset variable without a default is null.
    return v === undefined ? arg(a, 1) : v;
  }),
  'sys.log': F(
    ['data', 'severity', 'text', 'json', 'timeout'],
    0,
    (a, ctx) => {
      const fn = 'sys.log';
      const payloads = [a[0], a[2], a[3]].filter(given);
      if (payloads.length !== 1) raise('TypeError', `${fn}: give exactly one of data, text or json, got ${payloads.length}`);
      if (given(a[0])) checkLogValue('data', a[0]);
      if (given(a[2])) checkLogValue('text', a[2]);
      if (given(a[3])) map(fn, 'json', a[3]);
      const severity = given(a[1]) ? str(fn, 'severity', a[1]) : 'DEFAULT';
      // Our choice: Google lists the severities but no error for another one; it is a ValueError.
      if (!LOG_SEVERITIES.includes(severity))
        raise('ValueError', `${fn}: severity must be one of ${LOG_SEVERITIES.join(', ')}, got ${JSON.stringify(severity)}`);
      if (given(a[4])) num(fn, 'timeout', a[4]);
      ctx.log(severity, payloads[0]!);
      return null;
    },
    { blocking: true },
  ),
  'sys.now': F([], 0, (_a, ctx) => ctx.now()),
  'sys.sleep': F(
    ['seconds'],
    1,
    async (a, ctx) => {
      const s = num('sys.sleep', 'seconds', a[0]);
      // Our choice: Google gives the one-year maximum but no error; both bounds are ValueErrors.
      if (s < 0) raise('ValueError', `sys.sleep: seconds must not be negative, got ${s}`);
      if (s > ONE_YEAR_SECONDS) raise('ValueError', `sys.sleep: at most ${ONE_YEAR_SECONDS} seconds, got ${s}`);
      await ctx.sleep(s);
      return null;
    },
    { blocking: true, waits: true },
  ),
  // Our choice: not on Google's list of blocking calls, so an expression may use it.
  'sys.sleep_until': F(
    ['time'],
    1,
    async (a, ctx) => {
      const at = parseTimestamp('sys.sleep_until', str('sys.sleep_until', 'time', a[0]));
      if (at - ctx.now() > ONE_YEAR_SECONDS) raise('ValueError', 'sys.sleep_until: the time is more than a year ahead');
      await ctx.sleep(Math.max(0, at - ctx.now()));
      return null;
    },
    { waits: true },
  ),

  'text.decode': F(['data', 'charset'], 1, (a) =>
    decodeText(bytes('text.decode', 'data', a[0]), given(a[1]) ? str('text.decode', 'charset', a[1]) : 'UTF-8'),
  ),
  'text.encode': F(['text', 'charset'], 1, (a) =>
    encodeText(str('text.encode', 'text', a[0]), given(a[1]) ? str('text.encode', 'charset', a[1]) : 'UTF-8'),
  ),
  // Our choice: an empty substr finds nothing.
  'text.find_all': F(['source', 'substr'], 2, (a) => {
    const s = str('text.find_all', 'source', a[0]);
    const sub = requireUtf8('text.find_all', 'substr', str('text.find_all', 'substr', a[1]));
    const out: Value[] = [];
    if (sub === '') return out;
    let cp = 0;
    let last = 0;
    for (let i = s.indexOf(sub); i !== -1; i = s.indexOf(sub, i + sub.length)) {
      cp += codePoints(s.slice(last, i)).length;
      last = i;
      out.push(BigInt(cp));
    }
    return out;
  }),
  'text.find_all_regex': F(['source', 'regexp'], 2, (a) => {
    const cps = codePoints(str('text.find_all_regex', 'source', a[0]));
    const re = compileRegex('text.find_all_regex', str('text.find_all_regex', 'regexp', a[1]));
    return [...re.matches(cps)].map((m) => matchEntry(cps, m.start, m.end));
  }),
  'text.match_regex': F(['source', 'regexp'], 2, (a) => {
    const s = str('text.match_regex', 'source', a[0]);
    return compileRegex('text.match_regex', str('text.match_regex', 'regexp', a[1])).test(codePoints(s));
  }),
  'text.replace_all': F(['source', 'substr', 'repl'], 3, (a) => {
    const s = str('text.replace_all', 'source', a[0]);
    const sub = requireUtf8('text.replace_all', 'substr', str('text.replace_all', 'substr', a[1]));
    const repl = requireUtf8('text.replace_all', 'repl', str('text.replace_all', 'repl', a[2]));
    // SL/text/replace_all: an empty substr matches at the start and after every code point.
    if (sub === '') return repl + Array.from(s, (ch) => ch + repl).join('');
    return s.split(sub).join(repl);
  }),
  // SL/text/replace_all_regex: repl is literal text; backreferences such as \1 are not supported.
  'text.replace_all_regex': F(['source', 'regexp', 'repl'], 3, (a) => {
    const cps = codePoints(str('text.replace_all_regex', 'source', a[0]));
    const re = compileRegex('text.replace_all_regex', str('text.replace_all_regex', 'regexp', a[1]));
    const repl = requireUtf8('text.replace_all_regex', 'repl', str('text.replace_all_regex', 'repl', a[2]));
    let out = '';
    let at = 0;
    for (const m of re.matches(cps)) {
      out += fromCodePoints(cps, at, m.start) + repl;
      at = m.end;
    }
    return out + fromCodePoints(cps, at);
  }),
  'text.split': F(['source', 'separator'], 2, (a) => {
    const s = str('text.split', 'source', a[0]);
    const sep = requireUtf8('text.split', 'separator', str('text.split', 'separator', a[1]));
    if (sep === '') raise('ValueError', 'text.split: separator must not be empty');
    return s.split(sep);
  }),
  // SL/text/substring: code-point indexes, a negative one counts from the end, both are clamped.
  // Our choice: start at or after end gives "".
  'text.substring': F(['source', 'start', 'end'], 3, (a) => {
    const cps = codePoints(str('text.substring', 'source', a[0]));
    const at = (n: number): number => Math.max(0, Math.min(cps.length, n < 0 ? cps.length + n : n));
    const start = at(int('text.substring', 'start', a[1]));
    const end = at(int('text.substring', 'end', a[2]));
    return start >= end ? '' : fromCodePoints(cps, start, end);
  }),
  'text.to_lower': F(['source'], 1, (a) => str('text.to_lower', 'source', a[0]).toLowerCase()),
  'text.to_upper': F(['source'], 1, (a) => str('text.to_upper', 'source', a[0]).toUpperCase()),
  'text.url_decode': F(['source'], 1, (a) => decodeUrl('text.url_decode', str('text.url_decode', 'source', a[0]))),
  'text.url_encode': F(['source'], 1, (a) => encodeUrl('text.url_encode', str('text.url_encode', 'source', a[0]), false)),
  'text.url_encode_plus': F(['source'], 1, (a) => encodeUrl('text.url_encode_plus', str('text.url_encode_plus', 'source', a[0]), true)),

  // Our choice: Google lists no error for time.format; a non-number is a TypeError, an unknown zone a ValueError.
  'time.format': F(['seconds', 'timezone'], 1, (a) =>
    formatTimestamp(num('time.format', 'seconds', a[0]), given(a[1]) ? str('time.format', 'timezone', a[1]) : ''),
  ),
  'time.parse': F(['value'], 1, (a) => parseTimestamp('time.parse', str('time.parse', 'value', a[0]))),

  'uuid.generate': F([], 0, (_a, ctx) => ctx.nextUuid()),
};

/**
 * Connector methods Google allows inside an expression, with their positional order: the Secret
 * Manager helper `accessString` (GA/secretmanager/Overview; Google's sample calls it as
 * `accessString(secret_id, version, project_id)`). Every other `googleapis.*` call is blocking.
 * `addVersionString` is allowed too by the same page, but its positional order is not documented,
 * so the engine takes it from a `call` step only.
 */
export const EXPRESSION_CONNECTORS: Readonly<Record<string, readonly string[]>> = {
  'googleapis.secretmanager.v1.projects.secrets.versions.accessString': ['secret_id', 'version', 'project_id'],
};

/** `googleapis.<service>.<version>.<resource...>.<method>` (GA/, "Invoke a connector call"). */
export const CONNECTOR_NAME = /^googleapis\.[a-z][a-z0-9]*\.v\d+[a-z0-9]*(\.[A-Za-z_][A-Za-z0-9_]*){2,}$/;

/** Whether a `call` step may name this standard-library function. */
export function isStdlibCallable(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(STDLIB, name);
}

/** Whether an expression may call this standard-library function (it is not a blocking call). */
export function isExpressionFunction(name: string): boolean {
  return isStdlibCallable(name) && !STDLIB[name]!.blocking;
}

/** Whether the function waits, so that an expression calling it is evaluated asynchronously. */
export function isWaitingFunction(name: string): boolean {
  return (isStdlibCallable(name) && !!STDLIB[name]!.waits) || Object.prototype.hasOwnProperty.call(EXPRESSION_CONNECTORS, name);
}

/** Maps a call step's named args to the function's positional params; unknown names are TypeErrors. */
export function namedToPositional(name: string, fn: StdlibFunction, args: WfMap | null): (Value | undefined)[] {
  const out: (Value | undefined)[] = [];
  if (args) {
    for (const [k, v] of args) {
      const i = fn.params.indexOf(k);
      if (i === -1) raise('TypeError', `${name}: unknown argument "${k}" (its arguments are: ${fn.params.join(', ') || 'none'})`);
      out[i] = v;
    }
  }
  checkArity(name, fn, out);
  return out;
}

export function checkArity(name: string, fn: StdlibFunction, args: (Value | undefined)[]): void {
  if (args.length > fn.params.length)
    raise('TypeError', `${name}: takes at most ${fn.params.length} argument${fn.params.length === 1 ? '' : 's'}, got ${args.length}`);
  for (let i = 0; i < fn.required; i++) {
    if (args[i] === undefined) raise('TypeError', `${name}: missing argument "${fn.params[i]}"`);
  }
}
