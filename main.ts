/**
 * The cdktf app: one stack per environment, from the typed configuration below. Project ids and
 * regions can be overridden from the environment (`TAP_DEV_PROJECT_ID`, `TAP_PROD_REGION`, ...);
 * `TAP_STATE_BUCKET` stores Terraform state in Cloud Storage instead of a local file.
 *
 * Runs with no network and no credentials: synthesis only writes JSON.
 */
import * as path from 'node:path';
import { App, GcsBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';
import { TranscriptAnalysisPipeline, TranscriptAnalysisPipelineProps } from './lib';

export const ENVIRONMENT_NAMES = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** One environment: the pipeline's props plus where it lives. */
export interface EnvironmentConfig extends Omit<TranscriptAnalysisPipelineProps, 'betaProvider'> {
  readonly projectId: string;
  readonly region: string;
}

/** The environments. Placeholder project ids: set yours here or with TAP_<ENV>_PROJECT_ID. */
export const ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = {
  dev: {
    projectId: 'tap-dev-project',
    region: 'europe-west1',
    namePrefix: 'tap-dev',
    deletionProtection: false,
    batchSize: 100,
    maxConcurrentBatches: 2,
    workRetentionDays: 7,
    labels: { env: 'dev' },
  },
  prod: {
    projectId: 'tap-prod-project',
    region: 'europe-west1',
    namePrefix: 'tap-prod',
    deletionProtection: true,
    batchSize: 1000,
    maxConcurrentBatches: 8,
    schedule: '0 2 * * *',
    labels: { env: 'prod' },
  },
};

/** The configuration of an environment with the overrides from `env` applied. */
export function environmentConfig(name: EnvironmentName, env: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  const base = ENVIRONMENTS[name];
  const key = name.toUpperCase();
  return {
    ...base,
    projectId: env[`TAP_${key}_PROJECT_ID`] || base.projectId,
    region: env[`TAP_${key}_REGION`] || base.region,
  };
}

export interface PipelineStackOptions {
  /** Bucket for Terraform state. @default - local state */
  readonly stateBucket?: string;
}

/** A stack with the Google providers and one pipeline. */
export class PipelineStack extends TerraformStack {
  public readonly pipeline: TranscriptAnalysisPipeline;

  constructor(scope: Construct, id: EnvironmentName, config: EnvironmentConfig, options: PipelineStackOptions = {}) {
    super(scope, id);
    if (options.stateBucket) new GcsBackend(this, { bucket: options.stateBucket, prefix: `transcript-analysis-pipeline/${id}` });
    new GoogleProvider(this, 'google', { project: config.projectId, region: config.region });
    const betaProvider = new GoogleBetaProvider(this, 'google-beta', { project: config.projectId, region: config.region });
    this.pipeline = new TranscriptAnalysisPipeline(this, 'Pipeline', { ...config, betaProvider });
  }
}

/** The app with every environment's stack. */
export function buildApp(env: NodeJS.ProcessEnv = process.env, outdir?: string): App {
  // Stack traces on every construct cost a third of the synth time (source-mapped through tsx) and
  // only serve cdktf's own error reports.
  const app = new App({ stackTraces: false, ...(outdir ? { outdir } : {}) });
  for (const name of ENVIRONMENT_NAMES) {
    new PipelineStack(app, name, environmentConfig(name, env), { stateBucket: env.TAP_STATE_BUCKET || undefined });
  }
  return app;
}

// Synthesizes when run as the app (`node bin/run-ts.js main.ts`, as cdktf.json says), not when imported.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) buildApp().synth();
