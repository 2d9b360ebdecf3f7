/**
 * Several analyses per pipeline: their names, their results tables, the order they run in, and
 * the version of a chained analysis. Everything that needs one of these facts (the construct, the
 * jobs, the laptop run, the workflows' environment) takes it from here.
 */
import { AnalysisSpec, analysisVersion, resultsTable, versionInPipeline } from './analysis';
import { ANALYSIS_NAME, AnalysisProblem, checkAnalysis, describeProblem } from './analysis-check';
import { LIMITS } from './limits';
import { TABLE_NAMES, TableSpec } from './tables';

/** The analysis that the `analysis` prop (and a bare `--analysis FILE`) declares; it keeps the seed's results table. */
export const PRIMARY_ANALYSIS = 'pass1';

/**
 * The results table of an analysis: `pass1` keeps the seed's `transcription_analyzed_transcripts`,
 * every other analysis writes to `<name>_results`.
 */
export function resultsTableName(analysis: string): string {
  return analysis === PRIMARY_ANALYSIS ? TABLE_NAMES.results : `${analysis}_results`;
}

/**
 * What an analysis adds to the run's execution id: nothing for `pass1` (its runs keep their ids),
 * `-<name>` for the others, so that each analysis of one run has its own plan, batches and report.
 */
export function analysisExecutionSuffix(analysis: string): string {
  return analysis === PRIMARY_ANALYSIS ? '' : `-${analysis}`;
}

/** The execution id of one analysis of a run. */
export function analysisExecutionId(executionId: string, analysis: string): string {
  return executionId + analysisExecutionSuffix(analysis);
}

/** A `{analysis.field}` placeholder of a chained analysis's prompt. */
export const UPSTREAM_PLACEHOLDER = /\{([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\}/g;

/** The upstream fields a prompt template names, as `analysis.field` keys, sorted. */
export function upstreamPlaceholders(template: string): string[] {
  const keys = new Set<string>();
  for (const m of template.matchAll(UPSTREAM_PLACEHOLDER)) keys.add(`${m[1]}.${m[2]}`);
  return [...keys].sort();
}

/** One analysis of a pipeline, with what its runs need to know. */
export interface PlannedAnalysis {
  readonly name: string;
  readonly spec: AnalysisSpec;
  /** Its version: for a chained analysis, it includes the upstream's version. */
  readonly version: string;
  /** Its results table id. */
  readonly resultsTable: string;
  /** The analysis it reads, with that one's current version. */
  readonly upstream?: { readonly name: string; readonly version: string; readonly resultsTable: string; readonly spec: AnalysisSpec };
  /** The analyses a run of this one runs, in order: its upstreams, then itself. */
  readonly needs: readonly string[];
}

/**
 * The version of an analysis in a pipeline. `pass1` without `after` keeps the version of its
 * declaration alone (so adding analyses re-runs nothing of it); any other analysis hashes its name
 * too (two analyses declared alike keep apart ledgers), and a chained one its upstream's version (a
 * change upstream re-runs it).
 */
export function pipelineAnalysisVersion(name: string, spec: AnalysisSpec, upstreamVersion?: string): string {
  if (name === PRIMARY_ANALYSIS && upstreamVersion === undefined) return analysisVersion(spec);
  return versionInPipeline(spec, { name, upstreamVersion });
}

/** Every problem of a set of analyses, each path starting with `analyses.<name>`. */
export function checkAnalyses(analyses: Readonly<Record<string, unknown>>, sourceColumns?: readonly string[]): AnalysisProblem[] {
  const problems: AnalysisProblem[] = [];
  const names = Object.keys(analyses);
  for (const name of names) {
    if (!ANALYSIS_NAME.pattern.test(name)) {
      problems.push({ path: `analyses`, value: JSON.stringify(name), allowed: `an analysis name: ${ANALYSIS_NAME.says}` });
      continue;
    }
    const spec = analyses[name] as { after?: unknown } | undefined;
    const after = typeof spec?.after === 'string' ? spec.after : undefined;
    const upstream = after !== undefined ? (analyses[after] as { fields?: unknown } | undefined) : undefined;
    const upstreamFields = Array.isArray(upstream?.fields)
      ? (upstream.fields as unknown[]).map((f) => (f as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string')
      : undefined;
    for (const p of checkAnalysis(spec, { sourceColumns, upstreamFields })) {
      problems.push({ ...p, path: p.path ? `analyses.${name}.${p.path}` : `analyses.${name}` });
    }
    if (after !== undefined && !names.includes(after)) {
      problems.push({
        path: `analyses.${name}.after`,
        value: JSON.stringify(after),
        allowed: `the name of another analysis of the pipeline (${names.filter((n) => n !== name).join(', ') || 'there is none'})`,
      });
    }
  }
  const others = JSON.stringify(Object.fromEntries(names.filter((n) => n !== PRIMARY_ANALYSIS).map((n) => [n, analyses[n]]))).length;
  if (others > LIMITS.maxAnalysisJsonChars) {
    problems.push({
      path: 'analyses',
      value: JSON.stringify(`${others} characters of JSON besides ${PRIMARY_ANALYSIS}`),
      allowed: `at most ${LIMITS.maxAnalysisJsonChars} characters (they travel together as one Cloud Run environment variable)`,
      fix: 'Shorten the instructions and descriptions, or split the analyses between two pipelines',
    });
  }
  if (problems.length === 0) {
    const cycle = findCycle(Object.fromEntries(names.map((n) => [n, (analyses[n] as { after?: string }).after])));
    if (cycle) {
      problems.push({
        path: `analyses.${cycle[0]}.after`,
        value: JSON.stringify(cycle.join(' -> ')),
        allowed: 'a chain without a cycle (an analysis cannot read its own results, even through others)',
        fix: 'Remove `after` from one analysis of the cycle',
      });
    }
  }
  return problems;
}

function findCycle(after: Readonly<Record<string, string | undefined>>): string[] | undefined {
  for (const start of Object.keys(after)) {
    const path = [start];
    let next = after[start];
    while (next !== undefined) {
      if (next === start) return [...path, next];
      if (path.includes(next) || path.length > Object.keys(after).length) break;
      path.push(next);
      next = after[next];
    }
  }
  return undefined;
}

/** Thrown for analyses that `checkAnalyses` finds problems in; the message lists them all. */
export class AnalysesError extends Error {
  constructor(readonly problems: readonly AnalysisProblem[]) {
    super(problems.map((p) => describeProblem(p)).join('\n'));
    this.name = 'AnalysesError';
  }
}

/**
 * The analyses of a pipeline in the order a run runs them (every upstream before what reads it;
 * otherwise in name order, `pass1` first), with their versions and results tables.
 *
 * @throws AnalysesError when a declaration is invalid, `after` names no analysis, or a chain has a cycle
 */
export function planAnalyses(analyses: Readonly<Record<string, AnalysisSpec>>, sourceColumns?: readonly string[]): PlannedAnalysis[] {
  const problems = checkAnalyses(analyses, sourceColumns);
  if (problems.length > 0) throw new AnalysesError(problems);
  const names = Object.keys(analyses).sort((a, b) =>
    a === PRIMARY_ANALYSIS ? -1 : b === PRIMARY_ANALYSIS ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const done = new Map<string, PlannedAnalysis>();
  const visit = (name: string): PlannedAnalysis => {
    const known = done.get(name);
    if (known) return known;
    const spec = analyses[name]!;
    const up = spec.after !== undefined ? visit(spec.after) : undefined;
    const planned: PlannedAnalysis = {
      name,
      spec,
      version: pipelineAnalysisVersion(name, spec, up?.version),
      resultsTable: resultsTableName(name),
      ...(up ? { upstream: { name: up.name, version: up.version, resultsTable: up.resultsTable, spec: up.spec } } : {}),
      needs: [...(up?.needs ?? []), name],
    };
    done.set(name, planned);
    return planned;
  };
  names.forEach(visit);
  return [...done.values()];
}

/** The results tables of a pipeline's analyses, each with its columns. */
export function resultsTables(planned: readonly PlannedAnalysis[]): TableSpec[] {
  return planned.map((a) => resultsTable(a.spec, a.resultsTable));
}

/**
 * What the master workflow reads to run the analyses (`TAP_ANALYSIS_RUNS`): their names in run
 * order, and for each what a run of it alone runs and what it adds to the execution id.
 */
export interface AnalysisRuns {
  readonly order: readonly string[];
  readonly runs: Readonly<Record<string, { readonly needs: readonly string[]; readonly execution_suffix: string }>>;
}

export function analysisRuns(planned: readonly Pick<PlannedAnalysis, 'name' | 'needs'>[]): AnalysisRuns {
  return {
    order: planned.map((a) => a.name),
    runs: Object.fromEntries(planned.map((a) => [a.name, { needs: a.needs, execution_suffix: analysisExecutionSuffix(a.name) }])),
  };
}
