/**
 * The two workflows (master orchestrator and batch) and the optional schedule that starts a run.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { WorkflowsWorkflow } from '@cdktf/provider-google/lib/workflows-workflow';
import { WORKFLOW_FILES } from '../../runtime/contract/names';
import { packageRoot } from '../private/bundling';
import { PropError } from '../private/validation';

/** The Workflows source size limit. */
export const MAX_WORKFLOW_SOURCE_BYTES = 128 * 1024;

export interface OrchestrationProps {
  readonly projectId: string;
  readonly region: string;
  /** Name of the master orchestrator workflow. */
  readonly masterWorkflowName: string;
  /** Name of the batch workflow. */
  readonly batchWorkflowName: string;
  /** Email of the service account both workflows run as. */
  readonly serviceAccountEmail: string;
  /** The workflows' user environment variables: their whole configuration. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Folder holding `master-orchestrator.yaml` and `batch.yaml`.
   *
   * @default - the package's `workflows/` folder
   */
  readonly workflowsDir?: string;
  /**
   * Unix-cron schedule that starts the master workflow.
   *
   * @default - no schedule; runs are started by hand
   */
  readonly schedule?: string;
  /** @default 'Etc/UTC' */
  readonly scheduleTimeZone?: string;
  /**
   * Argument of scheduled runs, merged over `{ skip_if_busy: true }`: a scheduled run that finds
   * another run active ends quietly instead of failing (and paging).
   * @default { skip_if_busy: true }
   */
  readonly scheduleArgument?: Readonly<Record<string, unknown>>;
  /** Service account Cloud Scheduler calls Workflows as. Required with `schedule`. */
  readonly schedulerServiceAccountEmail?: string;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Writes a string so that Terraform keeps it as it is: `${` and `%{` start Terraform templates, and
 * `$${` / `%%{` are their escapes.
 */
export function escapeTerraformTemplate(text: string): string {
  // Replacement functions, not strings: in a replacement string `$$` itself means `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Names a workflow source reads with `sys.get_env("NAME")`. */
export function envNamesRead(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/sys\.get_env\(\s*"([A-Za-z0-9_]+)"/g)) names.add(match[1]!);
  return [...names].sort();
}

/** Sources already read and parsed by this process, by path (every stack deploys the same files). */
const parsed = new Map<string, { readonly source: string; readonly mtimeMs: number }>();

/** Reads a workflow source and checks what the construct can check before deployment. */
export function loadWorkflowSource(file: string, env: Readonly<Record<string, string>>): string {
  if (!fs.existsSync(file)) throw new PropError(`workflowsDir: workflow source not found: ${file}`);
  const mtimeMs = fs.statSync(file).mtimeMs;
  const known = parsed.get(file);
  const source = known && known.mtimeMs === mtimeMs ? known.source : checkSyntax(file, fs.readFileSync(file, 'utf8'));
  parsed.set(file, { source, mtimeMs });
  const missing = envNamesRead(source).filter((name) => !name.startsWith('GOOGLE_') && !(name in env));
  if (missing.length > 0) {
    throw new PropError(
      `workflowsDir: ${file} reads ${missing.join(', ')} with sys.get_env, but the construct does not set ${missing.length > 1 ? 'them' : 'it'}`,
    );
  }
  return source;
}

/** Sources that passed `checkSyntax` before, by content hash: parsing YAML is a tenth of a synth. */
const CHECKED_DIR = path.join(os.tmpdir(), 'transcript-analysis-pipeline', 'workflows-checked');

function checkSyntax(file: string, source: string): string {
  const bytes = Buffer.byteLength(source);
  if (bytes > MAX_WORKFLOW_SOURCE_BYTES) {
    throw new PropError(`workflowsDir: ${file} is ${bytes} bytes; Workflows accepts at most ${MAX_WORKFLOW_SOURCE_BYTES}`);
  }
  const marker = path.join(CHECKED_DIR, createHash('sha256').update(source).digest('hex'));
  if (fs.existsSync(marker)) return source;
  let doc: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    doc = (require('yaml') as typeof import('yaml')).parse(source);
  } catch (error) {
    throw new PropError(`workflowsDir: ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || !('main' in doc)) throw new PropError(`workflowsDir: ${file} has no main workflow`);
  try {
    fs.mkdirSync(CHECKED_DIR, { recursive: true });
    fs.writeFileSync(marker, '');
  } catch {
    // Only a cache: a read-only temporary folder means parsing again next time.
  }
  return source;
}

/** The master orchestrator and batch workflows, configured only through user environment variables. */
export class Orchestration extends Construct {
  /** Plans a run, runs its batches in parallel rounds and reports (`workflows/master-orchestrator.yaml`). */
  public readonly masterWorkflow: WorkflowsWorkflow;
  /** Runs one batch attempt: generate, Vertex AI batch prediction, process (`workflows/batch.yaml`). */
  public readonly batchWorkflow: WorkflowsWorkflow;
  /** Starts the master on `schedule`; absent without one. */
  public readonly scheduleJob?: CloudSchedulerJob;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    for (const name of Object.keys(props.env)) {
      if (/^(GOOGLE_|WORKFLOWS_)/.test(name)) throw new Error(`workflow variable ${name} may not start with GOOGLE_ or WORKFLOWS_`);
    }
    const dir = props.workflowsDir ?? packageRoot();
    const file = (relative: string) => (props.workflowsDir ? path.join(dir, path.basename(relative)) : path.join(dir, relative));

    const workflow = (cid: string, name: string, relative: string, description: string) =>
      new WorkflowsWorkflow(this, cid, {
        project: props.projectId,
        region: props.region,
        name,
        description,
        serviceAccount: props.serviceAccountEmail,
        sourceContents: escapeTerraformTemplate(loadWorkflowSource(file(relative), props.env)),
        userEnvVars: { ...props.env },
        callLogLevel: 'LOG_ERRORS_ONLY',
        labels: { ...props.labels },
        // Workflows hold no data; destroying one loses nothing the next deploy does not bring back.
        deletionProtection: false,
        dependsOn: props.dependsOn,
      });

    this.batchWorkflow = workflow(
      'Batch',
      props.batchWorkflowName,
      WORKFLOW_FILES.batch,
      'Runs one batch: generate, Vertex AI batch prediction, process.',
    );
    this.masterWorkflow = workflow(
      'Master',
      props.masterWorkflowName,
      WORKFLOW_FILES.master,
      'Runs the transcript analysis: plan, batches with bounded concurrency and retries, report.',
    );

    if (props.schedule !== undefined) {
      if (!props.schedulerServiceAccountEmail) throw new Error('schedulerServiceAccountEmail is required with schedule');
      this.scheduleJob = new CloudSchedulerJob(this, 'Schedule', {
        project: props.projectId,
        region: props.region,
        name: `${props.masterWorkflowName}-schedule`,
        description: 'Starts a transcript analysis run.',
        schedule: props.schedule,
        timeZone: props.scheduleTimeZone ?? 'Etc/UTC',
        attemptDeadline: '60s',
        httpTarget: {
          httpMethod: 'POST',
          uri: `https://workflowexecutions.googleapis.com/v1/projects/${props.projectId}/locations/${props.region}/workflows/${props.masterWorkflowName}/executions`,
          body: Buffer.from(JSON.stringify({ argument: JSON.stringify({ skip_if_busy: true, ...props.scheduleArgument }) })).toString(
            'base64',
          ),
          headers: { 'Content-Type': 'application/json' },
          oauthToken: {
            serviceAccountEmail: props.schedulerServiceAccountEmail,
            scope: 'https://www.googleapis.com/auth/cloud-platform',
          },
        },
        retryConfig: { retryCount: 0 },
        dependsOn: [this.masterWorkflow],
      });
    }
  }
}
