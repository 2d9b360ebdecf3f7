/** The options that say which pipeline a command talks to: a laptop work folder or a deployment. */
import type { TargetOption } from '../ops/config';
import { options, OptionSpec, text } from './options';

const declared = options({
  local: text({ value: 'DIR', help: 'a laptop work folder (where tapctl local run ran)' }),
  config: text({
    value: 'FILE',
    help: "the stack's outputs: terraform output -json, or cdktf output STACK --outputs-file FILE (default ./tapctl.json when present, or $TAPCTL_CONFIG)",
  }),
  stack: text({ value: 'NAME', help: 'the stack to read in a cdktf outputs file holding several' }),
  project: text({ value: 'ID', help: 'Google Cloud project (overrides the file; default $GOOGLE_CLOUD_PROJECT)' }),
  region: text({ value: 'REGION', help: 'region of the workflows' }),
  dataset: text({ value: 'DATASET', help: 'BigQuery dataset of the pipeline' }),
  bucket: text({ value: 'BUCKET', help: 'work bucket' }),
  prefix: text({ value: 'NAME', help: "the construct's name prefix, when the pipeline's names carry it (NAME-master-orchestrator, ...)" }),
  'master-workflow': text({ value: 'NAME', help: 'master orchestrator workflow, when not the default name' }),
  'batch-workflow': text({ value: 'NAME', help: 'batch workflow, when not the default name' }),
  'vertex-region': text({ value: 'REGION', help: "region of the Vertex AI jobs, when not the workflows' region" }),
  'results-table': text({ value: 'TABLE', help: 'results table, when not the default name' }),
  location: text({ value: 'LOCATION', help: 'BigQuery location of the dataset' }),
});

/** Every target option, declared once; the type ties the names to `TargetOption` in `ops/config`. */
export const TARGET_OPTIONS: typeof declared & Record<TargetOption, OptionSpec> = declared;

export const TARGET_TITLE = 'Which pipeline (--local DIR, or a deployment from tapctl.json or these options)';
