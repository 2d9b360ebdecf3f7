/**
 * JSON in and out of Workflows values. A parser of our own, because `JSON.parse` cannot tell `2` (an
 * int) from `2.0` (a double) and loses ints beyond 2^53.
 */
import { raise } from './errors';
import { INT64_MAX, INT64_MIN, Value, WfMap } from './values';

/** Decodes JSON text; malformed text raises ValueError. */
export function decodeJson(text: string): Value {
  let i = 0;
  const fail = (what: string): never => raise('ValueError', `json.decode: ${what} at offset ${i}`);
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const parseValue = (depth: number): Value => {
    if (depth > 512) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const m: WfMap = new Map();
      ws();
      if (text[i] === '}') {
        i++;
        return m;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = parseString();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        m.set(k, parseValue(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return m;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: Value[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(parseValue(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return out;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = BigInt(m[0]);
      // Beyond int64 a number can only be a double.
      return n < INT64_MIN || n > INT64_MAX ? Number(m[0]) : n;
    }
    return Number(m[0]);
  };
  const parseString = (): string => {
    i++;
    let s = '';
    for (;;) {
      const start = i;
      while (i < text.length && text[i] !== '"' && text[i] !== '\\' && text.charCodeAt(i) >= 0x20) i++;
      s += text.slice(start, i);
      if (i >= text.length) fail('unterminated string');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return s;
      }
      if (c !== '\\') fail('control character in string');
      const e = text[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && simple[e] !== undefined) {
        s += simple[e];
        i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        s += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else fail('bad escape');
    }
  };
  const v = parseValue(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/** Formats a double the way `string()` and `json.encode` show it: integral doubles keep a ".0". */
export function formatDouble(n: number): string {
  if (!Number.isFinite(n)) raise('ValueError', `${n} has no JSON or string form`);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(1);
  return String(n);
}

/** How `json.encode` lays out its output: no layout when `indent` is empty. */
export interface JsonLayout {
  /** Written at the start of every line but the first. */
  readonly prefix: string;
  /** Written once per nesting level. */
  readonly indent: string;
}

/**
 * Encodes a value as JSON text, map keys in insertion order. Bytes are not JSON: `ValueError`, as
 * Google documents for values that cannot be encoded.
 */
export function encodeJson(v: Value, layout: JsonLayout = { prefix: '', indent: '' }): string {
  const out: string[] = [];
  const { prefix, indent } = layout;
  const pretty = indent !== '' || prefix !== '';
  const write = (x: Value, pad: string): void => {
    if (x === null) out.push('null');
    else if (typeof x === 'boolean') out.push(String(x));
    else if (typeof x === 'bigint') out.push(x.toString());
    else if (typeof x === 'number') out.push(formatDouble(x));
    else if (typeof x === 'string') out.push(JSON.stringify(x));
    else if (Array.isArray(x)) {
      if (x.length === 0) return void out.push('[]');
      const inner = pad + indent;
      out.push('[');
      x.forEach((item, n) => {
        if (n > 0) out.push(',');
        if (pretty) out.push('\n' + prefix + inner);
        write(item, inner);
      });
      out.push(pretty ? `\n${prefix}${pad}]` : ']');
    } else if (x instanceof Map) {
      if (x.size === 0) return void out.push('{}');
      const inner = pad + indent;
      out.push('{');
      let n = 0;
      for (const [k, item] of x) {
        if (n++ > 0) out.push(',');
        if (pretty) out.push('\n' + prefix + inner);
        out.push(JSON.stringify(k), pretty ? ': ' : ':');
        write(item, inner);
      }
      out.push(pretty ? `\n${prefix}${pad}}` : '}');
    } else raise('ValueError', 'bytes cannot be encoded as JSON; use base64.encode first');
  };
  write(v, '');
  return out.join('');
}
