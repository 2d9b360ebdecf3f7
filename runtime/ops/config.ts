/**
 * Where the operator commands point: a deployed environment (from flags, or from a config file
 * written from the stack's outputs) or a laptop work folder (`--local DIR`).
 *
 * The config file is JSON in any of three shapes, so that it can be written straight from the
 * tools: `terraform output -json > tapctl.json` (`{"dataset": {"value": "…"}}`),
 * `cdktf output STACK --outputs-file tapctl.json` (`{"STACK": {"dataset": "…"}}`, choose the stack
 * with `--stack` when there are several), or a flat object written by hand. Keys are matched
 * without regard to case or separators, ignoring the hash suffix cdktf adds to nested outputs, so
 * `work_bucket`, `workBucket` and `pipeline_work-bucket_1A2B3C4D` all name the work bucket.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_WORKFLOW_NAMES, TABLE_NAMES } from '../contract';
import { UsageError } from './errors';

export interface CloudConfig {
  readonly projectId: string;
  /** Region of the workflows (and of the Vertex AI jobs, unless `vertexRegion` says otherwise). */
  readonly region: string;
  readonly dataset: string;
  readonly workBucket?: string;
  /** Short name (id) of the master orchestrator workflow. */
  readonly masterWorkflow: string;
  /** Short name (id) of the batch workflow. */
  readonly batchWorkflow: string;
  readonly vertexRegion?: string;
  readonly resultsTable: string;
  /** BigQuery location of the dataset (for jobs). @default - BigQuery finds it */
  readonly location?: string;
}

export type Target = { readonly kind: 'cloud'; readonly config: CloudConfig } | { readonly kind: 'local'; readonly dir: string };

/**
 * The options every command that talks to a pipeline accepts, by the name written after `--`
 * (declared with their help in `runtime/cli/target-options.ts`).
 */
export type TargetOption =
  | 'local'
  | 'config'
  | 'stack'
  | 'project'
  | 'region'
  | 'dataset'
  | 'bucket'
  | 'prefix'
  | 'master-workflow'
  | 'batch-workflow'
  | 'vertex-region'
  | 'results-table'
  | 'location';

export type TargetChoice = { readonly [K in TargetOption]?: string };

const KEYS: Readonly<Record<keyof CloudConfig | 'prefix' | 'runCommand', readonly string[]>> = {
  projectId: ['projectid', 'project'],
  region: ['region'],
  dataset: ['dataset', 'datasetid'],
  workBucket: ['workbucket', 'workbucketname', 'bucket'],
  masterWorkflow: ['masterworkflow', 'masterworkflowname', 'masterorchestrator'],
  batchWorkflow: ['batchworkflow', 'batchworkflowname'],
  vertexRegion: ['vertexregion'],
  resultsTable: ['resultstable', 'resultstableid'],
  location: ['location', 'datasetlocation'],
  prefix: ['prefix', 'nameprefix'],
  runCommand: ['runcommand'],
};

function normalise(key: string): string {
  return key
    .replace(/_[0-9A-F]{8}$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && 'value' in v) return scalar((v as { value: unknown }).value);
  return undefined;
}

/** Leaves of nested output groups (cdktf nests a construct's outputs under its id), keys joined. */
function flatten(obj: Record<string, unknown>, prefix: string, out: Record<string, string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}_${k}` : k;
    const s = scalar(v);
    if (s !== undefined) out[normalise(key)] = s;
    else if (v && typeof v === 'object' && !Array.isArray(v) && !('value' in v)) flatten(v as Record<string, unknown>, key, out);
  }
}

/** Reads a config file into `{normalised key: value}`. */
export function readConfigFile(file: string, stack?: string): Record<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read the config file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`the config file ${file} is not a JSON object`);
  let obj = data as Record<string, unknown>;
  const isGroup = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && !('value' in (v as object));
  const groups = Object.keys(obj).filter((k) => isGroup(obj[k]));
  if (stack !== undefined) {
    if (!isGroup(obj[stack])) throw new UsageError(`no stack "${stack}" in ${file} (stacks: ${groups.join(', ') || 'none'})`);
    obj = obj[stack] as Record<string, unknown>;
  } else if (groups.length > 1 && groups.length === Object.keys(obj).length) {
    throw new UsageError(`${file} holds the outputs of several stacks (${groups.join(', ')}): choose one with --stack`);
  }
  const out: Record<string, string> = {};
  flatten(obj, '', out);
  return out;
}

function pick(values: Record<string, string>, field: keyof typeof KEYS): string | undefined {
  for (const name of KEYS[field]) {
    if (values[name] !== undefined) return values[name];
  }
  for (const [k, v] of Object.entries(values)) if (KEYS[field].some((name) => k.endsWith(name))) return v;
  return undefined;
}

/** The target of a command, from its flags, the config file and the environment. */
export function resolveTarget(f: TargetChoice, env: NodeJS.ProcessEnv, cwd: string): Target {
  if (f.local !== undefined) {
    const cloudOnly: TargetOption[] = [
      'config',
      'stack',
      'project',
      'region',
      'dataset',
      'bucket',
      'prefix',
      'master-workflow',
      'batch-workflow',
      'vertex-region',
      'results-table',
      'location',
    ];
    const given = cloudOnly.filter((k) => f[k] !== undefined);
    if (given.length > 0) throw new UsageError(`--local cannot be combined with ${given.map((k) => `--${k}`).join(', ')}`);
    return { kind: 'local', dir: path.resolve(cwd, f.local) };
  }
  let file = f.config ?? env.TAPCTL_CONFIG;
  if (!file && fs.existsSync(path.join(cwd, 'tapctl.json'))) file = 'tapctl.json';
  const fromFile = file ? readConfigFile(path.resolve(cwd, file), f.stack) : {};
  const flag = (name: TargetOption) => f[name];
  const prefix = flag('prefix') ?? pick(fromFile, 'prefix');
  const named = (base: string) => (prefix ? `${prefix}-${base}` : base);
  // The construct's outputs name the dataset as `project.dataset` and carry the gcloud run command,
  // whose --project and --location complete what the file lacks.
  const fileDataset = pick(fromFile, 'dataset');
  const runCommand = pick(fromFile, 'runCommand') ?? '';
  const fromCommand = (option: string) => new RegExp(`--${option}=(\\S+)`).exec(runCommand)?.[1];
  const projectId =
    flag('project') ??
    pick(fromFile, 'projectId') ??
    (fileDataset?.includes('.') ? fileDataset.split('.')[0] : undefined) ??
    fromCommand('project') ??
    env.GOOGLE_CLOUD_PROJECT ??
    env.CLOUDSDK_CORE_PROJECT;
  const region = flag('region') ?? pick(fromFile, 'region') ?? fromCommand('location') ?? env.GOOGLE_CLOUD_REGION;
  const datasetRef = flag('dataset') ?? fileDataset;
  const dataset = datasetRef?.includes('.') ? datasetRef.split('.').pop() : datasetRef;
  const missing = [
    ['--project', projectId],
    ['--region', region],
    ['--dataset', dataset],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new UsageError(
      `which pipeline? missing ${missing.join(', ')}. Write the stack's outputs to tapctl.json ` +
        '(terraform output -json > tapctl.json, or cdktf output STACK --outputs-file tapctl.json), ' +
        'pass --config FILE, give the flags, or use --local DIR for a laptop work folder',
    );
  }
  return {
    kind: 'cloud',
    config: {
      projectId: projectId!,
      region: region!,
      dataset: dataset!,
      workBucket: flag('bucket') ?? pick(fromFile, 'workBucket'),
      masterWorkflow: flag('master-workflow') ?? pick(fromFile, 'masterWorkflow') ?? named(DEFAULT_WORKFLOW_NAMES.master),
      batchWorkflow: flag('batch-workflow') ?? pick(fromFile, 'batchWorkflow') ?? named(DEFAULT_WORKFLOW_NAMES.batch),
      vertexRegion: flag('vertex-region') ?? pick(fromFile, 'vertexRegion'),
      resultsTable: flag('results-table') ?? pick(fromFile, 'resultsTable') ?? TABLE_NAMES.results,
      location: flag('location') ?? pick(fromFile, 'location'),
    },
  };
}

/**
 * The flags that point a command at the same pipeline again, for the commands the operator is told
 * to run next: `--local DIR`, or the deployment's project, region and dataset (and its workflow
 * names when they are not the defaults).
 */
export function targetArgs(target: Target, cwd: string = process.cwd()): string {
  const choice: TargetChoice =
    target.kind === 'local'
      ? { local: path.relative(cwd, target.dir) || '.' }
      : {
          project: target.config.projectId,
          region: target.config.region,
          dataset: target.config.dataset,
          'master-workflow': target.config.masterWorkflow !== DEFAULT_WORKFLOW_NAMES.master ? target.config.masterWorkflow : undefined,
          'batch-workflow': target.config.batchWorkflow !== DEFAULT_WORKFLOW_NAMES.batch ? target.config.batchWorkflow : undefined,
        };
  return Object.entries(choice)
    .filter(([, value]) => value !== undefined)
    .map(([option, value]) => `--${option} ${shellWord(value!)}`)
    .join(' ');
}

/** The command that re-runs an execution's failed and unfinished batches, ready to copy. */
export function recoverCommand(target: Target, executionId: string, cwd?: string): string {
  return `tapctl recover ${targetArgs(target, cwd)} --execution ${shellWord(executionId)} --all-failed`;
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@=,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
