/**
 * Reads transcripts for the laptop pipeline from JSON Lines or CSV, one record at a time, checking
 * each: a malformed line, a missing id or a duplicate id is reported with its line number and
 * skipped, and never stops the others.
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
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

/** Turns one parsed object into a source row, or says what is wrong with it. */
export function toSourceRow(value: unknown, ingestedAt: string): SourceRow | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const input = value as Record<string, unknown>;
  const id = input.transcript_id ?? input.id;
  if (id === undefined || id === null || String(id).trim() === '') return 'missing transcript_id';
  if (typeof id !== 'string' && typeof id !== 'number') return `transcript_id must be a string, got ${JSON.stringify(id)}`;
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
      if (!Number.isInteger(n)) return `${name} must be a whole number, got ${JSON.stringify(raw)}`;
      row[name] = n;
    } else if (column.type === 'TIMESTAMP') {
      const t = Date.parse(String(raw));
      if (Number.isNaN(t)) return `${name} must be a date and time, got ${JSON.stringify(raw)}`;
      row[name] = new Date(t).toISOString();
    } else {
      row[name] = String(raw);
    }
  }
  return row;
}

/** Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, newlines in quotes). */
export function* csvRecords(text: string): Generator<{ line: number; fields: string[] }> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
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
 */
export async function readTranscripts(
  file: string,
  onRow: (row: SourceRow) => void | Promise<void>,
  ingestedAt: string = new Date().toISOString(),
): Promise<ReadReport> {
  const problems: InputProblem[] = [];
  const seen = new Map<string, number>();
  let rows = 0;
  const accept = async (line: number, value: unknown): Promise<void> => {
    const row = toSourceRow(value, ingestedAt);
    if (typeof row === 'string') {
      problems.push({ line, message: row });
      return;
    }
    const id = row.transcript_id as string;
    const first = seen.get(id);
    if (first !== undefined) {
      problems.push({ line, message: `duplicate transcript_id "${id}" (first on line ${first}); kept the first` });
      return;
    }
    seen.set(id, line);
    rows++;
    await onRow(row);
  };

  if (!fs.existsSync(file)) throw new Error(`transcripts file not found: ${file}`);
  if (/\.csv$/i.test(file)) {
    const records = csvRecords(fs.readFileSync(file, 'utf8'));
    const header = records.next();
    if (header.done) return { rows: 0, problems };
    const names = header.value.fields.map((f) => f.trim());
    if (!names.includes('transcript_id') && !names.includes('id')) {
      throw new Error(`${file}: the CSV header needs a transcript_id column, found: ${names.join(', ')}`);
    }
    for (const { line, fields } of records) {
      if (fields.length !== names.length) {
        problems.push({ line, message: `expected ${names.length} fields as in the header, found ${fields.length}` });
        continue;
      }
      await accept(line, Object.fromEntries(names.map((n, i) => [n, fields[i]])));
    }
    return { rows, problems };
  }

  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const text of lines) {
    number++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      problems.push({ line: number, message: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    await accept(number, value);
  }
  return { rows, problems };
}
