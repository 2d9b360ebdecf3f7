/**
 * A local stand-in for Cloud Run jobs: `jobs.run` runs the job's entry point in-process, with the
 * job's own environment merged with the execution's `containerOverrides.env`, and retries a failed
 * task as Cloud Run does (`max_retries`). A job that still fails raises the connector's error.
 */
import type { JobKind } from '../contract';
import type { JobEnv, JobPorts, JobRun } from '../core/ports';
import { Faults, NO_FAULTS } from './faults';

export interface LocalJobDefinition {
  readonly kind: JobKind;
  readonly run: JobRun;
  /** The job's environment, as the construct sets it on the Cloud Run job. */
  readonly env: JobEnv;
}

export interface LocalCloudRunOptions {
  readonly project: string;
  readonly region: string;
  /** Jobs by their Cloud Run job name. */
  readonly jobs: Readonly<Record<string, LocalJobDefinition>>;
  readonly ports: (kind: JobKind) => JobPorts;
  /** Task retries, as the job's `max_retries`. @default 3 */
  readonly maxRetries?: number;
  readonly faults?: Faults;
  /** Called with what a job's `run` returned, when it succeeds. */
  readonly onJobFinished?: (kind: JobKind, result: unknown) => void;
  /** Called when a task attempt fails (logged, then retried or raised). */
  readonly onTaskFailure?: (job: string, attempt: number, error: unknown) => void;
}

/** The error the Cloud Run connector raises for a failed execution. */
export function operationError(job: string, execution: string, reason: string): Record<string, unknown> {
  return {
    message: 'Cloud Run long-running operation failed.',
    tags: ['OperationError'],
    operation: {
      name: execution,
      done: true,
      error: { code: 2, message: `Task ${execution}-task0 failed: ${reason}` },
      metadata: {
        job,
        conditions: [{ type: 'Completed', state: 'CONDITION_FAILED', reason: 'NonZeroExitCode', message: 'Execution failed.' }],
      },
    },
  };
}

/** Raised by a fault to stand for a process that died. */
export class SimulatedCrash extends Error {
  constructor(what: string) {
    super(`simulated crash: ${what}`);
    this.name = 'SimulatedCrash';
  }
}

export class LocalCloudRun {
  private executions = 0;
  /** Runs per (kind, execution, batch), for the generator-crash fault. */
  private readonly runsPerBatch = new Map<string, number>();
  /** Batches whose processor already crashed once, for processor-crash-after. */
  private readonly processorCrashed = new Set<string>();
  private readonly faults: Faults;

  constructor(private readonly options: LocalCloudRunOptions) {
    this.faults = options.faults ?? NO_FAULTS;
  }

  /** `run.v2.projects.locations.jobs.run`: waits for the execution and returns it. */
  async run(name: string, body: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)\/jobs\/([^/]+)$/.exec(name);
    if (!match) throw { code: 400, message: `invalid job name ${name}: expected projects/P/locations/L/jobs/J`, tags: ['HttpError'] };
    const [, project, region, jobName] = match as unknown as [string, string, string, string];
    const job = this.options.jobs[jobName];
    if (project !== this.options.project || region !== this.options.region || !job) {
      throw {
        code: 404,
        message: `Resource '${jobName}' of kind 'JOB' in region '${region}' in project '${project}' does not exist.`,
        tags: ['HttpError'],
      };
    }
    const overrides = (body?.overrides ?? {}) as { containerOverrides?: { env?: { name: string; value?: string }[] }[] };
    const env: Record<string, string | undefined> = { ...job.env };
    for (const container of overrides.containerOverrides ?? []) {
      for (const variable of container.env ?? []) env[variable.name] = variable.value ?? '';
    }
    const execution = `${name}/executions/${jobName}-${String(++this.executions).padStart(5, '0')}`;
    const batchKey = `${job.kind}/${env.TAP_EXECUTION_ID ?? ''}/${env.TAP_BATCH_ID ?? `rows-${env.TAP_START_ROW}-${env.TAP_END_ROW}`}`;
    const maxRetries = this.options.maxRetries ?? 3;
    let lastError: unknown;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      try {
        const result = await job.run(env, this.portsWithFaults(job.kind, batchKey));
        this.options.onJobFinished?.(job.kind, result);
        return {
          name: execution,
          job: name,
          taskCount: 1,
          succeededCount: 1,
          failedCount: 0,
          retriedCount: attempt,
          conditions: [{ type: 'Completed', state: 'CONDITION_SUCCEEDED' }],
        };
      } catch (error) {
        lastError = error;
        this.options.onTaskFailure?.(jobName, attempt, error);
      }
    }
    throw operationError(jobName, execution, lastError instanceof Error ? lastError.message : String(lastError));
  }

  private portsWithFaults(kind: JobKind, batchKey: string): JobPorts {
    const ports = this.options.ports(kind);
    const runs = (this.runsPerBatch.get(batchKey) ?? 0) + 1;
    this.runsPerBatch.set(batchKey, runs);
    if (kind === 'generator' && runs <= this.faults.generatorCrash) {
      let crashed = false;
      return {
        ...ports,
        checkpoint: async (point) => {
          await ports.checkpoint?.(point);
          if (crashed) return;
          crashed = true;
          throw new SimulatedCrash(`generator run ${runs} after writing ${point} (fault generator-crash)`);
        },
      };
    }
    const point = this.faults.processorCrashAfter;
    if (kind === 'processor' && point && !this.processorCrashed.has(batchKey)) {
      return {
        ...ports,
        checkpoint: async (name) => {
          await ports.checkpoint?.(name);
          if (name === point && !this.processorCrashed.has(batchKey)) {
            this.processorCrashed.add(batchKey);
            throw new SimulatedCrash(`processor after writing ${name} (fault processor-crash-after)`);
          }
        },
      };
    }
    return ports;
  }
}
