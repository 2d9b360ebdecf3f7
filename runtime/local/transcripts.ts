/**
 * Reads transcripts for the laptop pipeline from JSON Lines or CSV, one record at a time, checking
 * each: a malformed line, a line that is not valid UTF-8 or holds text that cannot be stored, a
 * missing id or a duplicate id is reported with its line number and skipped, and never stops the
 * others. A file that is not text at all is refused before anything is read from it.
 *
 * Every message that quotes input shows it JSON-escaped and cut short, so a stray control byte in a
 * file never reaches the terminal as itself.
 */
import * as fs from 'node:fs';
import { SOURCE_TABLE } from '../contract';

/** One source row, with the source table's columns. */
export type SourceRow = Record<string, string | number | null>;

export interface InputProblem {
  readonly line: number;
  readonly message: string;
}

export interface ReadReport {
  readonly rows: number;
  readonly problems: readonly InputProblem[];
}

const COLUMNS = new Map(SOURCE_TABLE.columns.map((c) => [c.name, c]));

/** Input keys that name the id, the first one present winning. */
const ID_KEYS = ['transcript_id', 'id'] as const;

/** How much of the start of a file must be UTF-8 text without NUL bytes for it to be read at all. */
const SNIFF_BYTES = 8192;

/** Longest quote of input in a message, in UTF-16 code units. */
const QUOTE_MAX = 80;

/** Longest parser message carried into a problem. */
const DETAIL_MAX = 200;

// An unpaired surrogate has no UTF-8 encoding; DuckDB's JSON reader refuses the whole file for one.
const UNPAIRED_SURROGATE = /\p{Cs}/u;

const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/gu;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r' };

/**
 * Turns one parsed object into a source row, or says what is wrong with it.
 *
 * A string id is trimmed; a number id becomes its decimal text (`readTranscripts` reads JSON Lines
 * with `parseJsonRecord`, which hands over a number id as the literal written in the file). Every
 * key and string in the object, nested ones included, must be valid Unicode text: an unpaired
 * surrogate makes the whole object a problem, naming the field.
 */
export function toSourceRow(value: unknown, ingestedAt: string): SourceRow | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const input = value as Record<string, unknown>;
  const notUnicode = unpairedSurrogate(input);
  if (notUnicode !== undefined) return notUnicode;
  const id = input.transcript_id ?? input.id;
  if (id === undefined || id === null || String(id).trim() === '') return 'missing transcript_id';
  if (typeof id !== 'string' && typeof id !== 'number') return `transcript_id must be a string, got ${quote(id)}`;
  const text = input.transcript ?? input.text ?? '';
  if (typeof text !== 'string') return `transcript must be a string, got ${typeof text}`;
  const row: SourceRow = { transcript_id: String(id).trim(), transcript: text, ingested_at: ingestedAt };
  for (const [name, column] of COLUMNS) {
    if (name in row || !(name in input)) continue;
    const raw = input[name];
    if (raw === null || raw === undefined || raw === '') {
      row[name] = null;
    } else if (column.type === 'INTEGER') {
      const n = Number(raw);
      if (!Number.isInteger(n)) return `${name} must be a whole number, got ${quote(raw)}`;
      row[name] = n;
    } else if (column.type === 'TIMESTAMP') {
      const t = Date.parse(String(raw));
      if (Number.isNaN(t)) return `${name} must be a date and time, got ${quote(raw)}`;
      row[name] = new Date(t).toISOString();
    } else {
      row[name] = String(raw);
    }
  }
  return row;
}

/**
 * Parses one JSON Lines record, keeping a number id exactly as written.
 *
 * When the top-level `transcript_id` or `id` is a JSON number, the id is the literal as written in
 * the line, as a string: `12345678901234567891` keeps all its digits (JSON.parse alone rounds it to
 * the nearest double, `12345678901234567000`), and `1e3` or `1.50` stay `"1e3"` and `"1.50"`, never
 * normalised. Everything else is as JSON.parse gives it.
 *
 * @throws SyntaxError when the text is not JSON
 */
export function parseJsonRecord(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const numeric = ID_KEYS.filter((key) => typeof record[key] === 'number');
  if (numeric.length === 0) return record;
  const literals = memberLiterals(text, numeric);
  for (const key of numeric) record[key] = literals.get(key);
  return record;
}

/** Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, newlines in quotes); a leading byte-order mark is skipped. */
export function* csvRecords(text: string): Generator<{ line: number; fields: string[] }> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  let sawAny = false;
  for (let i = text.startsWith('\uFEFF') ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      quoted = true;
      sawAny = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      sawAny = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (sawAny || field !== '') {
        fields.push(field);
        yield { line: startLine, fields };
      }
      fields = [];
      field = '';
      sawAny = false;
      line++;
      startLine = line;
    } else {
      field += c;
      sawAny = true;
    }
  }
  if (quoted) throw new Error(`line ${startLine}: a quoted field is never closed`);
  if (sawAny || field !== '') {
    fields.push(field);
    yield { line: startLine, fields };
  }
}

/**
 * Reads a `.jsonl` or `.csv` file and hands each good row to `onRow`, in order. Duplicate ids keep
 * their first row. Returns the count and every problem found.
 *
 * The file must be UTF-8 text: one whose first 8 KiB hold a NUL byte or are not UTF-8 (a gzip or PNG
 * file, UTF-16) is refused with an error before any row is handed over. Past that, a line (JSON
 * Lines) or field (CSV) that is not UTF-8 is a problem of its own. A byte-order mark at the start is
 * skipped; lines may end in LF, CRLF or CR. JSON Lines are streamed; a CSV file is read whole.
 */
export async function readTranscripts(
  file: string,
  onRow: (row: SourceRow) => void | Promise<void>,
  ingestedAt: string = new Date().toISOString(),
): Promise<ReadReport> {
  const problems: InputProblem[] = [];
  const problem = (line: number, message: string): void => void problems.push({ line, message: printable(message) });
  const seen = new Map<string, number>();
  let rows = 0;
  const accept = async (line: number, value: unknown): Promise<void> => {
    const row = toSourceRow(value, ingestedAt);
    if (typeof row === 'string') return problem(line, row);
    const id = row.transcript_id as string;
    const first = seen.get(id);
    if (first !== undefined) return problem(line, `duplicate transcript_id ${quote(id)} (first on line ${first}); kept the first`);
    seen.set(id, line);
    rows++;
    await onRow(row);
  };

  if (!fs.existsSync(file)) throw new Error(`transcripts file not found: ${printable(file)}`);
  if (/\.csv$/i.test(file)) {
    const bytes = fs.readFileSync(file);
    refuseUnlessText(file, bytes.subarray(0, SNIFF_BYTES), bytes.length > SNIFF_BYTES);
    const records = csvRecords(decodeKeepingBadBytes(bytes));
    const header = records.next();
    if (header.done) return { rows: 0, problems };
    const names = header.value.fields.map((f) => f.trim());
    if (names.some((n) => UNPAIRED_SURROGATE.test(n))) throw new Error(`${printable(file)}: the CSV header is not valid UTF-8 text`);
    if (!names.includes('transcript_id') && !names.includes('id')) {
      throw new Error(`${printable(file)}: the CSV header needs a transcript_id column, found: ${printable(clip(names.join(', '), DETAIL_MAX))}`);
    }
    for (const { line, fields } of records) {
      if (fields.length !== names.length) {
        problem(line, `expected ${names.length} fields as in the header, found ${fields.length}`);
        continue;
      }
      const bad = fields.findIndex((f) => UNPAIRED_SURROGATE.test(f));
      if (bad !== -1) {
        const byte = fields[bad]!.match(UNPAIRED_SURROGATE)![0].charCodeAt(0) - 0xdc00;
        problem(line, `${clip(names[bad]!, QUOTE_MAX)} is not valid UTF-8 text (it has the byte ${hex(byte)})`);
        continue;
      }
      await accept(line, Object.fromEntries(names.map((n, i) => [n, fields[i]])));
    }
    return { rows, problems };
  }

  const head = await readStart(file, SNIFF_BYTES + 1);
  refuseUnlessText(file, head.subarray(0, SNIFF_BYTES), head.length > SNIFF_BYTES);
  let number = 0;
  for await (let bytes of byteLines(fs.createReadStream(file))) {
    number++;
    if (number === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    const bad = utf8ErrorAt(bytes, 0, false);
    if (bad !== -1) {
      problem(number, `not valid UTF-8 text (byte ${bad + 1} of the line is ${hex(bytes[bad]!)})`);
      continue;
    }
    const text = bytes.toString('utf8');
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = parseJsonRecord(text);
    } catch (error) {
      problem(number, `not valid JSON: ${clip((error as Error).message, DETAIL_MAX)}`);
      continue;
    }
    await accept(number, value);
  }
  return { rows, problems };
}

/** The first `count` bytes of a file, or all of it when shorter. */
async function readStart(file: string, count: number): Promise<Buffer> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(count);
    const { bytesRead } = await handle.read(buffer, 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Throws unless the start of a file looks like UTF-8 text; `more` says the file goes on past it. */
function refuseUnlessText(file: string, head: Buffer, more: boolean): void {
  const nul = head.indexOf(0);
  // A multi-byte character may be cut by the end of the sample; only a wrong byte counts.
  const bad = utf8ErrorAt(head, 0, more);
  if (nul === -1 && bad === -1) return;
  const why = bad === -1 || (nul !== -1 && nul < bad) ? `byte ${nul + 1} is NUL` : `byte ${bad + 1} is ${hex(head[bad]!)}, not UTF-8`;
  throw new Error(`${printable(file)} is not a UTF-8 text file of JSON Lines or CSV (${why}); nothing was loaded`);
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or -1 when all is well. A sequence cut off by the
 * end of `bytes` is ill-formed unless `cutEndAllowed`.
 */
function utf8ErrorAt(bytes: Uint8Array, from: number, cutEndAllowed: boolean): number {
  let i = from;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      if (i + k >= bytes.length) return cutEndAllowed ? -1 : i;
      const next = bytes[i + k]!;
      if (next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += length;
  }
  return -1;
}

/**
 * Decodes UTF-8, turning each byte that is not part of a well-formed sequence into the unpaired
 * surrogate U+DC00 + byte, so the bad spot survives decoding, can be found per field, and can never
 * be stored by mistake.
 */
function decodeKeepingBadBytes(bytes: Buffer): string {
  let text = '';
  let from = 0;
  for (let bad = utf8ErrorAt(bytes, 0, false); bad !== -1; bad = utf8ErrorAt(bytes, from, false)) {
    text += bytes.toString('utf8', from, bad) + String.fromCharCode(0xdc00 + bytes[bad]!);
    from = bad + 1;
  }
  return text + bytes.toString('utf8', from);
}

/** Splits a byte stream into lines ended by LF, CRLF or CR, as bytes, so each line is decoded (and judged) on its own. */
async function* byteLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let lfEndsCr = false;
  for await (const chunk of chunks) {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === 0x0a && lfEndsCr) {
        lfEndsCr = false;
        start = i + 1;
        continue;
      }
      lfEndsCr = false;
      if (b !== 0x0a && b !== 0x0d) continue;
      parts.push(chunk.subarray(start, i));
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      parts = [];
      start = i + 1;
      lfEndsCr = b === 0x0d;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  }
  if (parts.length > 0) yield Buffer.concat(parts);
}

/**
 * The literal text of each top-level member of a JSON object text whose key is in `keys`. The text
 * must be valid JSON (it has been parsed already). A repeated key yields its last member, the one
 * JSON.parse keeps.
 */
function memberLiterals(text: string, keys: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return found;
  i = skipSpace(text, i + 1);
  while (text[i] === '"') {
    const keyEnd = endOfString(text, i);
    const raw = text.slice(i, keyEnd);
    const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const end = endOfValue(text, start);
    if (keys.includes(key)) found.set(key, text.slice(start, end));
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return found;
}

function skipSpace(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  return i;
}

/** Index just past the string starting at `i` (its opening quote). */
function endOfString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** Index just past the value starting at `i`. */
function endOfValue(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return endOfString(text, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (c === '"') j = endOfString(text, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) return j + 1;
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !',}] \t\n\r'.includes(text[j]!)) j++;
  return j;
}

/** Says where a parsed object first holds a key or string with an unpaired surrogate, or undefined. */
function unpairedSurrogate(input: Record<string, unknown>): string | undefined {
  const pending: Array<[unknown, string]> = [[input, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, where] = next;
    if (typeof value === 'string') {
      const unit = value.match(UNPAIRED_SURROGATE)?.[0];
      if (unit !== undefined) return `${clip(where, QUOTE_MAX)} is not valid Unicode text (it has the unpaired surrogate ${escapeUnits(unit)})`;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], `${where}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      const members = Object.entries(value);
      for (const [key] of members) {
        const unit = key.match(UNPAIRED_SURROGATE)?.[0];
        if (unit !== undefined) return `the field name ${quote(key)} is not valid Unicode text (it has the unpaired surrogate ${escapeUnits(unit)})`;
      }
      for (const [key, item] of members.reverse()) pending.push([item, where === '' ? key : `${where}.${key}`]);
    }
  }
  return undefined;
}

/** Input quoted for a message: JSON, with every character a terminal would not show as itself escaped, cut to QUOTE_MAX. */
function quote(value: unknown): string {
  if (typeof value === 'string') return printable(JSON.stringify(clip(value, QUOTE_MAX)));
  return printable(clip(JSON.stringify(value) ?? String(value), QUOTE_MAX));
}

/** The text with control, format, unassigned and private-use characters, separators and unpaired surrogates JSON-escaped. */
function printable(text: string): string {
  return text.replace(NON_PRINTABLE, (c) => SHORT_ESCAPES[c] ?? escapeUnits(c));
}

function escapeUnits(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** The text cut to at most `max` code units and marked as cut, never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return `${text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max)}…`;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}
