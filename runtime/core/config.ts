/**
 * Reading and validating the jobs' configuration from their environment. Every failure names the
 * variable, the value received and what is allowed, so a bad deployment fails fast and says why.
 */
import {
  AnalysesError,
  AnalysisSpec,
  BatchRef,
  PlannedAnalysis,
  planAnalyses,
  PRIMARY_ANALYSIS,
  upstreamPlaceholders,
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
import type { SourceRef, UpstreamField } from './sql';

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

/**
 * The pipeline's analyses: `pass1` from `TAP_ANALYSIS`, the others from `TAP_ANALYSES`, in the
 * order a run runs them.
 */
export function parseAnalyses(env: JobEnv): PlannedAnalysis[] {
  const all: Record<string, AnalysisSpec> = { [PRIMARY_ANALYSIS]: parseAnalysis(env) };
  const text = raw(env, JOB_ENV.analyses);
  if (text !== undefined) {
    let more: unknown;
    try {
      more = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(JOB_ENV.analyses, `is not valid JSON (${(e as Error).message})`);
    }
    if (more === null || typeof more !== 'object' || Array.isArray(more) || PRIMARY_ANALYSIS in more) {
      throw new ConfigError(
        JOB_ENV.analyses,
        `must be a JSON object of analyses by name, without ${PRIMARY_ANALYSIS} (that one is ${JOB_ENV.analysis})`,
      );
    }
    Object.assign(all, more);
  }
  try {
    return planAnalyses(all);
  } catch (e) {
    if (e instanceof AnalysesError) throw new ConfigError(JOB_ENV.analyses, e.message);
    throw e;
  }
}

/** Source columns a prompt template names besides `{transcript}` (upstream fields, `{analysis.field}`, are not columns). */
export function templateColumns(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (match[1] !== 'transcript') names.add(match[1]!);
  }
  return [...names].sort();
}

/** What a record's prompt takes besides its transcript: source columns, then `analysis.field` upstream fields. */
export function promptInputs(template: string): string[] {
  return [...templateColumns(template), ...upstreamPlaceholders(template)];
}

/** What every job reads. */
export interface CommonConfig {
  readonly projectId: string;
  readonly dataset: string;
  readonly workBucket: string;
  readonly sourceTable: string;
  readonly sourceIdColumn: string;
  readonly sourceTextColumn: string;
  /** The source's column saying when each row was written, if it has one. */
  readonly sourceIngestedColumn?: string;
  /** The analysis this job works for: `TAP_ANALYSIS_NAME`, or the one its plan was made for (see `forVersion`). */
  readonly analysisName: string;
  readonly analysis: AnalysisSpec;
  readonly analysisVersion: string;
  /** Results table id of the analysis. */
  readonly resultsTable: string;
  /** The analysis it reads, for a chained analysis. */
  readonly upstream?: PlannedAnalysis['upstream'];
  /** Every analysis of the pipeline, in run order. */
  readonly analyses: readonly PlannedAnalysis[];
  readonly executionId: string;
}

function withAnalysis<C extends CommonConfig>(cfg: C, a: PlannedAnalysis): C {
  return { ...cfg, analysisName: a.name, analysis: a.spec, analysisVersion: a.version, resultsTable: a.resultsTable, upstream: a.upstream };
}

/**
 * The configuration for the analysis whose current version is `version` (what a plan was made
 * for), or `cfg` unchanged when no analysis has that version (the declaration changed since).
 */
export function forVersion<C extends CommonConfig>(cfg: C, version: string): C {
  const a = cfg.analyses.find((x) => x.version === version);
  return a && a.name !== cfg.analysisName ? withAnalysis(cfg, a) : cfg;
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
  const ingested = raw(env, JOB_ENV.sourceIngestedColumn);
  const sourceIngestedColumn = ingested === undefined ? undefined : requireIdentifier(JOB_ENV.sourceIngestedColumn, ingested);
  const analyses = parseAnalyses(env);
  const name = raw(env, RUN_ENV.analysisName) ?? PRIMARY_ANALYSIS;
  const selected = analyses.find((a) => a.name === name);
  if (!selected) {
    throw new ConfigError(
      RUN_ENV.analysisName,
      `"${name}" is not an analysis of this pipeline (${analyses.map((a) => a.name).join(', ')})`,
    );
  }
  const executionId = requireString(env, RUN_ENV.executionId);
  if (!EXECUTION_ID.test(executionId)) {
    throw new ConfigError(RUN_ENV.executionId, `"${executionId}" must be 1-128 letters, digits, _ or -`);
  }
  const common: CommonConfig = {
    projectId,
    dataset,
    workBucket,
    sourceTable,
    sourceIdColumn,
    sourceTextColumn,
    ...(sourceIngestedColumn ? { sourceIngestedColumn } : {}),
    analysisName: selected.name,
    analysis: selected.spec,
    analysisVersion: selected.version,
    resultsTable: selected.resultsTable,
    analyses,
    executionId,
  };
  return withAnalysis(common, selected);
}

/** Where the jobs read transcripts. */
export function sourceRef(cfg: CommonConfig): SourceRef {
  return {
    table: cfg.sourceTable,
    idColumn: cfg.sourceIdColumn,
    textColumn: cfg.sourceTextColumn,
    ...(cfg.sourceIngestedColumn ? { ingestedColumn: cfg.sourceIngestedColumn } : {}),
    ...(cfg.upstream ? { upstream: { table: cfg.upstream.resultsTable, version: cfg.upstream.version } } : {}),
  };
}

/** The upstream fields a chained analysis's prompt names, as the planner stages them. */
export function upstreamFields(cfg: CommonConfig): UpstreamField[] {
  const upstream = cfg.upstream;
  if (!upstream) return [];
  return upstreamPlaceholders(cfg.analysis.promptTemplate).map((key) => {
    const column = key.slice(key.indexOf('.') + 1);
    const field = upstream.spec.fields.find((f) => f.name === column);
    return { key, column, repeated: field?.type === 'string_array' };
  });
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
