/**
 * The settings of a run, declared once for `tapctl run` (deployed or `--local`) and `tapctl local
 * run`, and what the laptop adds to them.
 */
import { ANALYSIS_NAME, DEFAULT_INFO_TYPES, DEFAULTS, EXECUTION_ID, LIMITS, LOCAL_LAYOUT, PRIMARY_ANALYSIS } from '../contract';
import { UsageError } from '../ops/errors';
import { DEFAULT_LOCAL_SETTINGS } from '../local/environment';
import { FAULT_HELP } from '../local/faults';
import { decimal, integer, list, options, text, toggle, Values } from './options';
import { TARGET_OPTIONS } from './target-options';

const laptop = DEFAULT_LOCAL_SETTINGS;

/** The master orchestrator's parameters (workflows/master-orchestrator.yaml), each given only when set. */
export const RUN_OPTIONS = options({
  'batch-size': integer({
    value: 'N',
    min: 1,
    max: LIMITS.maxBatchSize,
    words: ['auto'],
    help: `records per batch, so per Vertex AI job; auto: four waves over the lanes, the last third in half-size batches (default: the deployment's, ${DEFAULTS.batchSize} unless set; ${laptop.batchSize} on the laptop)`,
  }),
  'max-concurrent-batches': integer({
    value: 'N',
    min: 1,
    max: LIMITS.maxConcurrentBatches,
    help: `batches at once (default: the deployment's, ${DEFAULTS.maxConcurrentBatches} unless set; ${laptop.maxConcurrentBatches} on the laptop)`,
  }),
  'max-batch-attempts': integer({
    value: 'N',
    min: 1,
    max: LIMITS.maxBatchAttempts,
    help: `rounds per run: failed batches are run again by the next round (default ${DEFAULTS.maxBatchAttempts})`,
  }),
  limit: integer({ value: 'N', min: 1, help: 'plan at most N records' }),
  'dry-run': toggle('plan only, and print the plan'),
  'execution-id': text({
    value: 'ID',
    help: "the run's id (default: the workflow execution's id, a UUID)",
    pattern: { test: EXECUTION_ID.pattern, says: EXECUTION_ID.says },
  }),
  analysis: list(
    "NAME: run only that analysis and those it reads (default: all). On the laptop also NAME=FILE: add or replace the analysis NAME with the declaration in FILE (JSON; with after when chained), and FILE alone: replace pass1 (the package's call-transcript analysis by default); a changed declaration analyses everything again",
    'NAME|NAME=FILE|FILE',
  ),
});

/** What only a deployed run has: a laptop work folder runs one run at a time. */
export const DEPLOYED_RUN_OPTIONS = options({
  'allow-concurrent': toggle('start even while another run of the pipeline is active (both would analyse the same records)'),
});

/** What only a run on this machine has. */
export const LAPTOP_OPTIONS = options({
  transcripts: text({
    value: 'FILE',
    help: '.jsonl or .csv with transcript_id and transcript columns, loaded first (by transcript_id: a changed transcript replaces the old one); without it, the run analyses what the source table holds',
  }),
  'max-record-attempts': integer({
    value: 'N',
    min: 1,
    max: LIMITS.maxRecordAttempts,
    default: laptop.maxRecordAttempts,
    help: 'failed answers of its own after which a record is left exhausted',
  }),
  redact: toggle(
    `take personal data (${DEFAULT_INFO_TYPES.join(', ')}) out of every transcript before any request is written, with the laptop redactor; a redaction in --analysis wins`,
  ),
  faults: text({ value: 'LIST', help: `comma-separated faults, to rehearse recovery: ${FAULT_HELP.join(', ')}` }),
  seed: integer({ value: 'N', min: 0, max: 2 ** 31, default: 1, help: 'seed of the faults' }),
  'model-endpoint': text({
    value: 'URL',
    help: "send the requests to a real model instead of the local analyzer: the Gemini API's version root or an OpenAI-compatible server's /v1 root; the key, if any, is read from $TAP_MODEL_API_KEY",
    pattern: { test: /^https?:\/\/\S+$/, says: 'an http(s) URL' },
  }),
});

/** Following executions in the cloud until they end (`run --wait`, `recover --wait`, `status --watch`). */
export const WAIT_OPTIONS = options({
  wait: toggle('wait for the end, and exit 1 if it failed'),
  interval: decimal({ value: 'SECONDS', min: 0, default: 30, help: 'seconds between two looks while waiting or watching' }),
});

/** `tapctl local run`'s work folder: the `--local` of the other commands, with a default. */
export const WORK_FOLDER_OPTION = options({ local: { ...TARGET_OPTIONS.local, default: LOCAL_LAYOUT.defaultWorkdir } });

/** What `--analysis` values say: analyses declared from files (laptop), and the one analysis to run. */
export interface AnalysisChoice {
  /** `FILE` alone: the declaration replacing pass1. */
  readonly pass1File?: string;
  /** `NAME=FILE`: declarations by name. */
  readonly files: Readonly<Record<string, string>>;
  /** `NAME`: run only this one (and what it reads). */
  readonly only?: string;
}

/** Reads the `--analysis` values: `NAME=FILE`, `NAME` (a bare analysis name), or `FILE`. */
export function analysisChoice(values: readonly string[]): AnalysisChoice {
  const files: Record<string, string> = {};
  let pass1File: string | undefined;
  let only: string | undefined;
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq > 0) {
      const name = value.slice(0, eq);
      if (!ANALYSIS_NAME.pattern.test(name)) throw new UsageError(`--analysis ${value}: the name must be ${ANALYSIS_NAME.says}`);
      if (name in files) throw new UsageError(`--analysis ${name}=... is given twice`);
      files[name] = value.slice(eq + 1);
    } else if (ANALYSIS_NAME.pattern.test(value)) {
      if (only !== undefined) throw new UsageError(`--analysis names one analysis to run, got ${only} and ${value}`);
      only = value;
    } else {
      if (pass1File !== undefined)
        throw new UsageError(`--analysis FILE replaces ${PRIMARY_ANALYSIS} and is given twice: ${pass1File} and ${value}`);
      pass1File = value;
    }
  }
  if (pass1File !== undefined && PRIMARY_ANALYSIS in files) {
    throw new UsageError(`--analysis ${pass1File} and --analysis ${PRIMARY_ANALYSIS}=... both replace ${PRIMARY_ANALYSIS}: give one`);
  }
  return { pass1File: pass1File ?? files[PRIMARY_ANALYSIS], files, only };
}

function analysisToRun(values: readonly string[]): string | undefined {
  const choice = analysisChoice(values);
  if (choice.pass1File !== undefined || Object.keys(choice.files).length > 0) {
    throw new UsageError(
      '--analysis FILE and NAME=FILE declare analyses on the laptop only; a deployment runs the analyses it was deployed with (give --analysis NAME to run one)',
    );
  }
  return choice.only;
}

/** The master workflow's argument: only the settings given, so the deployment's defaults hold for the rest. */
export function runArgument(values: Values<typeof RUN_OPTIONS> & Values<typeof DEPLOYED_RUN_OPTIONS>): Record<string, unknown> {
  const argument: Record<string, unknown> = {
    batch_size: values['batch-size'],
    max_concurrent_batches: values['max-concurrent-batches'],
    max_batch_attempts: values['max-batch-attempts'],
    limit: values.limit,
    dry_run: values['dry-run'] || undefined,
    allow_concurrent: values['allow-concurrent'] || undefined,
    execution_id: values['execution-id'],
    analysis: analysisToRun(values.analysis),
  };
  return Object.fromEntries(Object.entries(argument).filter(([, v]) => v !== undefined));
}
