/**
 * The entry point of a deployed job: reads the configuration, builds the GCP ports from the
 * environment, runs the job, logs one JSON line per event on stdout and exits 1 on failure (so
 * Cloud Run retries the task).
 */
import { JOB_ENV, JobKind, LOG_EVENTS, RUN_ENV } from '../../contract';
import { batchKey } from '../../contract';
import { batchRef, commonConfig, optionalInt } from '../../core/config';
import { errorFields, jsonLogger } from '../../core/log';
import type { JobEnv, JobPorts, JobRun } from '../../core/ports';
import { BigQueryWarehouse } from './bigquery-warehouse';
import { GcsStore } from './gcs-store';

/** Makes the redactor of a job that redacts (the generator's: see `dlp-client.ts`). */
export type RedactorFactory = (projectId: string, region: string | undefined, env: JobEnv, log: JobPorts['log']) => JobPorts['redactor'];

/**
 * Builds the GCP ports for a job's environment. Only a job given `makeRedactor` gets a redactor:
 * the Sensitive Data Protection client goes into the generator's bundle alone.
 */
export function gcpPorts(env: JobEnv, log: JobPorts['log'], makeRedactor?: RedactorFactory): JobPorts {
  const common = commonConfig(env);
  const region = env[JOB_ENV.region]?.trim() || undefined;
  return {
    warehouse: new BigQueryWarehouse({
      projectId: common.projectId,
      dataset: common.dataset,
      bucket: common.workBucket,
      location: region,
    }),
    // The clients honour these emulator variables themselves; the endpoint is passed on so that
    // uploads go to the emulator too.
    store: new GcsStore({ projectId: common.projectId, bucket: common.workBucket, apiEndpoint: env.STORAGE_EMULATOR_HOST || undefined }),
    log,
    ...(common.analysis.redaction && makeRedactor ? { redactor: makeRedactor(common.projectId, region, env, log) } : {}),
  };
}

function context(kind: JobKind, env: JobEnv) {
  let batch: string | undefined;
  try {
    batch = kind === 'generator' || kind === 'processor' ? batchKey(batchRef(env)) : undefined;
  } catch {
    batch = undefined;
  }
  let attempt: number | undefined;
  try {
    attempt = optionalInt(env, RUN_ENV.attempt, 1, 1000);
  } catch {
    attempt = undefined;
  }
  return { job: kind, execution_id: env[RUN_ENV.executionId], batch, attempt };
}

/** Runs a job as a process. Resolves after setting `process.exitCode`; never throws. */
export async function runAsMain<T>(
  kind: JobKind,
  run: JobRun<T>,
  env: JobEnv = process.env,
  makeRedactor?: RedactorFactory,
): Promise<void> {
  const log = jsonLogger(context(kind, env), (line) => process.stdout.write(line));
  let ports: JobPorts | undefined;
  try {
    ports = gcpPorts(env, log, makeRedactor);
    await run(env, ports);
    process.exitCode = 0;
  } catch (error) {
    log.log('ERROR', `${kind} failed: ${(error as Error)?.message ?? String(error)}`, {
      event: LOG_EVENTS.jobFailed,
      ...errorFields(error),
    });
    process.exitCode = 1;
  } finally {
    await ports?.warehouse.close().catch(() => undefined);
  }
}
