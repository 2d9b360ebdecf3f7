/**
 * The standard library the engine offers (workflows-language.md, "Standard library"), with each
 * function's parameter names so that a `call` step can pass them by name and an expression by
 * position. Where Google's pages are silent, the choice made is written beside the function.
 */
import * as crypto from 'node:crypto';
import { raise } from './errors';
import { checkedInt } from './expression';
import { decodeJson, encodeJson, formatDouble } from './json';
import { INT64_MAX, INT64_MIN, Value, WfMap, deepCopy, describe, isNumber, typeName } from './values';

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
}

export interface StdlibFunction {
  readonly params: readonly string[];
  /** Number of leading params that must be given. */
  readonly required: number;
  /** Whether it blocks (waits on the clock). */
  readonly blocking?: boolean;
  /** Whether only a `call` step may use it (not an expression). */
  readonly callOnly?: boolean;
  run(args: (Value | undefined)[], ctx: StdlibContext): Value | Promise<Value>;
}

/** The built-in retry policies, by the name written in `retry: ${...}`. */
export const RETRY_POLICIES = {
  'http.default_retry': { predicate: 'http.default_retry_predicate', maxRetries: 5, initialDelay: 1, maxDelay: 60, multiplier: 1.25 },
  'http.default_retry_non_idempotent': { predicate: 'http.default_retry_predicate_non_idempotent', maxRetries: 5, initialDelay: 1, maxDelay: 60, multiplier: 1.25 },
  // Our choice: retry.always keeps Google's default max_retries (5) and default backoff (1 s, 60 s,
  // x1.25, secondary sources only); retry.never makes no retry.
  'retry.always': { predicate: 'retry.always', maxRetries: 5, initialDelay: 1, maxDelay: 60, multiplier: 1.25 },
  'retry.never': { predicate: 'retry.never', maxRetries: 0, initialDelay: 1, maxDelay: 60, multiplier: 1.25 },
} as const;
export type RetryPolicyName = keyof typeof RETRY_POLICIES;

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

function regex(fn: string, source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (e) {
    return raise('ValueError', `${fn}: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
}

/** Code-point index of a UTF-16 offset. */
function codePointIndex(s: string, utf16: number): number {
  let n = 0;
  for (let i = 0; i < utf16; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
    n++;
  }
  return n;
}

function matchEntry(source: string, index: number, match: string): WfMap {
  return new Map<string, Value>([
    ['index', BigInt(codePointIndex(source, index))],
    ['match', match],
  ]);
}

function encodeUrl(s: string, plus: boolean): string {
  const e = encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return plus ? e.replace(/%20/g, '+') : e;
}

function parseTime(fn: string, s: string): number {
  // RFC 3339 only: a date, a time, optional fraction, and Z or an offset.
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) raise('ValueError', `${fn}: ${JSON.stringify(s)} is not an RFC 3339 timestamp`);
  const whole = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]!.toUpperCase()}`);
  if (Number.isNaN(whole)) raise('ValueError', `${fn}: ${JSON.stringify(s)} is not a valid time`);
  return whole / 1000 + (m[7] ? Number(m[7]) : 0);
}

function formatTime(seconds: number, timezone: string): string {
  // Our choice: only UTC is supported (the reference names no zone database); another zone is refused.
  if (timezone !== 'UTC' && timezone !== 'Z' && timezone !== 'Etc/UTC') raise('ValueError', `time.format: only the UTC time zone is supported locally, got ${JSON.stringify(timezone)}`);
  const whole = Math.floor(seconds);
  const micros = Math.round((seconds - whole) * 1e6);
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  return micros === 0 ? `${base}Z` : `${base}.${String(micros).padStart(6, '0')}Z`;
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

const HASH_ALGORITHMS: Record<string, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512', MD5: 'md5' };

function hashAlgorithm(fn: string, v: Value | undefined): string {
  const a = str(fn, 'algorithm', v);
  const h = HASH_ALGORITHMS[a.toUpperCase()];
  if (!h) raise('ValueError', `${fn}: unknown algorithm ${JSON.stringify(a)} (known: ${Object.keys(HASH_ALGORITHMS).join(', ')})`);
  return h;
}

const F = (params: string[], required: number, run: StdlibFunction['run'], extra: Partial<StdlibFunction> = {}): StdlibFunction => ({ params, required, run, ...extra });

/** Every standard-library function, by its dotted name. */
export const STDLIB: Readonly<Record<string, StdlibFunction>> = {
  // Functions without a module.
  default: F(['value', 'default'], 2, (a) => (arg(a, 0) === null ? arg(a, 1) : arg(a, 0))),
  keys: F(['map'], 1, (a) => [...map('keys', 'map', a[0]).keys()]),
  len: F(['value'], 1, (a) => {
    const v = arg(a, 0);
    if (typeof v === 'string') return BigInt([...v].length);
    if (Array.isArray(v)) return BigInt(v.length);
    if (v instanceof Map) return BigInt(v.size);
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

  'sys.now': F([], 0, (_a, ctx) => ctx.now()),
  'sys.sleep': F(
    ['seconds'],
    1,
    async (a, ctx) => {
      const s = num('sys.sleep', 'seconds', a[0]);
      if (s < 0) raise('ValueError', `sys.sleep: seconds must not be negative, got ${s}`);
      if (s > 31536000) raise('ValueError', `sys.sleep: at most 31536000 seconds, got ${s}`);
      await ctx.sleep(s);
      return null;
    },
    { blocking: true },
  ),
  'sys.sleep_until': F(
    ['time'],
    1,
    async (a, ctx) => {
      const at = parseTime('sys.sleep_until', str('sys.sleep_until', 'time', a[0]));
      await ctx.sleep(Math.max(0, at - ctx.now()));
      return null;
    },
    { blocking: true },
  ),
  'sys.log': F(['data', 'severity', 'text', 'json', 'timeout'], 0, (a, ctx) => {
    const given = [a[0], a[2], a[3]].filter((x) => x !== undefined);
    if (given.length !== 1) raise('ValueError', 'sys.log: give exactly one of data, text or json');
    const severity = a[1] === undefined ? 'DEFAULT' : str('sys.log', 'severity', a[1]);
    const known = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];
    if (!known.includes(severity)) raise('ValueError', `sys.log: unknown severity ${JSON.stringify(severity)}`);
    if (a[2] !== undefined) str('sys.log', 'text', a[2]);
    ctx.log(severity, given[0]!);
    return null;
  }),
  'sys.get_env': F(['name', 'default'], 1, (a, ctx) => {
    const v = ctx.getEnv(str('sys.get_env', 'name', a[0]));
    return v === undefined ? arg(a, 1) : v;
  }),

  'text.split': F(['source', 'separator'], 2, (a) => {
    const s = str('text.split', 'source', a[0]);
    const sep = str('text.split', 'separator', a[1]);
    return sep === '' ? [...s] : s.split(sep);
  }),
  // Our choice: indexes count code points and are clamped to the string; start >= end gives "".
  'text.substring': F(['source', 'start', 'end'], 3, (a) => {
    const cps = [...str('text.substring', 'source', a[0])];
    const clamp = (n: number): number => Math.max(0, Math.min(cps.length, n));
    const start = clamp(int('text.substring', 'start', a[1]));
    const end = clamp(int('text.substring', 'end', a[2]));
    return start >= end ? '' : cps.slice(start, end).join('');
  }),
  'text.find_all': F(['source', 'substr'], 2, (a) => {
    const s = str('text.find_all', 'source', a[0]);
    const sub = str('text.find_all', 'substr', a[1]);
    const out: Value[] = [];
    if (sub === '') return out;
    for (let i = s.indexOf(sub); i !== -1; i = s.indexOf(sub, i + sub.length)) out.push(matchEntry(s, i, sub));
    return out;
  }),
  'text.find_all_regex': F(['source', 'regexp'], 2, (a) => {
    const s = str('text.find_all_regex', 'source', a[0]);
    const re = regex('text.find_all_regex', str('text.find_all_regex', 'regexp', a[1]), 'gu');
    return [...s.matchAll(re)].filter((m) => m[0] !== '').map((m) => matchEntry(s, m.index!, m[0]));
  }),
  'text.match_regex': F(['source', 'regexp'], 2, (a) => regex('text.match_regex', str('text.match_regex', 'regexp', a[1]), 'u').test(str('text.match_regex', 'source', a[0]))),
  'text.replace_all': F(['source', 'substr', 'value'], 3, (a) => {
    const s = str('text.replace_all', 'source', a[0]);
    const sub = str('text.replace_all', 'substr', a[1]);
    const v = str('text.replace_all', 'value', a[2]);
    return sub === '' ? s : s.split(sub).join(v);
  }),
  // The replacement uses RE2's \1 for groups, as Google's page shows; "$" is literal.
  'text.replace_all_regex': F(['source', 'regexp', 'replacement'], 3, (a) => {
    const s = str('text.replace_all_regex', 'source', a[0]);
    const re = regex('text.replace_all_regex', str('text.replace_all_regex', 'regexp', a[1]), 'gu');
    const rep = str('text.replace_all_regex', 'replacement', a[2]).replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
    return s.replace(re, rep);
  }),
  'text.to_lower': F(['source'], 1, (a) => str('text.to_lower', 'source', a[0]).toLowerCase()),
  'text.to_upper': F(['source'], 1, (a) => str('text.to_upper', 'source', a[0]).toUpperCase()),
  'text.url_encode': F(['source'], 1, (a) => encodeUrl(str('text.url_encode', 'source', a[0]), false)),
  'text.url_encode_plus': F(['source'], 1, (a) => encodeUrl(str('text.url_encode_plus', 'source', a[0]), true)),
  'text.url_decode': F(['source'], 1, (a) => {
    try {
      return decodeURIComponent(str('text.url_decode', 'source', a[0]));
    } catch {
      return raise('ValueError', `text.url_decode: malformed percent-encoding in ${describe(a[0]!)}`);
    }
  }),
  'text.encode': F(['text', 'charset'], 1, (a) => {
    const cs = a[1] === undefined ? 'UTF-8' : str('text.encode', 'charset', a[1]).toUpperCase();
    if (cs !== 'UTF-8' && cs !== 'UTF8') raise('ValueError', `text.encode: only UTF-8 is supported locally, got ${cs}`);
    return new Uint8Array(Buffer.from(str('text.encode', 'text', a[0]), 'utf8'));
  }),
  'text.decode': F(['data', 'charset'], 1, (a) => {
    const cs = a[1] === undefined ? 'UTF-8' : str('text.decode', 'charset', a[1]).toUpperCase();
    if (cs !== 'UTF-8' && cs !== 'UTF8') raise('ValueError', `text.decode: only UTF-8 is supported locally, got ${cs}`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes('text.decode', 'data', a[0]));
    } catch (e) {
      if (e instanceof TypeError) return raise('ValueError', 'text.decode: the bytes are not valid UTF-8');
      throw e;
    }
  }),

  'json.encode': F(['data', 'indent'], 1, (a) => new Uint8Array(Buffer.from(encodeJson(arg(a, 0), indentOf(a[1])), 'utf8'))),
  'json.encode_to_string': F(['data', 'indent'], 1, (a) => encodeJson(arg(a, 0), indentOf(a[1]))),
  'json.decode': F(['data'], 1, (a) => {
    const d = a[0];
    if (d instanceof Uint8Array) return decodeJson(Buffer.from(d).toString('utf8'));
    return decodeJson(str('json.decode', 'data', d));
  }),

  // Our choice: a null map gives null, like a missing key.
  'map.get': F(['map', 'keys'], 2, (a) => {
    let cur = arg(a, 0);
    if (cur === null) return null;
    map('map.get', 'map', cur);
    const k = arg(a, 1);
    const path = typeof k === 'string' ? [k] : list('map.get', 'keys', k).map((x) => str('map.get', 'keys', x));
    for (const key of path) {
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
  'map.merge_nested': F(['first', 'second'], 2, (a) => mergeNested(map('map.merge_nested', 'first', a[0]), map('map.merge_nested', 'second', a[1]))),

  'list.concat': F(['objs', 'val'], 2, (a) => [...list('list.concat', 'objs', a[0]), arg(a, 1)]),
  'list.prepend': F(['objs', 'val'], 2, (a) => [arg(a, 1), ...list('list.prepend', 'objs', a[0])]),

  'math.abs': F(['x'], 1, (a) => {
    const x = arg(a, 0);
    if (typeof x === 'bigint') return checkedInt(x < 0n ? -x : x);
    return Math.abs(num('math.abs', 'x', x));
  }),
  // Our choice: math.floor returns an int (the floor of a double is integral; ints pass through).
  'math.floor': F(['x'], 1, (a) => {
    const x = arg(a, 0);
    if (typeof x === 'bigint') return x;
    const f = Math.floor(num('math.floor', 'x', x));
    if (!Number.isFinite(f) || f < Number(INT64_MIN) || f >= Number(INT64_MAX)) raise('ValueError', `math.floor: ${x} does not fit in an int`);
    return BigInt(f);
  }),
  'math.max': F(['x', 'y'], 2, (a) => (num('math.max', 'x', a[0]) >= num('math.max', 'y', a[1]) ? a[0]! : a[1]!)),
  'math.min': F(['x', 'y'], 2, (a) => (num('math.min', 'x', a[0]) <= num('math.min', 'y', a[1]) ? a[0]! : a[1]!)),

  'time.format': F(['seconds', 'timezone'], 1, (a) => formatTime(num('time.format', 'seconds', a[0]), a[1] === undefined ? 'UTC' : str('time.format', 'timezone', a[1]))),
  'time.parse': F(['value'], 1, (a) => parseTime('time.parse', str('time.parse', 'value', a[0]))),

  'uuid.generate': F([], 0, (_a, ctx) => ctx.nextUuid()),

  'base64.encode': F(['data', 'padding'], 1, (a) => {
    const text = Buffer.from(bytes('base64.encode', 'data', a[0])).toString('base64');
    return a[1] === false ? text.replace(/=+$/, '') : text;
  }),
  'base64.decode': F(['data', 'padding'], 1, (a) => {
    const text = str('base64.decode', 'data', a[0]);
    const body = a[1] === false ? text : text;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || (a[1] !== false && body.length % 4 !== 0)) raise('ValueError', 'base64.decode: not valid base64');
    return new Uint8Array(Buffer.from(body, 'base64'));
  }),

  'hash.compute_checksum': F(['data', 'algorithm'], 2, (a) => new Uint8Array(crypto.createHash(hashAlgorithm('hash.compute_checksum', a[1])).update(bytes('hash.compute_checksum', 'data', a[0])).digest())),
  'hash.compute_hmac': F(['key', 'data', 'algorithm'], 3, (a) =>
    new Uint8Array(crypto.createHmac(hashAlgorithm('hash.compute_hmac', a[2]), bytes('hash.compute_hmac', 'key', a[0])).update(bytes('hash.compute_hmac', 'data', a[1])).digest()),
  ),

  'http.default_retry_predicate': F(['e'], 1, (a) => {
    const e = arg(a, 0);
    const code = httpCode(e);
    return (code !== undefined && [429, 502, 503, 504].includes(code)) || hasTag(e, ['ConnectionError', 'ConnectionFailedError', 'TimeoutError']);
  }),
  'http.default_retry_predicate_non_idempotent': F(['e'], 1, (a) => {
    const e = arg(a, 0);
    const code = httpCode(e);
    return (code !== undefined && [429, 503].includes(code)) || hasTag(e, ['ConnectionFailedError']);
  }),
  // The predicates behind ${retry.always} and ${retry.never}.
  'retry.always': F(['e'], 1, () => true, { callOnly: true }),
  'retry.never': F(['e'], 1, () => false, { callOnly: true }),
};

function indentOf(v: Value | undefined): string {
  if (v === undefined || v === null || v === false) return '';
  if (v === true) return '  ';
  if (typeof v === 'bigint') return ' '.repeat(Number(v));
  if (v instanceof Map) {
    const i = v.get('indent');
    return typeof i === 'string' ? i : typeof i === 'bigint' ? ' '.repeat(Number(i)) : '  ';
  }
  return raise('TypeError', `json.encode: indent must be a bool, an int or a map, got ${typeName(v)}`);
}

/** Whether a `call` step may name this standard-library function. */
export function isStdlibCallable(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(STDLIB, name);
}

/** Whether an expression may call this standard-library function. */
export function isExpressionFunction(name: string): boolean {
  return isStdlibCallable(name) && !STDLIB[name]!.callOnly;
}

/** Whether the function waits on the clock. */
export function isBlockingFunction(name: string): boolean {
  return isStdlibCallable(name) && !!STDLIB[name]!.blocking;
}

/** Maps a call step's named args to the function's positional params; unknown names are TypeErrors. */
export function namedToPositional(name: string, fn: StdlibFunction, args: WfMap | null): (Value | undefined)[] {
  const out: (Value | undefined)[] = [];
  if (args) {
    for (const [k, v] of args) {
      const i = fn.params.indexOf(k);
      if (i === -1) raise('TypeError', `${name}: unknown argument "${k}" (known: ${fn.params.join(', ') || 'none'})`);
      out[i] = v;
    }
  }
  checkArity(name, fn, out);
  return out;
}

export function checkArity(name: string, fn: StdlibFunction, args: (Value | undefined)[]): void {
  if (args.length > fn.params.length) raise('TypeError', `${name}: takes at most ${fn.params.length} arguments, got ${args.length}`);
  for (let i = 0; i < fn.required; i++) {
    if (args[i] === undefined) raise('TypeError', `${name}: missing argument "${fn.params[i]}"`);
  }
}
