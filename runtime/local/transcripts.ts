/**
 * Reads transcripts for the laptop pipeline from JSON Lines or CSV, one record at a time, checking
 * each: a malformed line, a line that is not valid UTF-8 or holds text that cannot be stored, a
 * missing id or a duplicate id is reported with its line number and skipped, and never stops the
 * others. A file that is not text at all is refused before anything is read from it.
 *
 * Every message that quotes input shows it JSON-escaped and cut short, so a stray control byte in a
 * file never reaches the terminal as itself.
 */
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import { CsvError, parse, type Info } from 'csv-parse';
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

/** A line break inside a CSV field, as csv-parse keeps it. */
const LINE_BREAKS = /\r\n|\r|\n/g;

/** A byte past ASCII in a field read as latin1, whose characters are its bytes. */
const NON_ASCII = /[\x80-\xff]/;

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

/**
 * Reads a `.jsonl` or `.csv` file and hands each good row to `onRow`, in order. Duplicate ids keep
 * their first row. Returns the count and every problem found.
 *
 * The file must be UTF-8 text: one whose first 8 KiB hold a NUL byte or are not UTF-8 (a gzip or PNG
 * file, UTF-16) is refused with an error before any row is handed over. Past that, a line (JSON
 * Lines) or field (CSV) that is not UTF-8 is a problem of its own. A byte-order mark at the start is
 * skipped; lines may end in LF, CRLF or CR, mixed in one file. Both formats are streamed, one record
 * at a time, so memory does not grow with the file.
 *
 * A CSV file starts with a header naming its columns, in any order; columns the source table does
 * not have are dropped. Every field is read as text (an id keeps the digits written). A problem's
 * line is the physical line of the file where its record starts, counting the lines of quoted
 * fields before it.
 *
 * @throws Error when the file is missing, is not text, is a CSV file without a `transcript_id` (or
 *   `id`) column, or holds a quoted field that is never closed (rows before it may have been handed
 *   over by then)
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
  const head = await readStart(file, SNIFF_BYTES + 1);
  refuseUnlessText(file, head.subarray(0, SNIFF_BYTES), head.length > SNIFF_BYTES);
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  if (/\.csv$/i.test(file)) {
    await readCsv(file, bom, problem, accept);
    return { rows, problems };
  }

  let number = 0;
  for await (let bytes of byteLines(fs.createReadStream(file))) {
    number++;
    if (number === 1) bytes = bytes.subarray(bom);
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

/**
 * Streams the records of a CSV file (RFC 4180, parsed by csv-parse) past its first `skip` bytes:
 * the first record is the header, each later one goes to `accept` as an object keyed by the header
 * or to `problem` with the physical line where it starts.
 */
async function readCsv(
  file: string,
  skip: number,
  problem: (line: number, message: string) => void,
  accept: (line: number, value: unknown) => Promise<void>,
): Promise<void> {
  const source = fs.createReadStream(file, { start: skip });
  // latin1 maps each byte to one character and back, so every field reaches us as the bytes written
  // and is judged as UTF-8 on its own; delimiters, quotes and line ends are ASCII in both encodings.
  // A quote inside an unquoted field is kept as text. Rows of the wrong length are checked here,
  // against the header.
  const records = source.pipe(
    parse({
      encoding: 'latin1',
      info: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }),
  );
  // csv-parse's own `info.lines` counts a CRLF inside quotes as two lines, so lines are counted here
  // instead: a record starts after the lines of the record before it and the blank lines skipped.
  let next = 1;
  let blank = 0;
  let names: string[] | undefined;
  try {
    for await (const { record, info } of records as AsyncIterable<{ record: string[]; info: Info }>) {
      const line = next + info.empty_lines - blank;
      blank = info.empty_lines;
      next = line + 1 + record.reduce((n, field) => n + (field.match(LINE_BREAKS)?.length ?? 0), 0);
      const fields = record.map(fromLatin1);
      if (names === undefined) {
        names = csvHeader(file, fields);
        continue;
      }
      if (fields.length !== names.length) {
        problem(line, `expected ${names.length} fields as in the header, found ${fields.length}`);
        continue;
      }
      const bad = fields.findIndex((field) => field === undefined);
      if (bad !== -1) {
        const bytes = Buffer.from(record[bad]!, 'latin1');
        problem(
          line,
          `${clip(names[bad]!, QUOTE_MAX)} is not valid UTF-8 text (it has the byte ${hex(bytes[utf8ErrorAt(bytes, 0, false)]!)})`,
        );
        continue;
      }
      await accept(line, Object.fromEntries(names.map((name, i) => [name, fields[i]])));
    }
  } catch (error) {
    if (!(error instanceof CsvError) || error.code !== 'CSV_QUOTE_NOT_CLOSED') throw error;
    const start = next + Number(error.empty_lines) - blank;
    throw new Error(`${printable(file)}: line ${start}: a quoted field is never closed, so nothing after it can be read`);
  } finally {
    source.destroy();
  }
}

/** The text of a field read as latin1 (one character per byte), or undefined when its bytes are not UTF-8. */
function fromLatin1(field: string): string | undefined {
  if (!NON_ASCII.test(field)) return field;
  const bytes = Buffer.from(field, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** The trimmed column names of a CSV header, which must name the id. */
function csvHeader(file: string, fields: ReadonlyArray<string | undefined>): string[] {
  if (fields.includes(undefined)) throw new Error(`${printable(file)}: the CSV header is not valid UTF-8 text`);
  const names = fields.map((field) => field!.trim());
  if (!ID_KEYS.some((key) => names.includes(key))) {
    throw new Error(
      `${printable(file)}: the CSV header needs a transcript_id column, found: ${printable(clip(names.join(', '), DETAIL_MAX))}`,
    );
  }
  return names;
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
      if (unit !== undefined)
        return `${clip(where, QUOTE_MAX)} is not valid Unicode text (it has the unpaired surrogate ${escapeUnits(unit)})`;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], `${where}[${i}]`]);
    } else if (value !== null && typeof value === 'object') {
      const members = Object.entries(value);
      for (const [key] of members) {
        const unit = key.match(UNPAIRED_SURROGATE)?.[0];
        if (unit !== undefined)
          return `the field name ${quote(key)} is not valid Unicode text (it has the unpaired surrogate ${escapeUnits(unit)})`;
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
