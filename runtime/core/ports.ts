/**
 * The ports the jobs' logic needs from the outside world. The GCP adapters (BigQuery, Cloud
 * Storage) and the local ones (DuckDB, a folder) implement them; core never imports either.
 */
import type { Readable, Writable } from 'node:stream';
import type { RedactionCounts, ResolvedRedaction } from '../contract/redaction';

/** Objects in the work bucket, addressed by their path inside it (no `gs://bucket/`). */
export interface ObjectStore {
  /** The bucket (or folder) name, for `gs://` URIs handed to other services. */
  readonly bucket: string;
  /** Reads a whole small object. Rejects with `NotFoundError` when it does not exist. */
  readText(path: string): Promise<string>;
  /** Writes a whole small object, replacing it. */
  writeText(path: string, text: string): Promise<void>;
  /**
   * Writes a whole small object only if none exists under the path, atomically (Cloud Storage's
   * `ifGenerationMatch: 0`). Resolves to false, writing nothing, when one exists.
   */
  createText(path: string, text: string): Promise<boolean>;
  exists(path: string): Promise<boolean>;
  /** Paths of the objects under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Streams an object. */
  openRead(path: string): Readable;
  /** Streams into an object; the object exists, whole, once the stream has finished. */
  openWrite(path: string): Writable;
}

/** A query parameter value. Arrays are arrays of strings. */
export type SqlValue = string | number | boolean | null | readonly string[];

/** Named parameters (`@name` in the SQL text). */
export type SqlParams = Readonly<Record<string, SqlValue>>;

/** The SQL type of each parameter, needed where a value is null or an empty array. */
export type SqlParamTypes = Readonly<Record<string, 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'TIMESTAMP' | 'ARRAY<STRING>'>>;

/** A statement with its parameters, as the SQL module builds it. */
export interface Statement {
  readonly sql: string;
  readonly params?: SqlParams;
  readonly types?: SqlParamTypes;
}

/**
 * The warehouse. SQL texts are written once, in BigQuery's dialect with backtick-quoted names from
 * `table()`; other warehouses translate what they must.
 */
export interface Warehouse {
  /** The warehouse's quoted, qualified name of a table or view id (or of a `project.dataset.table`). */
  table(tableId: string): string;
  /** Runs one statement and returns all its rows (for small results and DML). */
  query<T = Record<string, unknown>>(statement: Statement): Promise<T[]>;
  /** Streams the rows of a SELECT without holding them all. */
  stream<T = Record<string, unknown>>(statement: Statement): AsyncIterable<T>;
  /**
   * Appends the newline-delimited JSON rows of an object in the work store to a table, as one job
   * with a caller-chosen id. The same id twice loads once: the second call answers `already_done`.
   */
  load(tableId: string, objectPath: string, jobId: string): Promise<'loaded' | 'already_done'>;
  close(): Promise<void>;
}

/** An object that does not exist. */
export class NotFoundError extends Error {
  constructor(readonly path: string) {
    super(`object not found: ${path}`);
    this.name = 'NotFoundError';
  }
}

/** Writes one structured log line (JSON on stdout in the jobs). */
export interface Logger {
  log(severity: 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR', message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** The environment a job reads its configuration from (process.env, or overrides in-process). */
export type JobEnv = Readonly<Record<string, string | undefined>>;

/** One transcript with its personal data taken out, and what was taken, counted by info type. */
export interface RedactedText {
  readonly text: string;
  readonly counts: RedactionCounts;
}

/**
 * Takes personal data out of transcripts before any request is written: Sensitive Data Protection
 * in the cloud, the laptop redactor locally.
 */
export interface Redactor {
  /** Redacts texts, answering in their order. */
  redact(texts: readonly string[], settings: ResolvedRedaction): Promise<RedactedText[]>;
  /** Characters of transcript worth sending in one call (the generator gathers that many before calling). */
  readonly batchChars: number;
}

/** Everything a job's logic needs from outside, given by its entry point or by the local twin. */
export interface JobPorts {
  readonly warehouse: Warehouse;
  readonly store: ObjectStore;
  readonly log: Logger;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
  /**
   * Called after each durable write with its name (for the processor: `results`, `errors`,
   * `processed`, ...). Tests and the local twin's faults throw here to simulate a crash.
   */
  readonly checkpoint?: (point: string) => void | Promise<void>;
  /** De-identifies transcripts; the generator needs one when the analysis has a `redaction`. */
  readonly redactor?: Redactor;
}

/** What each `runtime/jobs/<kind>.ts` exports as `run`. */
export type JobRun<T = unknown> = (env: JobEnv, ports: JobPorts) => Promise<T>;
