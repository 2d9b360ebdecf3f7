/**
 * The laptop's stand-in for a deployed environment: the jobs, the Vertex AI and Cloud Run
 * stand-ins, the connector handlers and the workflows' environment, wired to one work folder and one
 * virtual clock. `tapctl local run` and the `--local` operator commands both run on it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AnalysisSpec,
  analysisVersion,
  DEFAULT_WORKFLOW_NAMES,
  JOB_KINDS,
  JobKind,
  LOCAL_LAYOUT,
  modelResource,
  PlannedAnalysis,
  PRIMARY_ANALYSIS,
  WORKFLOW_FILES,
} from '../contract';
import { LOCAL_REDACTOR } from '../redaction/local-redactor';
import type { JobPorts, JobRun, Logger, ObjectStore, Warehouse } from '../core/ports';
import { iso } from '../core/jobkit';
import { clockLatest } from '../core/sql';
import { analyzeLine } from '../adapters/local/analyzer';
import { answerLine } from '../adapters/local/model-endpoint';
import { run as planner } from '../jobs/planner';
import { run as generator } from '../jobs/generator';
import { run as processor } from '../jobs/processor';
import { run as reporter } from '../jobs/reporter';
import { LocalCloudRun } from './cloud-run';
import { localConnectors } from './connectors';
import { LocalExecutions } from './executions';
import { parseWorkflow, VirtualClock, type ConnectorHandlers, type LogEntry, type Workflow } from './engine';
import { localJobEnv, localWorkflowEnv, LocalSettings, LOCAL_JOB_NAMES } from './environment';
import { Faults, NO_FAULTS } from './faults';
import { LineAnalyzer, LocalVertexAi } from './vertex';

const JOBS: Readonly<Record<JobKind, JobRun>> = { planner, generator, processor, reporter };

/** Where the package's files are, from the source or the compiled tree. */
function packageFile(file: string): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package root not found above ${__dirname}`);
    dir = parent;
  }
  return path.join(dir, file);
}

let cachedWorkflows: { master: Workflow; batch: Workflow } | undefined;

/** The two pipeline workflows, parsed once per process. */
export function pipelineWorkflows(): { master: Workflow; batch: Workflow } {
  if (!cachedWorkflows) {
    const load = (file: string) => parseWorkflow(fs.readFileSync(packageFile(file), 'utf8'), file);
    cachedWorkflows = { master: load(WORKFLOW_FILES.master), batch: load(WORKFLOW_FILES.batch) };
  }
  return cachedWorkflows;
}

/** Appends JSON lines to `WORKDIR/logs/NAME.jsonl`, where the jobs' and workflows' logs of a run go. */
export class RunLog {
  readonly file: string;
  private readonly stream: fs.WriteStream;

  constructor(workdir: string, name: string) {
    const dir = path.join(workdir, 'logs');
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${name}.jsonl`);
    this.stream = fs.createWriteStream(this.file, { flags: 'a' });
  }

  write(line: Record<string, unknown>): void {
    this.stream.write(JSON.stringify(line) + '\n');
  }

  /** A job's logger: one JSON line per call, as the job would print on Cloud Run. */
  job(job: string): Logger {
    return { log: (severity, message, fields) => this.write({ time: new Date().toISOString(), severity, message, job, ...fields }) };
  }

  /** A workflow's `sys.log` line. */
  workflow(entry: LogEntry): void {
    this.write({
      time: new Date(entry.time * 1000).toISOString(),
      severity: entry.severity,
      workflow_execution: entry.executionId,
      ...(entry.payload as object),
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

export interface LocalDeploymentOptions {
  readonly warehouse: Warehouse;
  readonly store: ObjectStore;
  readonly settings: LocalSettings;
  readonly log: RunLog;
  readonly faults?: Faults;
  /** Answers Vertex AI requests. @default - the local analyzer, or `modelEndpoint` */
  readonly analyze?: LineAnalyzer;
  /** A real model endpoint for the requests: the Gemini API's version root or an OpenAI-compatible `/v1` root. */
  readonly modelEndpoint?: { readonly url: string; readonly apiKey?: string };
  /** Called with what a job returned, when it succeeds. */
  readonly onJobFinished?: (kind: JobKind, result: unknown) => void;
  /**
   * Epoch seconds the virtual clock starts at: `localClockStart`, so that a run's events follow
   * every earlier run's in the work folder. @default - now
   */
  readonly clockStart?: number;
}

/**
 * Where a work folder's virtual clock starts: now, or one second after the latest time any run
 * wrote, whichever is later. A run's virtual time runs hours ahead of the wall clock (Vertex AI
 * jobs queue and run on it), and the next run must not stamp its events before the last one's.
 */
export async function localClockStart(warehouse: Warehouse, now: Date = new Date()): Promise<number> {
  const [row] = await warehouse.query<{ latest: unknown }>(clockLatest((id) => warehouse.table(id)));
  const latest = iso(row?.latest);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return latest === null ? nowSeconds : Math.max(nowSeconds, Math.floor(Date.parse(latest) / 1000) + 1);
}

export interface LocalDeployment {
  readonly clock: VirtualClock;
  readonly handlers: ConnectorHandlers;
  readonly workflows: { readonly master: Workflow; readonly batch: Workflow };
  /** The workflows' user environment variables. */
  readonly workflowEnv: Readonly<Record<string, string>>;
  readonly vertex: LocalVertexAi;
  /** The batch workflow executions the master started; a run waits for them all before it ends. */
  readonly executions: LocalExecutions;
}

export function localDeployment(options: LocalDeploymentOptions): LocalDeployment {
  const { warehouse, store, settings, log } = options;
  const faults = options.faults ?? NO_FAULTS;
  const clock = new VirtualClock(options.clockStart ?? Math.floor(Date.now() / 1000));
  const now = () => new Date(clock.now() * 1000);
  const ports = (kind: JobKind): JobPorts => ({ warehouse, store, log: log.job(kind), now, redactor: LOCAL_REDACTOR });
  const jobEnv = localJobEnv(settings);
  const cloudRun = new LocalCloudRun({
    project: LOCAL_LAYOUT.projectId,
    region: LOCAL_LAYOUT.region,
    jobs: Object.fromEntries(JOB_KINDS.map((kind) => [LOCAL_JOB_NAMES[kind], { kind, run: JOBS[kind], env: jobEnv }])),
    ports,
    faults,
    onJobFinished: options.onJobFinished,
    onTaskFailure: (job, attempt, error) =>
      log.write({
        severity: 'WARNING',
        message: `task attempt ${attempt + 1} of ${job} failed`,
        job,
        error: String((error as Error)?.message ?? error),
      }),
  });
  const endpoint = options.modelEndpoint;
  const declaredModels = new Map(
    [settings.analysis, ...Object.values(settings.analyses ?? {})].map((spec) => [modelResource(spec.model), spec.model]),
  );
  const analyze: LineAnalyzer =
    options.analyze ??
    (endpoint
      ? async (line, model) =>
          (await answerLine(JSON.stringify(line), {
            url: endpoint.url,
            apiKey: endpoint.apiKey,
            // The job's model is its analysis's, as the analysis declares it.
            model: declaredModels.get(model) ?? settings.analysis.model,
          })) as unknown as Record<string, unknown>
      : (line) => analyzeLine(line, { now }) as unknown as Record<string, unknown>);
  const vertex = new LocalVertexAi({ store, analyze, project: LOCAL_LAYOUT.projectId, region: LOCAL_LAYOUT.region, faults });
  const workflows = pipelineWorkflows();
  const executions = new LocalExecutions({ [DEFAULT_WORKFLOW_NAMES.batch]: workflows.batch }, LOCAL_LAYOUT.projectId, LOCAL_LAYOUT.region);
  const handlers = localConnectors({ store, warehouse, cloudRun, vertex, executions });
  return { clock, handlers, workflows, workflowEnv: localWorkflowEnv(settings), vertex, executions };
}

/** Where a work folder keeps each analysis declaration it ran, by version. */
function analysisPath(version: string): string {
  return `_analyses/${version}.json`;
}

/** Keeps the analysis declaration of a run in the work folder, so that recovery can use it. */
export async function saveAnalysis(store: ObjectStore, analysis: AnalysisSpec): Promise<void> {
  const path = analysisPath(analysisVersion(analysis));
  if (!(await store.exists(path))) await store.writeText(path, JSON.stringify(analysis, null, 2) + '\n');
}

/** The analysis declaration a work folder ran under `version`, if it kept one (`pass1`'s: see `savedPipeline`). */
export async function savedAnalysis(store: ObjectStore, version: string): Promise<AnalysisSpec | undefined> {
  return (await savedPipeline(store, version))?.analysis;
}

/** A pipeline's analyses as a work folder keeps them: `pass1`, and the others by name. */
export interface SavedPipeline {
  readonly analysis: AnalysisSpec;
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
}

/**
 * Keeps the analyses of a run in the work folder, so that recovery can use them: `pass1`'s
 * declaration under its version (as before several analyses), and every other analysis's version
 * with the whole set, which its version depends on (its name, its upstream's version).
 */
export async function savePipeline(store: ObjectStore, planned: readonly PlannedAnalysis[]): Promise<void> {
  const all = Object.fromEntries(planned.map((a) => [a.name, a.spec]));
  for (const a of planned) {
    if (a.name === PRIMARY_ANALYSIS) await saveAnalysis(store, a.spec);
    else if (!(await store.exists(analysisPath(a.version)))) {
      await store.writeText(analysisPath(a.version), JSON.stringify({ analyses: all }, null, 2) + '\n');
    }
  }
}

/** The analyses a work folder ran with an analysis of version `version`, if it kept them. */
export async function savedPipeline(store: ObjectStore, version: string): Promise<SavedPipeline | undefined> {
  if (!/^[A-Za-z0-9_-]+$/.test(version)) return undefined;
  const path = analysisPath(version);
  if (!(await store.exists(path))) return undefined;
  const saved = JSON.parse(await store.readText(path)) as AnalysisSpec | { analyses: Record<string, AnalysisSpec> };
  if (!('analyses' in saved)) return { analysis: saved };
  const { [PRIMARY_ANALYSIS]: analysis, ...analyses } = saved.analyses;
  return { analysis: analysis!, analyses };
}
