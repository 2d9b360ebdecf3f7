/**
 * The entry point of a deployed job: reads the configuration, builds the GCP ports from the
 * environment, runs the job, logs one JSON line per event on stdout and exits 1 on failure (so
 * Cloud Run retries the task).
 */
import { JOB_ENV, JobKind, LOG_EVENTS, OVERRIDE_ENV, RUN_ENV } from '../../contract';
import { batchKey } from '../../contract';
import { batchRef, commonConfig, ConfigError, optionalInt } from '../../core/config';
import { errorFields, jsonLogger } from '../../core/log';
import type { JobEnv, JobPorts, JobRun } from '../../core/ports';
import { OAuth2Client } from 'google-auth-library';
import { BigQueryWarehouse } from './bigquery-warehouse';
import { DeidentifyClient, DlpRedactor } from './dlp-redactor';
import { GcsStore } from './gcs-store';

/** Builds the GCP ports for a job's environment. */
export function gcpPorts(env: JobEnv, log: JobPorts['log']): JobPorts {
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
    ...(common.analysis.redaction ? { redactor: dlpRedactor(common.projectId, region, env, log) } : {}),
  };
}

function emulatorAuth(): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'emulator', expiry_date: Date.now() + 24 * 3600 * 1000 });
  return auth;
}

/**
 * Sensitive Data Protection, for an analysis that redacts: the official client over its REST
 * transport, at `TAP_DLP_ENDPOINT` when set (a regional or private endpoint, or a test's fake).
 */
function dlpRedactor(projectId: string, region: string | undefined, env: JobEnv, log: JobPorts['log']): DlpRedactor {
  if (!region)
    throw new ConfigError(
      JOB_ENV.region,
      'is required when the analysis redacts (Sensitive Data Protection processes content in the region)',
    );
  // The client's own module, not the package root: the root also loads every message class of the API (1.7 MB).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DlpServiceClient } = require('@google-cloud/dlp/build/src/v2/dlp_service_client') as typeof import('@google-cloud/dlp');
  const endpoint = env[OVERRIDE_ENV.dlpEndpoint]?.trim();
  const url = endpoint ? new URL(endpoint) : undefined;
  const client = new DlpServiceClient({
    fallback: true,
    ...(url ? { apiEndpoint: url.hostname, port: Number(url.port) || undefined, protocol: url.protocol.replace(':', '') } : {}),
    // A plain-http endpoint is a local emulator, as with the other clients' *_EMULATOR_HOST: no credentials are sent to it.
    ...(url?.protocol === 'http:' ? { auth: emulatorAuth() as never } : {}),
  });
  return new DlpRedactor({ projectId, location: region, client: client as unknown as DeidentifyClient, log });
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
export async function runAsMain<T>(kind: JobKind, run: JobRun<T>, env: JobEnv = process.env): Promise<void> {
  const log = jsonLogger(context(kind, env), (line) => process.stdout.write(line));
  let ports: JobPorts | undefined;
  try {
    ports = gcpPorts(env, log);
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
