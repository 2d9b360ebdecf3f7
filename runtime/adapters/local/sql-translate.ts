/**
 * Translation of the pipeline's SQL, written once in BigQuery's dialect, to DuckDB's.
 *
 * The translation works on tokens, never on raw text, so nothing inside a string literal or a
 * comment is touched. It rewrites only what DuckDB cannot take as is:
 * - backtick-quoted names become double-quoted ones (`project.dataset.table` keeps its last part:
 *   the local warehouse has one schema);
 * - BigQuery string literals ('…' and "…", with backslash escapes) become standard '…' literals;
 * - `@name` parameters become `$name`, and the names used are reported;
 * - type names (`INT64`, `FLOAT64`, `ARRAY<STRING>`, …) become DuckDB's;
 * - a few constructs with no macro equivalent: `CURRENT_TIMESTAMP()`, `TIMESTAMP_DIFF(a, b, PART)`,
 *   `x IN UNNEST(list)`, `JOIN UNNEST(list) AS x`, `INTERVAL @n HOUR`, `SAFE_CAST`, `INSERT t` /
 *   `DELETE t` without INTO/FROM;
 * - timestamp literals and TIMESTAMP parameters are read with their UTC offset, as BigQuery reads them.
 * Functions that differ only by name or by a little logic (`SAFE_DIVIDE`, `GENERATE_UUID`,
 * `COUNTIF`, ...) are macros created in the database instead (`DUCKDB_MACROS`).
 */

/** A token of BigQuery SQL. */
interface Token {
  readonly kind: 'space' | 'comment' | 'string' | 'quoted' | 'param' | 'word' | 'number' | 'punct';
  /** Source text. */
  readonly text: string;
  /** For `string`: the decoded value; for `quoted`: the name; for `param`: the name. */
  readonly value?: string;
}

export class SqlTranslationError extends Error {
  constructor(
    message: string,
    readonly sql: string,
  ) {
    super(message);
    this.name = 'SqlTranslationError';
  }
}

/** One DuckDB statement of a translated text, with the parameters it uses. */
export interface TranslatedStatement {
  readonly sql: string;
  /** Parameter names the statement uses, without `@`, in order of first use. */
  readonly params: readonly string[];
  /** The statement's first keyword, upper-case (`SELECT`, `INSERT`, `BEGIN`, ...). */
  readonly verb: string;
}

/**
 * Options of the translation.
 * `timestampParams` are parameters declared TIMESTAMP: they are bound as text and cast in SQL, so
 * that `SELECT @at` answers a timestamp as BigQuery does.
 */
export interface TranslateOptions {
  readonly timestampParams?: ReadonlySet<string>;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  INTEGER: 'BIGINT',
  FLOAT64: 'DOUBLE',
  FLOAT: 'DOUBLE',
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  BYTES: 'BLOB',
  NUMERIC: 'DECIMAL(38, 9)',
  BIGNUMERIC: 'DOUBLE',
  TIMESTAMP: 'TIMESTAMP',
  DATE: 'DATE',
  DATETIME: 'TIMESTAMP',
  JSON: 'JSON',
};

/**
 * Macros that give DuckDB the BigQuery functions the pipeline's SQL uses. Created once per
 * database (`CREATE OR REPLACE MACRO`), so one SQL text serves both warehouses.
 */
export const DUCKDB_MACROS: readonly string[] = [
  'CREATE OR REPLACE MACRO safe_divide(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a / b END',
  'CREATE OR REPLACE MACRO tap_sha256(s) AS unhex(sha256(s))',
  'CREATE OR REPLACE MACRO generate_uuid() AS CAST(gen_random_uuid() AS VARCHAR)',
  'CREATE OR REPLACE MACRO countif(x) AS count_if(x)',
  'CREATE OR REPLACE MACRO logical_or(x) AS bool_or(x)',
  'CREATE OR REPLACE MACRO logical_and(x) AS bool_and(x)',
  'CREATE OR REPLACE MACRO div(a, b) AS CAST(trunc(a / b) AS BIGINT)',
  'CREATE OR REPLACE MACRO timestamp_add(t, i) AS t + i',
  'CREATE OR REPLACE MACRO timestamp_sub(t, i) AS t - i',
  'CREATE OR REPLACE MACRO unix_seconds(t) AS CAST(floor(epoch(t)) AS BIGINT)',
  'CREATE OR REPLACE MACRO unix_millis(t) AS epoch_ms(t)',
  'CREATE OR REPLACE MACRO unix_micros(t) AS epoch_us(t)',
  'CREATE OR REPLACE MACRO timestamp_seconds(s) AS CAST(to_timestamp(s) AS TIMESTAMP)',
  'CREATE OR REPLACE MACRO timestamp_millis(s) AS CAST(epoch_ms(s) AS TIMESTAMP)',
  'CREATE OR REPLACE MACRO format_timestamp(f, t) AS strftime(t, f)',
  'CREATE OR REPLACE MACRO to_json_string(x) AS CAST(to_json(x) AS VARCHAR)',
  'CREATE OR REPLACE MACRO byte_length(s) AS strlen(s)',
  'CREATE OR REPLACE MACRO regexp_contains(s, p) AS regexp_matches(s, p)',
  'CREATE OR REPLACE MACRO tap_timestamp(x) AS CAST(CAST(x AS TIMESTAMPTZ) AS TIMESTAMP)',
];

/** Splits BigQuery SQL into tokens. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i]!)) i++;
      tokens.push({ kind: 'space', text: sql.slice(start, i) });
    } else if ((c === '-' && sql[i + 1] === '-') || c === '#') {
      while (i < n && sql[i] !== '\n') i++;
      tokens.push({ kind: 'comment', text: sql.slice(start, i) });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlTranslationError('unterminated comment', sql);
      i = end + 2;
      tokens.push({ kind: 'comment', text: sql.slice(start, i) });
    } else if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw new SqlTranslationError('unterminated quoted name', sql);
      i = end + 1;
      tokens.push({ kind: 'quoted', text: sql.slice(start, i), value: sql.slice(start + 1, end) });
    } else if (c === "'" || c === '"' || (/[rRbB]/.test(c) && (sql[i + 1] === "'" || sql[i + 1] === '"') && !isWordChar(sql[i - 1]))) {
      const raw = c !== "'" && c !== '"';
      if (raw) i++;
      const q = sql[i]!;
      const triple = sql.startsWith(q.repeat(3), i);
      const close = triple ? q.repeat(3) : q;
      i += close.length;
      let value = '';
      for (;;) {
        if (i >= n) throw new SqlTranslationError('unterminated string literal', sql);
        if (sql.startsWith(close, i)) {
          i += close.length;
          break;
        }
        const ch = sql[i]!;
        if (ch === '\\' && !/[rR]/.test(c)) {
          const [decoded, used] = unescape(sql, i);
          value += decoded;
          i += used;
        } else {
          if (!triple && ch === '\n') throw new SqlTranslationError('newline in a string literal', sql);
          value += ch;
          i++;
        }
      }
      tokens.push({ kind: 'string', text: sql.slice(start, i), value });
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      i++;
      while (i < n && isWordChar(sql[i])) i++;
      tokens.push({ kind: 'param', text: sql.slice(start, i), value: sql.slice(start + 1, i) });
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < n && isWordChar(sql[i])) i++;
      tokens.push({ kind: 'word', text: sql.slice(start, i) });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9.eE]/.test(sql[i]!)) {
        if (/[eE]/.test(sql[i]!) && /[+-]/.test(sql[i + 1] ?? '')) i++;
        i++;
      }
      tokens.push({ kind: 'number', text: sql.slice(start, i) });
    } else {
      i++;
      tokens.push({ kind: 'punct', text: c });
    }
  }
  return tokens;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '?': '?',
  '"': '"',
  "'": "'",
  '`': '`',
};

/** Decodes one BigQuery escape sequence at `i` (a backslash): [value, characters used]. */
function unescape(sql: string, i: number): [string, number] {
  const e = sql[i + 1];
  if (e === undefined) throw new SqlTranslationError('backslash at the end of the text', sql);
  if (e in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[e]!, 2];
  const hex = (len: number, from: number): [string, number] => {
    const digits = sql.slice(from, from + len);
    if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) throw new SqlTranslationError(`bad escape \\${e}${digits}`, sql);
    return [String.fromCodePoint(parseInt(digits, 16)), from + len - i];
  };
  if (e === 'x' || e === 'X') return hex(2, i + 2);
  if (e === 'u') return hex(4, i + 2);
  if (e === 'U') return hex(8, i + 2);
  if (/[0-7]/.test(e)) {
    const digits = sql.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(digits)) throw new SqlTranslationError(`bad escape \\${digits}`, sql);
    return [String.fromCharCode(parseInt(digits, 8)), 4];
  }
  throw new SqlTranslationError(`unknown escape \\${e}`, sql);
}

/** A DuckDB string literal. */
export function duckString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A DuckDB quoted identifier. */
export function duckIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Translates a BigQuery SQL text (one statement or a script) into DuckDB statements.
 */
export function translateSql(sql: string, options: TranslateOptions = {}): TranslatedStatement[] {
  const tokens = tokenize(sql);
  const out: TranslatedStatement[] = [];
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ';') {
      if (current.some(significant)) out.push(translateStatement(current, sql, options));
      current = [];
    } else {
      current.push(t);
    }
  }
  if (current.some(significant)) out.push(translateStatement(current, sql, options));
  return out;
}

function significant(t: Token): boolean {
  return t.kind !== 'space' && t.kind !== 'comment';
}

function upper(t: Token | undefined): string {
  return t && t.kind === 'word' ? t.text.toUpperCase() : '';
}

function translateStatement(all: Token[], source: string, options: TranslateOptions): TranslatedStatement {
  // Comments go: DuckDB takes them, but dropping them keeps the rewriting below simple.
  const tokens = all.filter((t) => t.kind !== 'comment');
  const params: string[] = [];
  const pieces = rewrite(tokens, 0, tokens.length, source, options, params);
  const verb = upper(tokens.find(significant)) || (tokens.find(significant)?.text ?? '');
  return { sql: pieces.trim(), params, verb };
}

/** Index of the next significant token at or after `i`, or `end`. */
function nextSig(tokens: Token[], i: number, end: number): number {
  while (i < end && !significant(tokens[i]!)) i++;
  return i;
}

/** Index of the `)` closing the `(` at `open`. */
function closing(tokens: Token[], open: number, end: number, source: string): number {
  let depth = 0;
  for (let i = open; i < end; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth++;
    else if (t.text === ')' && --depth === 0) return i;
  }
  throw new SqlTranslationError('unbalanced parentheses', source);
}

/** Splits tokens [from, to) at top-level commas. */
function splitArgs(tokens: Token[], from: number, to: number): Array<[number, number]> {
  const args: Array<[number, number]> = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[' || t.text === '<') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '>') depth--;
    else if (t.text === ',' && depth === 0) {
      args.push([start, i]);
      start = i + 1;
    }
  }
  args.push([start, to]);
  return args;
}

function rewrite(tokens: Token[], from: number, to: number, source: string, options: TranslateOptions, params: string[]): string {
  let out = '';
  let lastSig: Token | undefined;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    const word = upper(t);
    const j = nextSig(tokens, i + 1, to);
    const next = tokens[j];
    let emitted: string | undefined;
    let skipTo = i;

    if (t.kind === 'quoted') {
      const parts = t.value!.split('.');
      emitted = duckIdent(parts[parts.length - 1]!);
    } else if (t.kind === 'string') {
      emitted = duckString(t.value!);
    } else if (t.kind === 'param') {
      const name = t.value!;
      if (!params.includes(name)) params.push(name);
      emitted = options.timestampParams?.has(name) ? utcTimestamp(`$${name}`) : `$${name}`;
    } else if (t.kind === 'word') {
      const nextIsParen = next?.kind === 'punct' && next.text === '(';
      if ((word === 'CURRENT_TIMESTAMP' || word === 'CURRENT_DATE') && nextIsParen) {
        const k = nextSig(tokens, j + 1, to);
        if (tokens[k]?.text === ')') {
          emitted = word === 'CURRENT_TIMESTAMP' ? 'CAST(current_timestamp AS TIMESTAMP)' : 'current_date';
          skipTo = k;
        }
      } else if ((word === 'TIMESTAMP_DIFF' || word === 'DATE_DIFF' || word === 'DATETIME_DIFF') && nextIsParen) {
        const close = closing(tokens, j, to, source);
        const args = splitArgs(tokens, j + 1, close);
        if (args.length !== 3) throw new SqlTranslationError(`${word} takes 3 arguments`, source);
        const [a, b, part] = args.map(([s, e]) => rewrite(tokens, s, e, source, options, params).trim()) as [string, string, string];
        emitted = `date_sub(${duckString(part.toLowerCase())}, ${b}, ${a})`;
        skipTo = close;
      } else if (word === 'TIMESTAMP' && next?.kind === 'string' && lastSig?.text.toUpperCase() !== 'AS') {
        emitted = utcTimestamp(duckString(next.value!));
        skipTo = j;
      } else if (word === 'TIMESTAMP' && nextIsParen && lastSig?.text.toUpperCase() !== 'AS') {
        emitted = 'tap_timestamp';
      } else if (word === 'SHA256' && nextIsParen) {
        // BigQuery's SHA256 answers BYTES, DuckDB's a hex string: the macro answers the bytes.
        emitted = 'tap_sha256';
      } else if (word === 'SAFE_CAST') {
        emitted = 'TRY_CAST';
      } else if (word === 'IN' && upper(next) === 'UNNEST') {
        const open = nextSig(tokens, j + 1, to);
        if (tokens[open]?.text !== '(') throw new SqlTranslationError('UNNEST without (', source);
        const close = closing(tokens, open, to, source);
        emitted = `IN (SELECT UNNEST(${rewrite(tokens, open + 1, close, source, options, params).trim()}))`;
        skipTo = close;
      } else if (word === 'UNNEST' && nextIsParen && (upper(lastSig) === 'JOIN' || upper(lastSig) === 'FROM')) {
        // BigQuery's `UNNEST(list) AS x` names the element x; DuckDB's alias names a table, so its
        // column is named with the table: `AS unnested_x(x)`.
        const close = closing(tokens, j, to, source);
        const as = nextSig(tokens, close + 1, to);
        const alias = nextSig(tokens, as + 1, to);
        const after = nextSig(tokens, alias + 1, to);
        if (upper(tokens[as]) === 'AS' && tokens[alias]?.kind === 'word' && tokens[after]?.text !== '(') {
          const name = tokens[alias]!.text;
          emitted = `UNNEST(${rewrite(tokens, j + 1, close, source, options, params).trim()}) AS unnested_${name}(${name})`;
          skipTo = alias;
        }
      } else if (word === 'INTERVAL' && next?.kind === 'param') {
        out += 'INTERVAL (';
        out += rewrite(tokens, j, j + 1, source, options, params);
        out += ')';
        i = j;
        lastSig = next;
        continue;
      } else if (word === 'ARRAY' && next?.kind === 'punct' && next.text === '<') {
        const k = nextSig(tokens, j + 1, to);
        const m = nextSig(tokens, k + 1, to);
        if (tokens[k]?.kind === 'word' && tokens[m]?.text === '>' && upper(tokens[k]) in TYPE_NAMES) {
          emitted = `${TYPE_NAMES[upper(tokens[k])]}[]`;
          skipTo = m;
        }
      } else if (
        word in TYPE_NAMES &&
        word !== 'TIMESTAMP' &&
        word !== 'DATE' &&
        word !== 'JSON' &&
        !nextIsParen &&
        isTypePosition(lastSig)
      ) {
        emitted = TYPE_NAMES[word];
      } else if ((word === 'INSERT' && upper(next) !== 'INTO') || (word === 'DELETE' && upper(next) !== 'FROM')) {
        if (lastSig === undefined || /^(THEN)$/i.test(lastSig.text) === false) {
          emitted = word === 'INSERT' ? 'INSERT INTO' : 'DELETE FROM';
        }
      }
    }
    out += emitted ?? t.text;
    if (significant(t)) lastSig = t;
    if (skipTo > i) {
      lastSig = tokens[skipTo];
      i = skipTo;
    }
  }
  return out;
}

/**
 * A text read as a point in time, UTC, as BigQuery reads a TIMESTAMP: DuckDB's TIMESTAMP cast
 * drops a UTC offset (`+02:00`) where its TIMESTAMPTZ cast applies it.
 */
function utcTimestamp(expr: string): string {
  return `CAST(CAST(${expr} AS TIMESTAMPTZ) AS TIMESTAMP)`;
}

/** Whether a type name may follow this token: `CAST(x AS INT64)`, `ARRAY<INT64>`. */
function isTypePosition(prev: Token | undefined): boolean {
  if (!prev) return false;
  return upper(prev) === 'AS' || (prev.kind === 'punct' && prev.text === '<');
}
