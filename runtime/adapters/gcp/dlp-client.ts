/**
 * The generator's Sensitive Data Protection client, in a module of its own so that only the
 * generator's bundle carries it (the other jobs never redact).
 */
import { OAuth2Client } from 'google-auth-library';
import { JOB_ENV, OVERRIDE_ENV } from '../../contract';
import { ConfigError } from '../../core/config';
import type { JobEnv, JobPorts } from '../../core/ports';
import { DeidentifyClient, DlpRedactor } from './dlp-redactor';

function emulatorAuth(): OAuth2Client {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'emulator', expiry_date: Date.now() + 24 * 3600 * 1000 });
  return auth;
}

/**
 * Sensitive Data Protection, for an analysis that redacts: the official client over its REST
 * transport, at `TAP_DLP_ENDPOINT` when set (a regional or private endpoint, or a test's fake).
 */
export function dlpRedactor(projectId: string, region: string | undefined, env: JobEnv, log: JobPorts['log']): DlpRedactor {
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
