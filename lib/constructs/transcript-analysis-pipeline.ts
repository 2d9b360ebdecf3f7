/**
 * The whole transcript analysis pipeline for one environment, in one construct.
 */
import { TerraformOutput, TerraformProvider, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import { AnalysisSpec, DEFAULT_ANALYSIS } from '../../runtime/contract/analysis';
import { PlannedAnalysis, planAnalyses, PRIMARY_ANALYSIS } from '../../runtime/contract/analyses';
import { jobEnvironment, workflowEnvironment } from '../../runtime/contract/deployment';
import { DEFAULTS } from '../../runtime/contract/limits';
import { RedactionSettings, resolveRedaction, ResolvedRedaction, SENSITIVE_DATA_PROTECTION } from '../../runtime/contract/redaction';
import { JOB_KINDS, JobKind } from '../../runtime/contract/names';
import { LAUNCHER, LAUNCHER_ENV, LAUNCHER_PERMISSIONS } from '../../runtime/contract/launcher';
import { ModelPrice } from '../../runtime/contract/prices';
import { IdentityRole, pipelineNames, PipelineNames } from '../private/naming';
import { validatePipelineProps } from '../private/pipeline-validation';
import { ACCESS, Identities } from './identities';
import { Monitoring } from './monitoring';
import { Orchestration } from './orchestration';
import { RuntimeJob } from './runtime-job';
import { SourceTable, Warehouse } from './warehouse';
import { WorkBucket } from './work-bucket';

export interface TranscriptAnalysisPipelineProps {
  /** Project the pipeline is deployed to. */
  readonly projectId: string;
  /** Region of the jobs, workflows, buckets and dataset, e.g. `europe-west1`. */
  readonly region: string;
  /**
   * Prefix of every resource name. Two pipelines in one project need different prefixes.
   *
   * @default 'tap'
   */
  readonly namePrefix?: string;
  /**
   * BigQuery dataset id.
   *
   * @default - `<namePrefix>_transcript_analysis` with `-` written as `_`
   */
  readonly datasetId?: string;
  /**
   * Where transcripts are read from.
   *
   * @default - the table `transcription_pass_2` is created in the dataset
   */
  readonly source?: SourceTable;
  /**
   * What to ask the model, and the shape of the answer.
   *
   * @default DEFAULT_ANALYSIS - summary, sentiment, topics, resolution, action items, customer intent
   */
  readonly analysis?: AnalysisSpec;
  /**
   * More analyses of the same transcripts, by name (a lowercase letter, then up to 25 lowercase
   * letters, digits or `_`). Each has its own results table (`<name>_results`), version, ledger
   * rows and Vertex AI jobs; one run runs them all, every upstream before the analyses that read it
   * (`after`). `pass1` is the `analysis` prop, whose results table keeps the name
   * `transcription_analyzed_transcripts`; declare it here instead of `analysis` if you like, not in both.
   *
   * @default - `pass1` alone
   */
  readonly analyses?: Readonly<Record<string, AnalysisSpec>>;
  /**
   * Takes personal data out of every transcript before any request is written, through Sensitive
   * Data Protection (`projects.locations.content.deidentify`, in `region`): which info types, what
   * they become (`[PHONE_NUMBER]`-style tags by default), optional inspect and de-identify templates.
   * Enables the DLP API and grants `roles/dlp.user` to the generator's account only. The settings
   * are part of the analysis version; counts by type go to the results' `redaction_counts`.
   *
   * @default - no redaction
   * @see https://cloud.google.com/sensitive-data-protection/docs/reference/rest/v2/projects.locations.content/deidentify
   */
  readonly redaction?: RedactionSettings;
  /**
   * Region of the Vertex AI batch prediction jobs; the work bucket must be there too.
   *
   * @default - `region`
   */
  readonly vertexRegion?: string;
  /**
   * Records per batch, one Vertex AI job each (Vertex AI takes at most 200,000 requests and 1 GB of
   * input per job). `auto`: the planner measures what it plans and sizes batches for four waves over
   * the `maxConcurrentBatches` lanes within those two limits, the plan's last third in batches of
   * half that size, so that a slow job near the end holds up little (`AUTO_BATCH_SIZE`): 1M records
   * of 6,000 characters run as 43 jobs rather than 1,000. A number gives every batch that size. A
   * run's `batch_size` argument overrides it.
   *
   * @default 'auto'
   */
  readonly batchSize?: number | 'auto';
  /** Batches in flight at once (Workflows runs at most 20 parallel iterations). @default 8 */
  readonly maxConcurrentBatches?: number;
  /** Attempts of a failed batch within one run. @default 3 */
  readonly maxBatchAttempts?: number;
  /** Runs a record may fail in before it is settled as exhausted. @default 3 */
  readonly maxRecordAttempts?: number;
  /** Seconds between polls of a Vertex AI job (sleeping is free). @default 60 */
  readonly pollIntervalSeconds?: number;
  /** Longest transcript sent, in characters; longer ones are recorded as `input_too_large`. @default 400000 */
  readonly maxTranscriptChars?: number;
  /** Largest request line, in bytes. @default 4194304 (4 MiB) */
  readonly maxRequestBytes?: number;
  /** Memory of each job container. @default 1024 */
  readonly jobMemoryMiB?: number;
  /** CPUs of each job container: 1, 2, 4, 6 or 8. @default 1 */
  readonly jobCpu?: number;
  /** Timeout of one job task attempt. @default 3600 */
  readonly jobTimeoutSeconds?: number;
  /** Retries of a failed job task. @default 3 */
  readonly jobMaxRetries?: number;
  /**
   * An image that runs the jobs instead of the bundles (it reads the same environment variables;
   * the entry point is chosen by its arguments `planner`, `generator`, `processor`, `reporter`).
   *
   * @default - `node:22-slim` running content-hashed bundles from the artifacts bucket
   */
  readonly image?: string;
  /**
   * Days the run files are kept: the work bucket's objects, and the transcripts the planner stages
   * in the `batch_inputs` table (partition expiration). A batch of a run older than this cannot be
   * recovered; its records are planned again by a new run.
   *
   * @default 30
   */
  readonly workRetentionDays?: number;
  /**
   * Keeps `destroy` from deleting the tables, the dataset and the buckets with their contents.
   * Turn it off for development environments only.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /** Labels merged over the defaults (`app`, `tap-pipeline`) on every resource that takes labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Unix-cron schedule that starts a run, e.g. `0 2 * * *`.
   *
   * @default - no schedule
   */
  readonly schedule?: string;
  /** Time zone of `schedule`. @default 'Etc/UTC' */
  readonly scheduleTimeZone?: string;
  /** Log-based metrics, alert policies and a dashboard. @default true */
  readonly monitoring?: boolean;
  /** Notification channels of the alerts (`projects/P/notificationChannels/ID`). @default [] */
  readonly notificationChannels?: readonly string[];
  /** Batch failure rate (0-1] above which the alert fires. @default 0.2 */
  readonly batchFailureRateThreshold?: number;
  /**
   * Enables the APIs the pipeline uses (never disabled on destroy).
   *
   * @default true
   */
  readonly enableApis?: boolean;
  /**
   * Existing service accounts to use instead of creating them, by role.
   *
   * @default - one account per role is created
   */
  readonly serviceAccounts?: Readonly<Partial<Record<IdentityRole, string>>>;
  /** Price of the model for the report's cost estimate. @default - the package's price table */
  readonly price?: ModelPrice;
  /**
   * The `google-beta` provider for the Vertex AI service agent.
   *
   * @default - the stack's google-beta provider, created if the stack has none
   */
  readonly betaProvider?: TerraformProvider;
  /**
   * Folder with `master-orchestrator.yaml` and `batch.yaml`.
   *
   * @default - the package's `workflows/`
   */
  readonly workflowsDir?: string;
}

/** Default labels; `labels` are merged over them. */
export const DEFAULT_LABELS: Readonly<Record<string, string>> = { app: 'transcript-analysis-pipeline' };

/** APIs the pipeline calls. */
export const REQUIRED_APIS = [
  'iam.googleapis.com',
  'bigquery.googleapis.com',
  'storage.googleapis.com',
  'run.googleapis.com',
  'workflows.googleapis.com',
  'workflowexecutions.googleapis.com',
  'aiplatform.googleapis.com',
  'logging.googleapis.com',
] as const;

/**
 * Deploys the transcript analysis pipeline: BigQuery dataset, tables and views; a work bucket and an
 * artifacts bucket; one service account per role with least-privilege bindings; four Cloud Run jobs;
 * the master and batch workflows; optionally a schedule, metrics, alerts and a dashboard.
 *
 * @example
 * new TranscriptAnalysisPipeline(stack, 'Pipeline', { projectId: 'my-project', region: 'europe-west1' });
 */
export class TranscriptAnalysisPipeline extends Construct {
  /** Every name the pipeline gives its resources (workflows, jobs, buckets, accounts), from `namePrefix`. */
  public readonly names: PipelineNames;
  /** The analysis declaration in force. */
  public readonly analysis: AnalysisSpec;
  /** Hash of the analysis: records are analysed again when it changes. */
  public readonly analysisVersion: string;
  /** Every analysis of the pipeline (`pass1` first), in the order a run runs them, with its version and results table. */
  public readonly analyses: readonly PlannedAnalysis[];
  /** The Google APIs the pipeline switches on in the project; everything else depends on them. */
  public readonly apis: readonly ProjectService[];
  /** The BigQuery dataset, its tables and views, with per-table grants. */
  public readonly warehouse: Warehouse;
  /** The bucket of Vertex AI requests, outputs, plans and commit logs; objects expire after `workRetentionDays`. */
  public readonly workBucket: WorkBucket;
  /** The bucket of the jobs' code bundles (read-only to the jobs); unused with a user `image`. */
  public readonly artifactsBucket: WorkBucket;
  /** One service account per role of `IDENTITY_ROLES` (the workflows, each job, the scheduler). */
  public readonly identities: Identities;
  /** Vertex AI's service agent, which reads the requests and writes the outputs in the work bucket. */
  public readonly vertexServiceAgent: GoogleProjectServiceIdentity;
  /** The four Cloud Run jobs, by kind. */
  public readonly jobs: Readonly<Record<JobKind, RuntimeJob>>;
  /**
   * The fifth job, `<prefix>-run`: starts the master workflow with the run's settings from its
   * environment, follows the run and exits 0 (succeeded), 3 (batches left failed) or 1 (failed).
   */
  public readonly launcherJob: RuntimeJob;
  /** The launcher's custom role: exactly `LAUNCHER_PERMISSIONS`, bound on the project to its account only. */
  public readonly launcherRole: ProjectIamCustomRole;
  /** `gcloud run jobs execute <prefix>-run ... --wait`: starts a run and waits for its outcome. */
  public readonly launchCommand: string;
  /** The master orchestrator and batch workflows, and the schedule when one is asked for. */
  public readonly orchestration: Orchestration;
  /** Log metrics, alerts and the dashboard; absent when `monitoring` is false. */
  public readonly monitoring?: Monitoring;
  /** Labels applied to every resource that takes them. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The command that starts a run. */
  public readonly runCommand: string;

  constructor(scope: Construct, id: string, props: TranscriptAnalysisPipelineProps) {
    super(scope, id);
    validatePipelineProps(props);
    const projectId = props.projectId;
    const region = props.region;
    const prefix = props.namePrefix ?? 'tap';
    claimPrefix(this, projectId, prefix);
    const names = pipelineNames(prefix, projectId, props.datasetId);
    this.names = names;
    // The construct's redaction applies to every analysis, resolved so that the version changes
    // with the defaults too.
    const redact = (spec: AnalysisSpec): AnalysisSpec => {
      const redaction = props.redaction ?? spec.redaction;
      return redaction ? { ...spec, redaction: resolveRedaction(redaction) } : spec;
    };
    const declared = { [PRIMARY_ANALYSIS]: props.analysis ?? DEFAULT_ANALYSIS, ...props.analyses };
    const allAnalyses = Object.fromEntries(Object.entries(declared).map(([name, spec]) => [name, redact(spec)]));
    this.analyses = planAnalyses(allAnalyses);
    const primary = this.analyses.find((a) => a.name === PRIMARY_ANALYSIS)!;
    this.analysis = primary.spec;
    this.analysisVersion = primary.version;
    const otherAnalyses = Object.fromEntries(this.analyses.filter((a) => a !== primary).map((a) => [a.name, a.spec]));
    this.labels = { ...DEFAULT_LABELS, 'tap-pipeline': prefix, ...props.labels };
    const labels = this.labels;
    const protect = props.deletionProtection ?? true;
    const vertexRegion = props.vertexRegion ?? region;

    const services = [
      ...REQUIRED_APIS,
      ...(props.schedule ? ['cloudscheduler.googleapis.com'] : []),
      ...(props.monitoring === false ? [] : ['monitoring.googleapis.com']),
      ...(this.analysis.redaction ? [SENSITIVE_DATA_PROTECTION.service] : []),
    ];
    this.apis =
      props.enableApis === false
        ? []
        : services.map(
            (service) =>
              new ProjectService(this, `Api-${service.split('.')[0]}`, {
                project: projectId,
                service,
                // Other workloads in the project may use the same APIs.
                disableOnDestroy: false,
                disableDependentServices: false,
              }),
          );
    const dependsOn = [...this.apis];

    this.warehouse = new Warehouse(this, 'Warehouse', {
      projectId,
      datasetId: names.dataset,
      location: region,
      analysis: this.analysis,
      analyses: otherAnalyses,
      source: props.source,
      runFilesRetentionDays: props.workRetentionDays ?? DEFAULTS.workRetentionDays,
      deletionProtection: protect,
      labels,
      dependsOn,
    });
    this.workBucket = new WorkBucket(this, 'WorkBucket', {
      projectId,
      bucketName: names.workBucket,
      location: vertexRegion,
      retentionDays: props.workRetentionDays ?? DEFAULTS.workRetentionDays,
      forceDestroy: !protect,
      labels,
      dependsOn,
    });
    this.artifactsBucket = new WorkBucket(this, 'ArtifactsBucket', {
      projectId,
      bucketName: names.artifactsBucket,
      location: region,
      // Bundles are rebuilt from source at every synth; nothing here is data.
      forceDestroy: true,
      labels,
      dependsOn,
    });

    const roles: IdentityRole[] = ['workflows', ...JOB_KINDS, LAUNCHER.kind, ...(props.schedule ? (['scheduler'] as const) : [])];
    this.identities = new Identities(this, 'Identities', {
      projectId,
      accountId: names.serviceAccountId,
      roles,
      serviceAccounts: props.serviceAccounts,
      displayPrefix: `TAP ${prefix}`,
      dependsOn,
    });

    // The service agent appears only when the API is first used; creating it here lets the bucket
    // binding below succeed before the first batch job.
    this.vertexServiceAgent = new GoogleProjectServiceIdentity(this, 'VertexServiceAgent', {
      provider: props.betaProvider ?? betaProviderOf(this, projectId, region),
      project: projectId,
      service: 'aiplatform.googleapis.com',
      dependsOn,
    });
    this.workBucket.grantReadWrite(this.vertexServiceAgent.member, 'vertex-agent');

    const target = { projectId, region, dataset: names.dataset, workBucket: names.workBucket };
    const jobEnv = jobEnvironment({
      ...target,
      sourceTable: this.warehouse.sourceTable,
      sourceIdColumn: this.warehouse.sourceIdColumn,
      sourceTextColumn: this.warehouse.sourceTextColumn,
      sourceIngestedColumn: this.warehouse.sourceIngestedColumn,
      analysis: this.analysis,
      analyses: otherAnalyses,
      maxRecordAttempts: props.maxRecordAttempts ?? DEFAULTS.maxRecordAttempts,
      maxTranscriptChars: props.maxTranscriptChars ?? DEFAULTS.maxTranscriptChars,
      maxRequestBytes: props.maxRequestBytes ?? DEFAULTS.maxRequestBytes,
      price: props.price,
    });
    const jobs = {} as Record<JobKind, RuntimeJob>;
    for (const kind of JOB_KINDS) {
      jobs[kind] = new RuntimeJob(this, `Job-${kind}`, {
        kind,
        projectId,
        region,
        jobName: names.jobs[kind],
        serviceAccountEmail: this.identities.email(kind),
        artifactsBucket: this.artifactsBucket.bucket.name,
        env: jobEnv,
        image: props.image,
        memoryMiB: props.jobMemoryMiB,
        cpu: props.jobCpu,
        taskTimeoutSeconds: props.jobTimeoutSeconds,
        maxRetries: props.jobMaxRetries,
        labels,
        dependsOn,
      });
    }
    this.jobs = jobs;

    this.orchestration = new Orchestration(this, 'Orchestration', {
      projectId,
      region,
      masterWorkflowName: names.masterWorkflow,
      batchWorkflowName: names.batchWorkflow,
      serviceAccountEmail: this.identities.email('workflows'),
      env: workflowEnvironment({
        ...target,
        jobs: names.jobs,
        batchWorkflow: names.batchWorkflow,
        model: this.analysis.model,
        vertexRegion,
        batchSize: props.batchSize ?? DEFAULTS.batchSize,
        maxConcurrentBatches: props.maxConcurrentBatches ?? DEFAULTS.maxConcurrentBatches,
        maxBatchAttempts: props.maxBatchAttempts ?? DEFAULTS.maxBatchAttempts,
        pollIntervalSeconds: props.pollIntervalSeconds ?? DEFAULTS.pollIntervalSeconds,
        jobTimeoutSeconds: props.jobTimeoutSeconds ?? 3600,
        labels,
        analyses: allAnalyses,
      }),
      workflowsDir: props.workflowsDir,
      schedule: props.schedule,
      scheduleTimeZone: props.scheduleTimeZone,
      schedulerServiceAccountEmail: props.schedule ? this.identities.email('scheduler') : undefined,
      labels,
      dependsOn: [...dependsOn, ...Object.values(jobs).map((j) => j.job)],
    });

    // The launcher follows a run to its end: a retried task would start a second run, and a run may
    // take the longest timeout a task can have.
    this.launcherJob = new RuntimeJob(this, `Job-${LAUNCHER.kind}`, {
      kind: LAUNCHER.kind,
      projectId,
      region,
      jobName: names.launcherJob,
      serviceAccountEmail: this.identities.email(LAUNCHER.kind),
      artifactsBucket: this.artifactsBucket.bucket.name,
      env: {
        [LAUNCHER_ENV.projectId]: projectId,
        [LAUNCHER_ENV.region]: region,
        [LAUNCHER_ENV.masterWorkflow]: names.masterWorkflow,
        [LAUNCHER_ENV.analyses]: this.analyses.map((a) => a.name).join(','),
      },
      image: props.image,
      memoryMiB: 512,
      cpu: 1,
      taskTimeoutSeconds: 86400,
      maxRetries: 0,
      labels,
      dependsOn: [...dependsOn, this.orchestration.masterWorkflow],
    });
    this.launcherRole = new ProjectIamCustomRole(this, 'LauncherRole', {
      project: projectId,
      roleId: names.launcherRole,
      title: `TAP ${prefix} launcher`,
      description: 'Starts and reads executions of the transcript analysis master workflow.',
      permissions: [...LAUNCHER_PERMISSIONS],
      dependsOn,
    });

    this.grantAccess(projectId);
    if (this.analysis.redaction) this.grantRedaction(projectId, this.analysis.redaction);

    if (props.monitoring !== false) {
      this.monitoring = new Monitoring(this, 'Monitoring', {
        projectId,
        namePrefix: prefix,
        masterWorkflowName: names.masterWorkflow,
        batchWorkflowName: names.batchWorkflow,
        // The launcher's job_failed lines (a run it could not start) count as job failures too.
        jobNames: [...JOB_KINDS.map((k) => names.jobs[k]), names.launcherJob],
        notificationChannels: props.notificationChannels,
        batchFailureRateThreshold: props.batchFailureRateThreshold,
        labels,
        dependsOn,
      });
    }

    this.runCommand =
      `gcloud workflows run ${names.masterWorkflow} --project=${projectId} --location=${region}` +
      ` --data='${JSON.stringify({ batch_size: props.batchSize ?? DEFAULTS.batchSize })}'`;
    const output = (oid: string, value: string, description: string) => new TerraformOutput(this, oid, { value, description });
    output('master_workflow', names.masterWorkflow, 'Workflow that runs the analysis.');
    output('batch_workflow', names.batchWorkflow, 'Workflow that runs one batch (used by recovery).');
    output('jobs', JSON.stringify(names.jobs), 'Cloud Run jobs, by kind (JSON).');
    output('dataset', `${projectId}.${names.dataset}`, 'BigQuery dataset with results, errors and batch history.');
    output('work_bucket', names.workBucket, 'Bucket with run files (plan, requests, predictions, summaries).');
    output('analysis_version', this.analysisVersion, 'Version of the deployed analysis.');
    if (this.analyses.length > 1) {
      output(
        'analyses',
        JSON.stringify(Object.fromEntries(this.analyses.map((a) => [a.name, { version: a.version, results_table: a.resultsTable }]))),
        'Every analysis with its version and results table (JSON).',
      );
    }
    output('run_command', this.runCommand, 'Starts a run.');
    this.launchCommand = `gcloud run jobs execute ${names.launcherJob} --project=${projectId} --region=${region} --wait`;
    output('launch_command', this.launchCommand, 'Starts a run through the launcher job and waits for its outcome (exit 0, 3 or 1).');
  }

  /** Binds exactly the access of `ACCESS` to each identity. */
  private grantAccess(projectId: string): void {
    for (const role of Object.keys(ACCESS) as IdentityRole[]) {
      if (!this.identitiesHas(role)) continue;
      const access = ACCESS[role];
      const member = this.identities.member(role);
      for (const { role: projectRole } of access.projectRoles) {
        new ProjectIamMember(this, `ProjectRole-${role}-${projectRole.replace(/^roles\//, '')}`, {
          project: projectId,
          role: projectRole,
          member,
        });
      }
      for (const key of access.reads) this.warehouse.grantRead(key, member, `${role}-read-${key}`);
      for (const key of access.writes) this.warehouse.grantWrite(key, member, `${role}-write-${key}`);
      // Each analysis's results table, as `results` is pass1's; the planner reads an upstream's to plan what reads it.
      for (const a of this.analyses) {
        if (a.name === PRIMARY_ANALYSIS) continue;
        if (access.writes.includes('results')) this.warehouse.grantResults(a.name, 'write', member, `${role}-write-results-${a.name}`);
        else if (access.reads.includes('results')) this.warehouse.grantResults(a.name, 'read', member, `${role}-read-results-${a.name}`);
      }
      if (role === 'planner') {
        for (const upstream of new Set(this.analyses.flatMap((a) => (a.upstream ? [a.upstream.name] : [])))) {
          this.warehouse.grantResults(upstream, 'read', member, `${role}-read-results-${upstream}-upstream`);
        }
      }
      if (access.workBucket === 'read' || access.workBucket === 'readCreate') this.workBucket.grantRead(member, role);
      if (access.workBucket === 'readCreate') this.workBucket.grantCreate(member, `${role}-create`);
      if (access.workBucket === 'readWrite') this.workBucket.grantReadWrite(member, role);
      const job = role === LAUNCHER.kind ? this.launcherJob : this.jobs[role as JobKind];
      if (access.artifactsBucket === 'read' && job?.bundle) this.artifactsBucket.grantRead(member, role);
      if (access.startsRuns) {
        new ProjectIamMember(this, `ProjectRole-${role}-launcher`, { project: projectId, role: this.launcherRole.name, member });
      }
      if (access.runsJobs) for (const kind of JOB_KINDS) this.jobs[kind].grantRun(member, role);
    }
  }

  /**
   * Sensitive Data Protection for the generator's account only: `roles/dlp.user` on the project (its
   * content methods have no per-resource role), and the reader of each template named, on the
   * template's project.
   */
  private grantRedaction(projectId: string, redaction: ResolvedRedaction): void {
    if (!this.identitiesHas('generator')) return;
    const member = this.identities.member('generator');
    new ProjectIamMember(this, 'ProjectRole-generator-dlp.user', { project: projectId, role: SENSITIVE_DATA_PROTECTION.userRole, member });
    const templates: [string | undefined, string, string][] = [
      [redaction.inspectTemplate, SENSITIVE_DATA_PROTECTION.inspectTemplatesReaderRole, 'InspectTemplatesReader'],
      [redaction.deidentifyTemplate, SENSITIVE_DATA_PROTECTION.deidentifyTemplatesReaderRole, 'DeidentifyTemplatesReader'],
    ];
    for (const [template, role, id] of templates) {
      const project = template && /^projects\/([^/]+)\//.exec(template)?.[1];
      if (project) new ProjectIamMember(this, `ProjectRole-generator-dlp-${id}`, { project, role, member });
    }
  }

  private identitiesHas(role: IdentityRole): boolean {
    try {
      this.identities.email(role);
      return true;
    } catch {
      return false;
    }
  }
}

const prefixClaims = new WeakMap<TerraformStack, Map<string, string>>();

/** Two pipelines in one stack and project must not share a name prefix: their names would collide. */
function claimPrefix(self: Construct, projectId: string, prefix: string): void {
  const stack = TerraformStack.of(self);
  let claims = prefixClaims.get(stack);
  if (!claims) prefixClaims.set(stack, (claims = new Map()));
  const key = `${projectId}/${prefix}`;
  const existing = claims.get(key);
  if (existing !== undefined) {
    throw new Error(
      `namePrefix must differ between pipelines in one project, got ${JSON.stringify(prefix)} for both ${existing} and ${self.node.path}. ` +
        'Give each pipeline its own namePrefix',
    );
  }
  claims.set(key, self.node.path);
}

/** The stack's google-beta provider, created once per stack if it has none. */
function betaProviderOf(self: Construct, projectId: string, region: string): TerraformProvider {
  const stack = TerraformStack.of(self);
  const found = stack.node
    .findAll()
    .find((c): c is TerraformProvider => c instanceof TerraformProvider && c.terraformResourceType === GoogleBetaProvider.tfResourceType);
  return found ?? new GoogleBetaProvider(stack, 'google-beta', { project: projectId, region });
}
