/**
 * Reading and validating the jobs' configuration from their environment. Every failure names the
 * variable, the value received and what is allowed, so a bad deployment fails fast and says why.
 */
import {
  AnalysisSpec,
  analysisVersion,
  BatchRef,
  JOB_ENV,
  ModelPrice,
  priceOf,
  RESERVED_FIELD_NAMES,
  RUN_ENV,
} from '../contract';
import type { JobEnv } from './ports';

/** A configuration mistake: the job logs it naming `variable` and exits 1. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;
const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** `project.dataset.table`: project ids may hold `-` (and a `domain:` prefix), tables letters, digits, `_`, `-`. */
const QUALIFIED_TABLE = /^[a-z][a-z0-9.:-]{0,127}\.[A-Za-z0-9_]{1,1024}\.[A-Za-z0-9_-]{1,1024}$/;
const EXECUTION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** True when `name` can be used as a column or table id without quoting surprises. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

export function requireIdentifier(variable: string, name: string): string {
  if (!isIdentifier(name)) {
    throw new ConfigError(variable, `"${name}" is not a valid identifier (letters, digits and _, not starting with a digit)`);
  }
  return name;
}

function raw(env: JobEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function requireString(env: JobEnv, name: string): string {
  const value = raw(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required but not set');
  return value;
}

export function optionalInt(env: JobEnv, name: string, min: number, max: number): number | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function requireInt(env: JobEnv, name: string, min: number, max: number): number {
  const n = optionalInt(env, name, min, max);
  if (n === undefined) throw new ConfigError(name, `is required but not set (an integer from ${min} to ${max})`);
  return n;
}

export function optionalBool(env: JobEnv, name: string): boolean {
  const value = raw(env, name);
  if (value === undefined) return false;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

/** Parses and checks the analysis declaration (`TAP_ANALYSIS`). */
export function parseAnalysis(env: JobEnv): AnalysisSpec {
  const text = requireString(env, JOB_ENV.analysis);
  let spec: AnalysisSpec;
  try {
    spec = JSON.parse(text) as AnalysisSpec;
  } catch (e) {
    throw new ConfigError(JOB_ENV.analysis, `is not valid JSON (${(e as Error).message})`);
  }
  const fail = (what: string) => {
    throw new ConfigError(JOB_ENV.analysis, what);
  };
  if (spec === null || typeof spec !== 'object') fail('must be a JSON object');
  if (typeof spec.systemInstruction !== 'string') fail('systemInstruction must be a string');
  if (typeof spec.promptTemplate !== 'string' || !spec.promptTemplate.includes('{transcript}')) {
    fail('promptTemplate must be a string containing {transcript}');
  }
  if (typeof spec.model !== 'string' || spec.model === '') fail('model must be a non-empty string');
  if (spec.generationConfig === null || typeof spec.generationConfig !== 'object') fail('generationConfig must be an object');
  if (!Array.isArray(spec.fields) || spec.fields.length === 0) fail('fields must be a non-empty array');
  const types = new Set(['string', 'integer', 'number', 'boolean', 'string_array']);
  const seen = new Set<string>();
  for (const field of spec.fields) {
    if (!FIELD_NAME.test(field?.name ?? '')) fail(`field name "${field?.name}" must match ${FIELD_NAME.source}`);
    if (RESERVED_FIELD_NAMES.has(field.name)) fail(`field name "${field.name}" is reserved by the results table`);
    if (seen.has(field.name)) fail(`field "${field.name}" is declared twice`);
    seen.add(field.name);
    if (!types.has(field.type)) fail(`field "${field.name}" has type "${field.type}"; allowed: ${[...types].join(', ')}`);
    if (field.enum !== undefined && (field.type !== 'string' || !Array.isArray(field.enum) || field.enum.length === 0)) {
      fail(`field "${field.name}": enum must be a non-empty list on a string field`);
    }
  }
  for (const name of templateColumns(spec.promptTemplate)) requireIdentifier(JOB_ENV.analysis, name);
  return spec;
}

/** Source columns a prompt template names besides `{transcript}`. */
export function templateColumns(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (match[1] !== 'transcript') names.add(match[1]!);
  }
  return [...names].sort();
}

/** What every job reads. */
export interface CommonConfig {
  readonly projectId: string;
  readonly dataset: string;
  readonly workBucket: string;
  readonly sourceTable: string;
  readonly sourceIdColumn: string;
  readonly sourceTextColumn: string;
  readonly analysis: AnalysisSpec;
  readonly analysisVersion: string;
  readonly executionId: string;
}

export function commonConfig(env: JobEnv): CommonConfig {
  const projectId = requireString(env, JOB_ENV.projectId);
  const dataset = requireIdentifier(JOB_ENV.dataset, requireString(env, JOB_ENV.dataset));
  const workBucket = requireString(env, JOB_ENV.workBucket);
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(workBucket)) {
    throw new ConfigError(JOB_ENV.workBucket, `"${workBucket}" is not a bucket name`);
  }
  const sourceTable = requireString(env, JOB_ENV.sourceTable);
  if (!QUALIFIED_TABLE.test(sourceTable)) {
    throw new ConfigError(JOB_ENV.sourceTable, `"${sourceTable}" must be a qualified table name, project.dataset.table`);
  }
  const sourceIdColumn = requireIdentifier(JOB_ENV.sourceIdColumn, raw(env, JOB_ENV.sourceIdColumn) ?? 'transcript_id');
  const sourceTextColumn = requireIdentifier(JOB_ENV.sourceTextColumn, raw(env, JOB_ENV.sourceTextColumn) ?? 'transcript');
  const analysis = parseAnalysis(env);
  const executionId = requireString(env, RUN_ENV.executionId);
  if (!EXECUTION_ID.test(executionId)) {
    throw new ConfigError(RUN_ENV.executionId, `"${executionId}" must be 1-128 letters, digits, _ or -`);
  }
  return {
    projectId,
    dataset,
    workBucket,
    sourceTable,
    sourceIdColumn,
    sourceTextColumn,
    analysis,
    analysisVersion: analysisVersion(analysis),
    executionId,
  };
}

/**
 * `TAP_BATCH_ID`, with `TAP_START_ROW` and `TAP_END_ROW` (inclusive, both or neither) when the
 * attempt covers only those plan rows of the batch.
 */
export function batchRef(env: JobEnv): BatchRef {
  const batchId = requireInt(env, RUN_ENV.batchId, 0, 10_000_000);
  const startRow = optionalInt(env, RUN_ENV.startRow, 1, Number.MAX_SAFE_INTEGER);
  const endRow = optionalInt(env, RUN_ENV.endRow, 1, Number.MAX_SAFE_INTEGER);
  if (startRow === undefined && endRow === undefined) return { batchId };
  if (startRow === undefined || endRow === undefined) {
    throw new ConfigError(startRow === undefined ? RUN_ENV.startRow : RUN_ENV.endRow, `give both ${RUN_ENV.startRow} and ${RUN_ENV.endRow}, or neither`);
  }
  if (endRow < startRow) throw new ConfigError(RUN_ENV.endRow, `must be at least ${RUN_ENV.startRow} (${startRow}), got ${endRow}`);
  return { batchId, rows: { startRow, endRow } };
}

/** Highest batch attempt number the jobs take (attempts are numbered from 1 by the batch workflow's claims). */
export const MAX_BATCH_ATTEMPT = 10_000;

/** `TAP_ATTEMPT`, from 1. */
export function batchAttempt(env: JobEnv): number {
  return optionalInt(env, RUN_ENV.attempt, 1, MAX_BATCH_ATTEMPT) ?? 1;
}

export const DEFAULT_MAX_RECORD_ATTEMPTS = 3;
/** About 250k tokens of English; Gemini Flash takes 1M tokens, but a call transcript this long is an upload error. */
export const DEFAULT_MAX_TRANSCRIPT_CHARS = 1_000_000;
/** Vertex AI batch input lines stay well under the 1 GB file limit; one request stays under a few MB. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export function maxRecordAttempts(env: JobEnv): number {
  return optionalInt(env, JOB_ENV.maxRecordAttempts, 1, 100) ?? DEFAULT_MAX_RECORD_ATTEMPTS;
}

/** `TAP_PRICE` (JSON `ModelPrice`) or the price table's entry for the model. */
export function modelPrice(env: JobEnv, model: string): ModelPrice {
  const text = raw(env, JOB_ENV.price);
  if (text === undefined) return priceOf(model);
  let price: ModelPrice;
  try {
    price = JSON.parse(text) as ModelPrice;
  } catch {
    throw new ConfigError(JOB_ENV.price, `is not valid JSON: ${text}`);
  }
  if (typeof price?.inputPerMillion !== 'number' || typeof price?.outputPerMillion !== 'number') {
    throw new ConfigError(JOB_ENV.price, 'must be {"inputPerMillion": number, "outputPerMillion": number}');
  }
  return price;
}
