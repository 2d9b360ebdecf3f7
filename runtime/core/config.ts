/**
 * Reading and validating the jobs' configuration from their environment. Every failure names the
 * variable, the value received and what is allowed, so a bad deployment fails fast and says why.
 */
import {
  AnalysisSpec,
  analysisVersion,
  BatchRef,
  checkAnalysis,
  DEFAULTS,
  describeProblem,
  JOB_ENV,
  LIMITS,
  ModelPrice,
  priceOf,
  RUN_ENV,
} from '../contract';
import type { JobEnv } from './ports';
import type { SourceRef } from './sql';

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

/** Parses and checks the analysis declaration (`TAP_ANALYSIS`), with the contract's one checker. */
export function parseAnalysis(env: JobEnv): AnalysisSpec {
  const text = requireString(env, JOB_ENV.analysis);
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(JOB_ENV.analysis, `is not valid JSON (${(e as Error).message})`);
  }
  const [first, ...rest] = checkAnalysis(spec);
  if (first) {
    throw new ConfigError(
      JOB_ENV.analysis,
      describeProblem(first, 'analysis') + (rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : ''),
    );
  }
  return spec as AnalysisSpec;
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

/** Where the jobs read transcripts. */
export function sourceRef(cfg: CommonConfig): SourceRef {
  return { table: cfg.sourceTable, idColumn: cfg.sourceIdColumn, textColumn: cfg.sourceTextColumn };
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
    throw new ConfigError(
      startRow === undefined ? RUN_ENV.startRow : RUN_ENV.endRow,
      `give both ${RUN_ENV.startRow} and ${RUN_ENV.endRow}, or neither`,
    );
  }
  if (endRow < startRow) throw new ConfigError(RUN_ENV.endRow, `must be at least ${RUN_ENV.startRow} (${startRow}), got ${endRow}`);
  return { batchId, rows: { startRow, endRow } };
}

/** `TAP_ATTEMPT`, from 1 (attempts are numbered by the batch workflow's claims). */
export function batchAttempt(env: JobEnv): number {
  return optionalInt(env, RUN_ENV.attempt, 1, LIMITS.maxAttemptNumber) ?? 1;
}

export function maxRecordAttempts(env: JobEnv): number {
  return optionalInt(env, JOB_ENV.maxRecordAttempts, 1, LIMITS.maxRecordAttempts) ?? DEFAULTS.maxRecordAttempts;
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
