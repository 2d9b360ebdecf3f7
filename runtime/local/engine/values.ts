/**
 * Workflows values as the engine holds them, and their conversions to and from plain JavaScript.
 *
 * Inside the engine an int is a `bigint` (Workflows ints are 64-bit and overflow is an error, which a
 * JavaScript number cannot tell apart from a double), a double is a `number`, a map is a `Map` (no
 * prototype keys, insertion order kept) and bytes are a `Uint8Array`. Handlers and callers see plain
 * JavaScript: numbers, objects, arrays.
 */

/** A map value: string keys in insertion order. */
export type WfMap = Map<string, Value>;

/** Any Workflows value. */
export type Value = null | boolean | bigint | number | string | Uint8Array | Value[] | WfMap;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** The Workflows type name of a value, as `get_type()` returns it. */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
  }
  if (v instanceof Map) return 'map';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  return 'unknown';
}

export function isMap(v: Value): v is WfMap {
  return v instanceof Map;
}

export function isList(v: Value): v is Value[] {
  return Array.isArray(v);
}

export function isNumber(v: Value): v is bigint | number {
  return typeof v === 'bigint' || typeof v === 'number';
}

/** A deep copy: Workflows assignment copies values, so no two variables ever alias. */
export function deepCopy(v: Value): Value {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Map) {
    const out: WfMap = new Map();
    for (const [k, x] of v) out.set(k, deepCopy(x));
    return out;
  }
  if (Array.isArray(v)) return v.map(deepCopy);
  return v;
}

/**
 * The memory a value takes under Google's rule (gcp-facts §3): 8 bytes per scalar, 8 bytes plus the
 * contents for strings, lists, maps and bytes. A map entry counts its key as a string.
 * Strings count their UTF-8 length.
 */
export function sizeOf(v: Value): number {
  if (v === null || typeof v !== 'object') {
    return typeof v === 'string' ? 8 + utf8Length(v) : 8;
  }
  if (v instanceof Map) {
    let n = 8;
    for (const [k, x] of v) n += 8 + utf8Length(k) + sizeOf(x);
    return n;
  }
  if (Array.isArray(v)) {
    let n = 8;
    for (const x of v) n += sizeOf(x);
    return n;
  }
  return 8 + v.length;
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Equality as `==` sees it: deep for lists and maps; ints and doubles compare by numeric value
 * (our choice: Google's tables do not say whether `1 == 1.0`); any other type mismatch is unequal.
 */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (isNumber(a) && isNumber(b)) return typeof a === typeof b ? false : Number(a) === Number(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, x] of a) {
      if (!b.has(k) || !valuesEqual(x, b.get(k)!)) return false;
    }
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i]!, b[i]!)) return false;
    return true;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return false;
}

/**
 * Converts plain JavaScript (a handler's result, a decoded JSON document, an execution argument) to a
 * value. Integral numbers become ints, others doubles; `undefined` becomes null; a Buffer stays bytes.
 */
export function fromJs(x: unknown): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case 'boolean':
    case 'string':
    case 'bigint':
      return x;
    case 'number':
      return Number.isInteger(x) ? BigInt(x) : x;
  }
  if (x instanceof Uint8Array) return new Uint8Array(x);
  if (Array.isArray(x)) return x.map(fromJs);
  if (x instanceof Map) {
    const out: WfMap = new Map();
    for (const [k, v] of x) out.set(String(k), fromJs(v));
    return out;
  }
  if (typeof x === 'object') {
    const out: WfMap = new Map();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) out.set(k, fromJs(v));
    return out;
  }
  throw new TypeError(`cannot convert a ${typeof x} to a Workflows value`);
}

/** Converts a value to plain JavaScript: ints become numbers (they are rarely beyond 2^53 here). */
export function toJs(v: Value): unknown {
  if (v === null || typeof v !== 'object') {
    return typeof v === 'bigint' ? Number(v) : v;
  }
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) {
      if (k === '__proto__') Object.defineProperty(out, k, { value: toJs(x), enumerable: true, writable: true, configurable: true });
      else out[k] = toJs(x);
    }
    return out;
  }
  if (Array.isArray(v)) return v.map(toJs);
  return Buffer.from(v);
}

/** A short rendering of a value for error messages. */
export function describe(v: Value): string {
  const text = JSON.stringify(toJs(v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
  return text === undefined ? String(v) : text.length > 60 ? text.slice(0, 57) + '...' : text;
}
