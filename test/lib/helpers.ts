import { Testing, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { TranscriptAnalysisPipeline, TranscriptAnalysisPipelineProps } from '../../lib';

export type Props = Partial<TranscriptAnalysisPipelineProps>;

/** Synthesized Terraform JSON, parsed. */
export interface Synthesized {
  readonly text: string;
  readonly json: TfJson;
  readonly stack: TerraformStack;
  readonly pipelines: TranscriptAnalysisPipeline[];
}

export interface TfJson {
  readonly resource: Record<string, Record<string, Record<string, any>>>;
  readonly output?: Record<string, { value: string; description?: string }>;
  readonly provider?: Record<string, unknown[]>;
  readonly [key: string]: unknown;
}

export const BASE: TranscriptAnalysisPipelineProps = { projectId: 'my-project-123', region: 'europe-west1' };

/** A stack holding one pipeline per props object (ids Pipeline, Pipeline2, ...), synthesized with validations. */
export function synthPipelines(...all: Props[]): Synthesized {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new GoogleProvider(stack, 'google', { project: BASE.projectId, region: BASE.region });
  const pipelines = all.map(
    (props, i) => new TranscriptAnalysisPipeline(stack, i === 0 ? 'Pipeline' : `Pipeline${i + 1}`, { ...BASE, ...props }),
  );
  const text = Testing.synth(stack, true);
  return { text, json: JSON.parse(text) as TfJson, stack, pipelines };
}

/** Every resource of a type, as [logical id, body]. */
export function resources(json: TfJson, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(json.resource[type] ?? {});
}

/** The one resource of a type whose body matches `pred`. */
export function findResource(json: TfJson, type: string, pred: (body: Record<string, any>) => boolean): Record<string, any> {
  const found = resources(json, type).filter(([, body]) => pred(body));
  if (found.length !== 1) throw new Error(`expected one ${type} matching, found ${found.length}`);
  return found[0]![1];
}

/** `${google_x.id.attr}` → `google_x.id`: the resource a reference points at. */
export function refTarget(value: string): string | undefined {
  return /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}$/.exec(value)?.[1];
}
