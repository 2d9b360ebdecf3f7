/**
 * Text helpers behind the `text.*` functions: code points, charsets, URL escaping and the regular
 * expressions (RE2 syntax, see `re2.ts`). Errors are raised as Workflows errors.
 */
import { raise } from './errors';
import { TextDecoder } from 'node:util';
import { Re2, RegexSyntaxError } from './re2';

/** The code points of a string (Workflows indexes strings by code point, not by UTF-16 unit). */
export function codePoints(s: string): number[] {
  return Array.from(s, (ch) => ch.codePointAt(0)!);
}

/** The string of `cps[start, end)`, built in chunks so that long strings do not overflow the call stack. */
export function fromCodePoints(cps: readonly number[], start = 0, end = cps.length): string {
  let out = '';
  for (let i = start; i < end; i += 4096) out += String.fromCodePoint(...cps.slice(i, Math.min(end, i + 4096)));
  return out;
}

/**
 * Raises `ValueError` when a string could not be UTF-8 encoded. A JavaScript string can hold an
 * unpaired surrogate (from `\uD800` in an expression); Google's strings are UTF-8 and cannot.
 */
export function requireUtf8(fn: string, name: string, s: string): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    raise('ValueError', `${fn}: ${name} is not valid UTF-8 (it holds an unpaired surrogate)`);
  }
  return s;
}

const regexCache = new Map<string, Re2>();

/** A compiled pattern; an invalid one (by RE2's rules) raises `ValueError`. */
export function compileRegex(fn: string, pattern: string): Re2 {
  let re = regexCache.get(pattern);
  if (re) return re;
  try {
    re = new Re2(requireUtf8(fn, 'regexp', pattern));
  } catch (e) {
    if (e instanceof RegexSyntaxError) raise('ValueError', `${fn}: invalid regular expression: ${e.message}`);
    throw e;
  }
  if (regexCache.size >= 256) regexCache.delete(regexCache.keys().next().value!);
  regexCache.set(pattern, re);
  return re;
}

/**
 * Percent-encodes everything but ASCII letters, digits, `.`, `-`, `_` and `~`; a space becomes
 * `%20`, or `+` for `url_encode_plus`. Google lists the first five as unescaped and does not
 * mention `~` (kept as is here, as RFC 3986 and encodeURIComponent do).
 */
export function encodeUrl(fn: string, s: string, plus: boolean): string {
  const e = encodeURIComponent(requireUtf8(fn, 'source', s)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return plus ? e.replace(/%20/g, '+') : e;
}

/** Decodes `%xx` sequences as UTF-8 and `+` as a space. */
export function decodeUrl(fn: string, s: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(s);
  if (bad) raise('ValueError', `${fn}: "%" at offset ${bad.index} is not followed by two hexadecimal digits`);
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return raise('ValueError', `${fn}: the percent-encoded bytes are not valid UTF-8`);
  }
}

type Charset = 'utf8' | 'utf16le' | 'utf16be' | 'latin1' | 'ascii';

/** IANA names (and common aliases) of the charsets the engine can encode. */
const ENCODABLE: Record<string, Charset> = {
  'UTF-8': 'utf8',
  UTF8: 'utf8',
  'UTF-16LE': 'utf16le',
  'UTF-16BE': 'utf16be',
  'ISO-8859-1': 'latin1',
  'ISO_8859-1': 'latin1',
  LATIN1: 'latin1',
  'US-ASCII': 'ascii',
  ASCII: 'ascii',
};

/** `text.encode`: unsupported charsets and unrepresentable code points are `ValueError`s. */
export function encodeText(s: string, charsetName: string): Uint8Array {
  const charset = ENCODABLE[charsetName.trim().toUpperCase()];
  if (!charset) {
    raise(
      'ValueError',
      `text.encode: charset ${JSON.stringify(charsetName)} is not supported by the local engine (it encodes ${Object.keys(ENCODABLE).join(', ')})`,
    );
  }
  requireUtf8('text.encode', 'text', s);
  const limit = charset === 'latin1' ? 0xff : charset === 'ascii' ? 0x7f : Infinity;
  if (limit !== Infinity) {
    for (const ch of s) {
      if (ch.codePointAt(0)! > limit) raise('ValueError', `text.encode: ${JSON.stringify(ch)} cannot be represented in ${charsetName}`);
    }
  }
  if (charset === 'utf16be') {
    const le = Buffer.from(s, 'utf16le');
    for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
    return new Uint8Array(le);
  }
  return new Uint8Array(Buffer.from(s, charset));
}

/** `text.decode`: undecodable bytes become U+FFFD; an unknown charset is a `ValueError`. */
export function decodeText(data: Uint8Array, charsetName: string): string {
  const name = charsetName.trim().toUpperCase();
  const charset = ENCODABLE[name];
  // WHATWG's TextDecoder reads ISO-8859-1 and US-ASCII as windows-1252, so those two are decoded here.
  if (charset === 'latin1') return Buffer.from(data).toString('latin1');
  if (charset === 'ascii') return Array.from(data, (b) => (b < 0x80 ? String.fromCharCode(b) : '\uFFFD')).join('');
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(name.toLowerCase(), { fatal: false });
  } catch {
    return raise('ValueError', `text.decode: unknown charset ${JSON.stringify(charsetName)}`);
  }
  return decoder.decode(data);
}
