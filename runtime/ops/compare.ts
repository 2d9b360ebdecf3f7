/**
 * Comparing a changed analysis with the current one before paying for all of it (`tapctl compare`),
 * and the current results with human labels (`tapctl evaluate`), on a laptop work folder or a deployment.
 *
 * compare draws a reproducible sample of records that have a result of the baseline analysis under
 * its latest version (stratified over the baseline's categorical fields), sends the candidate's
 * requests for them through a `SampleAnswerer` (on a laptop the local analyzer or a model endpoint,
 * in the cloud one Vertex AI batch job: see `compare-cloud.ts`), writes the candidate's answers
 * to `analysis_comparisons` (never to a results table), and reports per field how far the two
 * agree, with tokens, cost and error rate for both and the projected cost of analysing the whole
 * table again under the candidate.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  AnalysisSpec,
  analysisVersion,
  COMPARISONS_TABLE,
  DEFAULT_ANALYSIS,
  DEFAULTS,
  estimateCostUsd,
  layout,
  pipelineAnalysisVersion,
  priceOf,
  PRIMARY_ANALYSIS,
  resultsTableName,
  SOURCE_ROLES,
  TABLE_NAMES,
} from '../contract';
import { fieldAgreement, FieldAgreement, fieldKind, stratifiedSample, AnswerPair } from '../core/agreement';
import { templateColumns } from '../core/config';
import type { ObjectStore, Warehouse } from '../core/ports';
import { generate, recordLabel, requestTemplate } from '../core/requests';
import { parsePrediction } from '../core/responses';
import { OperatorError } from './errors';

/** Answers one request line (`{"request": …}`) with a Vertex AI output line. */
export type LineAnswerer = (line: string) => Promise<unknown>;

/** One request of the sample: its record, and the line the generator's request builder made for it. */
export interface SampleRequest {
  readonly recordId: string;
  readonly line: string;
}

/**
 * Answers the sample's requests with Vertex AI output lines, in any order and any number: each line
 * is matched to its record by the ids its echoed request carries, and a record with no line has no
 * answer (`missing_result`).
 */
export type SampleAnswerer = (requests: readonly SampleRequest[], comparisonId: string) => Promise<readonly string[]>;

/** Answers the requests one at a time (the local analyzer, a model endpoint), reporting progress after each. */
export function lineByLine(answer: LineAnswerer, onAnswer?: (done: number, total: number) => void): SampleAnswerer {
  return async (requests) => {
    const lines: string[] = [];
    for (const [i, r] of requests.entries()) {
      lines.push(JSON.stringify(await answer(r.line)));
      onAnswer?.(i + 1, requests.length);
    }
    return lines;
  };
}

/** The declaration of the baseline analysis whose results have `version`. */
export type BaselineResolver = (analysis: string, version: string) => Promise<AnalysisSpec>;

export interface CompareOptions {
  readonly warehouse: Warehouse;
  /** Where the comparison's rows are staged for their load into `analysis_comparisons`. */
  readonly store: ObjectStore;
  readonly candidate: AnalysisSpec;
  /** The analysis compared against. @default 'pass1' */
  readonly baseline?: string;
  readonly sample: number;
  readonly seed: number;
  readonly answer: SampleAnswerer;
  /** @default - the declaration the laptop work folder kept for the version */
  readonly resolveBaseline?: BaselineResolver;
  /**
   * Derive the comparison's id from what it compares (baseline, its version, the candidate's
   * version, sample size and seed), so that running the same comparison again finds its work again.
   * @default false - a new id each time
   */
  readonly reproducibleId?: boolean;
  /** Says where the baseline's results are, for messages. @default 'this work folder' */
  readonly where?: string;
  /** The transcripts. @default - the pipeline's own source table, `transcript_id` and `transcript` */
  readonly source?: SourceTable;
  readonly now?: () => Date;
}

/** Where the transcripts are: a table id (or `project.dataset.table`) and its id and text columns. */
export interface SourceTable {
  readonly table: string;
  readonly idColumn: string;
  readonly textColumn: string;
}

export interface CompareReport {
  readonly comparison_id: string;
  readonly baseline: { readonly analysis: string; readonly version: string };
  readonly candidate: { readonly version: string };
  /** Records compared, and how they were drawn. */
  readonly sample: { readonly records: number; readonly seed: number; readonly stratified_by: readonly string[] };
  readonly fields: readonly FieldAgreement[];
  /** Fields only one side declares. */
  readonly fields_added: readonly string[];
  readonly fields_removed: readonly string[];
  readonly tokens_per_record: {
    readonly baseline: { readonly input: number; readonly output: number };
    readonly candidate: { readonly input: number; readonly output: number };
  };
  /** Estimated USD per record at the batch price of each side's model. */
  readonly cost_per_record: { readonly baseline: number; readonly candidate: number };
  /** Records the candidate would analyse if deployed (every record of the source), and what they would cost. */
  readonly records_to_reanalyse: number;
  readonly projected_full_cost_usd: number;
  /** Share of records without a valid answer: the baseline's settled records, and the sample for the candidate. */
  readonly error_rate: { readonly baseline: number; readonly candidate: number };
}

type Row = Record<string, unknown>;
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The latest version of an analysis's results, by the time of its latest row. */
async function latestVersion(warehouse: Pick<Warehouse, 'table' | 'query'>, table: string): Promise<string | undefined> {
  const [row] = await warehouse.query<Row>({
    sql: `SELECT analysis_version, MAX(processed_at) AS latest FROM ${warehouse.table(table)} GROUP BY analysis_version ORDER BY latest DESC LIMIT 1`,
  });
  return row ? String(row.analysis_version) : undefined;
}

/** The declaration of `analysis` whose results have `version`, as the work folder kept it. */
function savedBaseline(store: ObjectStore): BaselineResolver {
  return async (analysis, version) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { savedPipeline } = require('../local/deployment') as typeof import('../local/deployment');
    const saved = await savedPipeline(store, version);
    const spec = analysis === PRIMARY_ANALYSIS ? saved?.analysis : saved?.analyses?.[analysis];
    if (spec) return spec;
    if (analysis === PRIMARY_ANALYSIS && version === analysisVersion(DEFAULT_ANALYSIS)) return DEFAULT_ANALYSIS;
    throw new OperatorError(
      `the work folder does not hold the declaration of ${analysis} version ${version}`,
      'compare against the work folder whose runs wrote those results',
    );
  };
}

/**
 * The declaration of a deployed analysis, which a deployment does not keep: the one given with the
 * command's `option` (its version must be the results'), or the default analysis when the results
 * are the default's.
 */
export function givenBaseline(given: AnalysisSpec | undefined, option = '--baseline-analysis'): BaselineResolver {
  return async (analysis, version) => {
    if (given) {
      if (given.after !== undefined) {
        throw new OperatorError(
          `the declaration of ${analysis} given with ${option} reads another analysis (after: ${given.after}); its version cannot be checked here`,
          'give an analysis that reads the transcripts',
        );
      }
      const versionOfGiven = pipelineAnalysisVersion(analysis, given);
      if (versionOfGiven === version) return given;
      throw new OperatorError(
        `the declaration of ${analysis} given with ${option} has version ${versionOfGiven}, but the latest results of ${analysis} have version ${version}`,
        `give the declaration that is deployed (the one whose results are in the table) with ${option} FILE`,
      );
    }
    if (analysis === PRIMARY_ANALYSIS && version === analysisVersion(DEFAULT_ANALYSIS)) return DEFAULT_ANALYSIS;
    throw new OperatorError(
      `a deployment does not keep the declaration of ${analysis} (results version ${version})`,
      `give the declaration that is deployed with ${option} FILE (its version is checked against the results)`,
    );
  };
}

/** The id of a comparison that `reproducibleId` asks for: the same comparison always has the same id. */
export function comparisonIdOf(key: {
  readonly baseline: string;
  readonly baselineVersion: string;
  readonly candidateVersion: string;
  readonly sample: number;
  readonly seed: number;
}): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([key.baseline, key.baselineVersion, key.candidateVersion, key.sample, key.seed]))
    .digest('hex');
  return `cmp-${digest.slice(0, 24)}`;
}

function valueOf(row: Row, name: string): unknown {
  return row[name] ?? null;
}

/** The candidate's answer to one record, from the output line matched to it. */
function outcomeOf(candidate: AnalysisSpec, line: string | undefined) {
  let answer: Record<string, unknown> | null = null;
  let error: { type: string; message: string } | null = null;
  let usage = { promptTokens: 0, outputTokens: 0 };
  const outcome = line === undefined ? undefined : parsePrediction(candidate, line)?.outcome;
  if (line === undefined) error = { type: 'missing_result', message: 'no answer for the record in the output' };
  else if (!outcome) error = { type: 'json_parse_error', message: 'the answer line is not JSON' };
  else {
    usage = { promptTokens: outcome.usage.promptTokens ?? 0, outputTokens: outcome.usage.outputTokens ?? 0 };
    if (outcome.kind === 'success') answer = { ...outcome.values };
    else error = { type: outcome.type, message: outcome.message };
  }
  return { answer, error, usage };
}

/**
 * Each record's output line: matched by the record id of the prompt's marker, else by the request's
 * record label; a record answered twice keeps an answer that parsed.
 */
function linesByRecord(candidate: AnalysisSpec, recordIds: readonly string[], lines: readonly string[]): Map<string, string> {
  const byLabel = new Map(recordIds.map((id) => [recordLabel(id), id]));
  const known = new Set(recordIds);
  const out = new Map<string, string>();
  for (const line of lines) {
    const prediction = parsePrediction(candidate, line);
    const id =
      prediction?.markerId !== undefined && known.has(prediction.markerId)
        ? prediction.markerId
        : prediction?.label !== undefined
          ? byLabel.get(prediction.label)
          : undefined;
    if (id === undefined) continue;
    if (!out.has(id) || (prediction!.outcome.kind === 'success' && parsePrediction(candidate, out.get(id)!)?.outcome.kind !== 'success')) {
      out.set(id, line);
    }
  }
  return out;
}

export async function compareAnalyses(options: CompareOptions): Promise<CompareReport> {
  const { warehouse, store, candidate } = options;
  const baselineName = options.baseline ?? PRIMARY_ANALYSIS;
  const now = options.now ?? (() => new Date());
  const where = options.where ?? 'this work folder';
  if (candidate.after !== undefined) {
    throw new OperatorError(
      'compare takes an analysis that reads the transcripts; a chained candidate (with after) is not compared yet',
      'compare the upstream analysis, or try the chained one with tapctl local run --analysis NAME=FILE on a sample',
    );
  }
  const table = resultsTableName(baselineName);
  const version = await latestVersion(warehouse, table).catch(() => undefined);
  if (!version) {
    throw new OperatorError(
      `${baselineName} has no results in ${where} (table ${table})`,
      options.reproducibleId ? 'run it first: tapctl run' : 'run it first: tapctl local run',
    );
  }
  const baseline = await (options.resolveBaseline ?? savedBaseline(store))(baselineName, version);
  const candidateVersion = analysisVersion(candidate);
  const stratifiedBy = baseline.fields.filter((f) => fieldKind(f) === 'categorical').map((f) => f.name);

  const strata = await warehouse.query<Row>({
    sql: `SELECT record_id${stratifiedBy.map((f) => `, \`${f}\``).join('')} FROM ${warehouse.table(table)} WHERE analysis_version = @v ORDER BY record_id`,
    params: { v: version },
    types: { v: 'STRING' },
  });
  const byStratum = new Map(strata.map((r) => [String(r.record_id), JSON.stringify(stratifiedBy.map((f) => valueOf(r, f)))]));
  const sampled = stratifiedSample(
    [...byStratum.entries()].map(([recordId, stratum]) => ({ recordId, stratum })),
    options.sample,
    options.seed,
  );
  const rows = await warehouse.query<Row>({
    sql: `SELECT * FROM ${warehouse.table(table)} WHERE analysis_version = @v AND record_id IN UNNEST(@ids) ORDER BY record_id`,
    params: { v: version, ids: sampled },
    types: { v: 'STRING', ids: 'ARRAY<STRING>' },
  });
  const byId = new Map(rows.map((r) => [String(r.record_id), r]));

  const template = requestTemplate(candidate);
  const columns = templateColumns(candidate.promptTemplate).filter((c) => c !== 'transcript');
  const src = options.source ?? { table: TABLE_NAMES.source, idColumn: SOURCE_ROLES.id, textColumn: SOURCE_ROLES.text };
  const source = warehouse.table(src.table);
  const idOf = `CAST(\`${src.idColumn}\` AS STRING)`;
  const limits = { maxTranscriptChars: DEFAULTS.maxTranscriptChars, maxRequestBytes: DEFAULTS.maxRequestBytes };
  const comparisonId = options.reproducibleId
    ? comparisonIdOf({ baseline: baselineName, baselineVersion: version, candidateVersion, sample: options.sample, seed: options.seed })
    : `cmp-${now()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}-${randomUUID().slice(0, 8)}`;
  const sourceRows = await warehouse.query<Row>({
    sql: `SELECT ${idOf} AS record_id, \`${src.textColumn}\` AS transcript${columns.map((c) => `, CAST(\`${c}\` AS STRING) AS \`${c}\``).join('')} FROM ${source} WHERE ${idOf} IN UNNEST(@ids)`,
    params: { ids: sampled },
    types: { ids: 'ARRAY<STRING>' },
  });
  const sourceById = new Map<string, Row>();
  for (const r of sourceRows) if (!sourceById.has(String(r.record_id))) sourceById.set(String(r.record_id), r);
  const generated = new Map(
    sampled.map((recordId) => {
      const src = sourceById.get(recordId);
      const record = {
        recordId,
        transcript: src?.transcript === null || src?.transcript === undefined ? null : String(src.transcript),
        columns: Object.fromEntries(columns.map((c) => [c, src?.[c] === null || src?.[c] === undefined ? null : String(src[c])])),
      };
      return [recordId, generate(template, record, limits)] as const;
    }),
  );
  const requests = [...generated.entries()].flatMap(([recordId, g]) => (g.kind === 'request' ? [{ recordId, line: g.line }] : []));
  const answered =
    requests.length === 0 ? new Map<string, string>() : linesByRecord(candidate, sampled, await options.answer(requests, comparisonId));

  // One time for the comparison's rows, which are loaded together.
  const comparedAt = now().toISOString();
  const lines: string[] = [];
  const pairs: AnswerPair[] = [];
  let candidateIn = 0;
  let candidateOut = 0;
  let candidateErrors = 0;
  for (const recordId of sampled) {
    const g = generated.get(recordId)!;
    const { answer, error, usage } =
      g.kind === 'error'
        ? { answer: null, error: { type: g.type, message: g.message }, usage: { promptTokens: 0, outputTokens: 0 } }
        : outcomeOf(candidate, answered.get(recordId));
    candidateIn += usage.promptTokens;
    candidateOut += usage.outputTokens;
    if (error) candidateErrors++;
    pairs.push({ recordId, baseline: byId.get(recordId) ?? null, candidate: answer });
    lines.push(
      JSON.stringify({
        comparison_id: comparisonId,
        record_id: recordId,
        baseline_analysis: baselineName,
        baseline_version: version,
        candidate_version: candidateVersion,
        answer: answer ? JSON.stringify(answer) : null,
        error_type: error?.type ?? null,
        message: error?.message.slice(0, 2000) ?? null,
        prompt_tokens: usage.promptTokens,
        output_tokens: usage.outputTokens,
        compared_at: comparedAt,
      }),
    );
  }
  const staged = layout.comparisonAnswers(comparisonId);
  await store.writeText(staged, lines.join('\n') + (lines.length ? '\n' : ''));
  if (lines.length > 0) await warehouse.load(COMPARISONS_TABLE.name, staged, comparisonId);

  const shared = baseline.fields.filter((f) => candidate.fields.some((c) => c.name === f.name && fieldKind(c) === fieldKind(f)));
  const n = Math.max(1, sampled.length);
  const baseIn = sampled.reduce((s, id) => s + num(byId.get(id)?.prompt_tokens), 0) / n;
  const baseOut = sampled.reduce((s, id) => s + num(byId.get(id)?.output_tokens), 0) / n;
  const candIn = candidateIn / n;
  const candOut = candidateOut / n;
  const baseCost = estimateCostUsd(priceOf(baseline.model), baseIn, baseOut);
  const candCost = estimateCostUsd(priceOf(candidate.model), candIn, candOut);
  const [counts] = await warehouse.query<Row>({
    sql: `SELECT COUNT(DISTINCT ${idOf}) AS records FROM ${source} WHERE \`${src.idColumn}\` IS NOT NULL`,
  });
  const [settled] = await warehouse.query<Row>({
    sql: `SELECT COUNT(*) AS records, COALESCE(SUM(CASE WHEN status <> 'succeeded' THEN 1 ELSE 0 END), 0) AS failed FROM ${warehouse.table(TABLE_NAMES.processedRecords)} WHERE analysis_version = @v`,
    params: { v: version },
    types: { v: 'STRING' },
  });
  const total = num(counts?.records);
  return {
    comparison_id: comparisonId,
    baseline: { analysis: baselineName, version },
    candidate: { version: candidateVersion },
    sample: { records: sampled.length, seed: options.seed, stratified_by: stratifiedBy },
    fields: fieldAgreement(shared, pairs),
    fields_added: candidate.fields.filter((c) => !baseline.fields.some((f) => f.name === c.name)).map((f) => f.name),
    fields_removed: baseline.fields.filter((f) => !candidate.fields.some((c) => c.name === f.name)).map((f) => f.name),
    tokens_per_record: {
      baseline: { input: round(baseIn, 1), output: round(baseOut, 1) },
      candidate: { input: round(candIn, 1), output: round(candOut, 1) },
    },
    cost_per_record: { baseline: round(baseCost, 8), candidate: round(candCost, 8) },
    records_to_reanalyse: total,
    projected_full_cost_usd: round(candCost * total, 4),
    error_rate: {
      baseline: num(settled?.records) === 0 ? 0 : round(num(settled?.failed) / num(settled?.records), 4),
      candidate: sampled.length === 0 ? 0 : round(candidateErrors / sampled.length, 4),
    },
  };
}

/** The report as text: one line per field, then cost and errors, then some changed values. */
export function compareText(r: CompareReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const usd = (x: number) => `$${x.toFixed(6)}`;
  const out = [
    `comparison ${r.comparison_id}: candidate ${r.candidate.version} against ${r.baseline.analysis} ${r.baseline.version}`,
    `sample: ${r.sample.records} records (seed ${r.sample.seed}${r.sample.stratified_by.length ? `, stratified by ${r.sample.stratified_by.join(', ')}` : ''})`,
    '',
    `${'field'.padEnd(24)}${'kind'.padEnd(13)}${'agreement'.padEnd(11)}kappa`,
    ...r.fields.map(
      (f) =>
        `${f.name.padEnd(24)}${f.kind.padEnd(13)}${f.agreement.toFixed(3).padEnd(11)}${f.kappa === undefined ? '' : f.kappa.toFixed(3)}` +
        (f.mean_absolute_difference !== undefined ? `  (mean |difference| ${f.mean_absolute_difference})` : ''),
    ),
    ...(r.fields_added.length ? [`fields added: ${r.fields_added.join(', ')}`] : []),
    ...(r.fields_removed.length ? [`fields removed: ${r.fields_removed.join(', ')}`] : []),
    '',
    `tokens per record      baseline ${r.tokens_per_record.baseline.input} in / ${r.tokens_per_record.baseline.output} out, candidate ${r.tokens_per_record.candidate.input} in / ${r.tokens_per_record.candidate.output} out`,
    `cost per record        baseline ${usd(r.cost_per_record.baseline)}, candidate ${usd(r.cost_per_record.candidate)} (batch price)`,
    `re-analysing all ${r.records_to_reanalyse} records under the candidate: about $${r.projected_full_cost_usd.toFixed(4)}`,
    `error rate             baseline ${pct(r.error_rate.baseline)}, candidate ${pct(r.error_rate.candidate)}`,
  ];
  const changed = r.fields.flatMap((f) => f.examples.map((e) => ({ field: f.name, ...e })));
  if (changed.length > 0) {
    out.push('', 'changed values (some):');
    for (const c of changed.slice(0, 12)) {
      const show = (v: unknown) => {
        const text = JSON.stringify(v);
        return text.length > 60 ? `${text.slice(0, 57)}...` : text;
      };
      out.push(`  ${c.field} ${c.record_id}: ${show(c.baseline)} -> ${show(c.candidate)}`);
    }
  }
  return out.join('\n') + '\n';
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The report as a self-contained page: the fields' agreement as a table and bars, then cost, errors and changed values. */
export function compareHtml(r: CompareReport): string {
  const rows = r.fields
    .map(
      (f) =>
        `<tr><td>${escape(f.name)}</td><td>${f.kind}</td><td>${f.agreement.toFixed(3)}</td>` +
        `<td><div style="background:#4a7;height:10px;width:${Math.round(f.agreement * 200)}px"></div></td>` +
        `<td>${f.kappa === undefined ? '' : f.kappa.toFixed(3)}</td></tr>`,
    )
    .join('\n');
  const examples = r.fields
    .flatMap((f) =>
      f.examples.map(
        (e) =>
          `<tr><td>${escape(f.name)}</td><td>${escape(e.record_id)}</td><td>${escape(JSON.stringify(e.baseline))}</td><td>${escape(JSON.stringify(e.candidate))}</td></tr>`,
      ),
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Comparison ${escape(r.comparison_id)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}</style></head>
<body><h1>Candidate ${escape(r.candidate.version)} against ${escape(r.baseline.analysis)} ${escape(r.baseline.version)}</h1>
<p>${r.sample.records} records, seed ${r.sample.seed}${r.sample.stratified_by.length ? `, stratified by ${escape(r.sample.stratified_by.join(', '))}` : ''}.</p>
<table><tr><th>field</th><th>kind</th><th>agreement</th><th></th><th>kappa</th></tr>
${rows}</table>
<p>Cost per record: baseline $${r.cost_per_record.baseline.toFixed(6)}, candidate $${r.cost_per_record.candidate.toFixed(6)}.
Re-analysing all ${r.records_to_reanalyse} records under the candidate: about $${r.projected_full_cost_usd.toFixed(4)}.
Error rate: baseline ${(r.error_rate.baseline * 100).toFixed(1)}%, candidate ${(r.error_rate.candidate * 100).toFixed(1)}%.</p>
<h2>Changed values (some)</h2>
<table><tr><th>field</th><th>record</th><th>baseline</th><th>candidate</th></tr>
${examples}</table></body></html>
`;
}

/** One human label: a record and the values a person expects for some of the analysis's fields. */
export interface GoldLabel {
  readonly recordId: string;
  readonly expected: Readonly<Record<string, unknown>>;
}

export interface EvaluateReport {
  readonly analysis: string;
  readonly version: string;
  /** Labelled records, those with a result under the version (evaluated), and those without. */
  readonly records: { readonly labelled: number; readonly evaluated: number; readonly without_result: readonly string[] };
  /** Per field, over the evaluated records labelled for it: the results (baseline) against the labels (candidate). */
  readonly fields: readonly FieldAgreement[];
}

/**
 * The agreement of an analysis's current results with human labels: `tapctl evaluate`. A field is
 * measured over the records labelled for it; the examples show result -> label.
 */
export async function evaluateAnalysis(options: {
  readonly warehouse: Pick<Warehouse, 'table' | 'query'>;
  /** The laptop work folder's store, where its declarations are kept; not needed with `resolveSpec`. */
  readonly store?: ObjectStore;
  readonly analysis: string;
  readonly gold: readonly GoldLabel[];
  /** @default - the declaration the laptop work folder kept for the version */
  readonly resolveSpec?: BaselineResolver;
  /** Says where the results are, for messages. @default 'this work folder' */
  readonly where?: string;
}): Promise<EvaluateReport> {
  const { warehouse, store, analysis, gold } = options;
  const table = resultsTableName(analysis);
  const version = await latestVersion(warehouse, table).catch(() => undefined);
  if (!version) {
    throw new OperatorError(
      `${analysis} has no results in ${options.where ?? 'this work folder'} (table ${table})`,
      options.resolveSpec ? 'run it first: tapctl run' : 'run it first: tapctl local run',
    );
  }
  const resolve = options.resolveSpec ?? (store ? savedBaseline(store) : undefined);
  if (!resolve) throw new Error('evaluateAnalysis needs the work folder store or resolveSpec');
  const spec = await resolve(analysis, version);
  const unknown = [...new Set(gold.flatMap((g) => Object.keys(g.expected)))].filter((k) => !spec.fields.some((f) => f.name === k));
  if (unknown.length > 0) {
    throw new OperatorError(
      `the labels name ${unknown.join(', ')}, which ${analysis} does not declare`,
      `label only its fields: ${spec.fields.map((f) => f.name).join(', ')}`,
    );
  }
  const results = new Map<string, Row>();
  const rows = await warehouse.query<Row>({
    sql: `SELECT * FROM ${warehouse.table(table)} WHERE analysis_version = @v AND record_id IN UNNEST(@ids) ORDER BY record_id`,
    params: { v: version, ids: gold.map((g) => g.recordId) },
    types: { v: 'STRING', ids: 'ARRAY<STRING>' },
  });
  for (const row of rows) if (!results.has(String(row.record_id))) results.set(String(row.record_id), row);
  const evaluated = gold.filter((g) => results.has(g.recordId));
  const fields = spec.fields.flatMap((field) => {
    const labelled = evaluated.filter((g) => field.name in g.expected);
    if (labelled.length === 0) return [];
    const pairs = labelled.map((g) => ({ recordId: g.recordId, baseline: results.get(g.recordId)!, candidate: g.expected }));
    return fieldAgreement([field], pairs);
  });
  return {
    analysis,
    version,
    records: {
      labelled: gold.length,
      evaluated: evaluated.length,
      without_result: gold.filter((g) => !results.has(g.recordId)).map((g) => g.recordId),
    },
    fields,
  };
}

/** The evaluation as text. */
export function evaluateText(r: EvaluateReport): string {
  const out = [
    `${r.analysis} ${r.version} against ${r.records.labelled} labelled records (${r.records.evaluated} with a result)`,
    ...(r.records.without_result.length
      ? [`no result for: ${r.records.without_result.slice(0, 10).join(', ')}${r.records.without_result.length > 10 ? ', ...' : ''}`]
      : []),
    '',
    `${'field'.padEnd(24)}${'kind'.padEnd(13)}${'records'.padEnd(9)}${'agreement'.padEnd(11)}kappa`,
    ...r.fields.map(
      (f) =>
        `${f.name.padEnd(24)}${f.kind.padEnd(13)}${String(f.compared).padEnd(9)}${f.agreement.toFixed(3).padEnd(11)}${f.kappa === undefined ? '' : f.kappa.toFixed(3)}`,
    ),
  ];
  const wrong = r.fields.flatMap((f) =>
    f.examples.map((e) => `  ${f.name} ${e.record_id}: ${JSON.stringify(e.baseline)} (label ${JSON.stringify(e.candidate)})`),
  );
  if (wrong.length > 0) out.push('', 'disagreements (some):', ...wrong.slice(0, 12));
  return out.join('\n') + '\n';
}
