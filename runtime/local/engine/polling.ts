/**
 * How a connector waits on a long-running operation, and what the polls cost in steps.
 *
 * Google: "the connector polls the long-running operation ... with exponential backoff of 1.25,
 * starting at 1 second and slowing to 60 seconds between polls. Each polling attempt counts as a
 * billable step"; `connector_params.polling_policy {initial_delay, multiplier, max_delay}` changes
 * the schedule and `skip_polling: true` returns at once. The engine runs the handler, reads how much
 * virtual time the operation took, and counts the polls that schedule would have made in that time.
 *
 * @see https://cloud.google.com/workflows/docs/connectors (section "Long-running operations")
 * @see https://cloud.google.com/workflows/docs/reference/googleapis ("Invoke a connector call")
 */
import { raise } from './errors';
import { Value, WfMap, isNumber, typeName } from './values';

/** Seconds between polls: `initialDelay`, then times `multiplier` each time, never above `maxDelay`. */
export interface PollingPolicy {
  readonly initialDelay: number;
  readonly multiplier: number;
  readonly maxDelay: number;
}

/** Google's default: 1 s, x1.25, at most 60 s. */
export const DEFAULT_POLLING: PollingPolicy = { initialDelay: 1, multiplier: 1.25, maxDelay: 60 };

/**
 * Connector methods whose reference page says "This method waits ... until the operation is
 * complete" (or that gcp-facts.md quotes as long-running), so a call polls. Callers add others
 * with `RunOptions.longRunningConnectors`.
 */
export const LONG_RUNNING_CONNECTORS: ReadonlySet<string> = new Set([
  // GA/run/v2/projects.locations.jobs/run and /create; GA/run/v1/namespaces.jobs/run and /create.
  'googleapis.run.v2.projects.locations.jobs.run',
  'googleapis.run.v2.projects.locations.jobs.create',
  'googleapis.run.v1.namespaces.jobs.run',
  'googleapis.run.v1.namespaces.jobs.create',
  // GA/workflowexecutions/v1/projects.locations.workflows.executions/run and /create.
  'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.run',
  'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create',
  // WD/poll-bigquery-job: jobs.insert is treated as long-running and blocks until the job is done.
  'googleapis.bigquery.v2.jobs.insert',
  // GA/dataflow/v1b3/projects.jobs/create, GA/dataflow/v1b3/projects.locations.jobs/create.
  'googleapis.dataflow.v1b3.projects.jobs.create',
  'googleapis.dataflow.v1b3.projects.locations.jobs.create',
  // GA/aiplatform/{v1,v1beta1}/projects.locations.pipelineJobs/create.
  'googleapis.aiplatform.v1.projects.locations.pipelineJobs.create',
  'googleapis.aiplatform.v1beta1.projects.locations.pipelineJobs.create',
  // GA/workflows/v1beta/projects.locations.workflows/create.
  'googleapis.workflows.v1beta.projects.locations.workflows.create',
  // Google's GKE connector sample: creating and deleting a cluster wait for the operation.
  'googleapis.container.v1.projects.zones.clusters.create',
  'googleapis.container.v1.projects.zones.clusters.delete',
  // GA/compute/v1/globalOperations/wait, GA/translate/v3/projects.locations.operations/wait.
  'googleapis.compute.v1.globalOperations.wait',
  'googleapis.translate.v3.projects.locations.operations.wait',
]);

/** Tolerance for sums of binary fractions (1.25^n is exact, 1.1^n is not). */
const EPSILON = 1e-9;

/**
 * The number of polls a connector makes on an operation that finishes `seconds` after it starts:
 * the first poll whose time is at or after the end sees it done. Computed, not simulated: the
 * growing delays are summed (a few dozen at most) and the capped ones divided out, so a year-long
 * operation costs as little as a one-second one.
 */
export function pollsFor(seconds: number, policy: PollingPolicy = DEFAULT_POLLING): number {
  if (!(seconds > EPSILON)) return 0;
  const { initialDelay, multiplier, maxDelay } = policy;
  const cap = Math.min(initialDelay, maxDelay);
  if (multiplier === 1 || initialDelay >= maxDelay) return Math.ceil(seconds / cap - EPSILON);
  let elapsed = 0;
  let polls = 0;
  for (let delay = initialDelay; delay < maxDelay; delay *= multiplier) {
    elapsed += delay;
    polls++;
    if (elapsed >= seconds - EPSILON) return polls;
  }
  return polls + Math.ceil((seconds - elapsed) / maxDelay - EPSILON);
}

/** What `connector_params` says about polling. */
export interface PollingParams {
  readonly skip: boolean;
  readonly policy: PollingPolicy;
}

function positive(name: string, v: Value | undefined, fallback: number, min: number, inclusive: boolean): number {
  if (v === undefined) return fallback;
  if (!isNumber(v)) raise('TypeError', `connector_params.polling_policy.${name} must be a number, got ${typeName(v)}`);
  const n = Number(v);
  // Our choice: Google gives no bounds; a schedule that never advances or shrinks is refused.
  if (inclusive ? n < min : n <= min)
    raise('ValueError', `connector_params.polling_policy.${name} must be ${inclusive ? 'at least' : 'more than'} ${min}, got ${n}`);
  return n;
}

/**
 * Reads `connector_params.skip_polling` and `connector_params.polling_policy` of a connector call's
 * arguments (Google's defaults where a field is absent).
 */
export function pollingParams(args: WfMap | null): PollingParams {
  const params = args?.get('connector_params');
  if (params === undefined || params === null) return { skip: false, policy: DEFAULT_POLLING };
  if (!(params instanceof Map)) return raise('TypeError', `connector_params must be a map, got ${typeName(params)}`);
  const skip = params.get('skip_polling');
  if (skip !== undefined && typeof skip !== 'boolean')
    raise('TypeError', `connector_params.skip_polling must be a bool, got ${typeName(skip)}`);
  const p = params.get('polling_policy');
  if (p === undefined || p === null) return { skip: skip === true, policy: DEFAULT_POLLING };
  if (!(p instanceof Map)) return raise('TypeError', `connector_params.polling_policy must be a map, got ${typeName(p)}`);
  for (const k of p.keys()) {
    if (k !== 'initial_delay' && k !== 'multiplier' && k !== 'max_delay')
      raise('ValueError', `connector_params.polling_policy takes initial_delay, multiplier and max_delay, not ${JSON.stringify(k)}`);
  }
  return {
    skip: skip === true,
    policy: {
      initialDelay: positive('initial_delay', p.get('initial_delay'), DEFAULT_POLLING.initialDelay, 0, false),
      multiplier: positive('multiplier', p.get('multiplier'), DEFAULT_POLLING.multiplier, 1, true),
      maxDelay: positive('max_delay', p.get('max_delay'), DEFAULT_POLLING.maxDelay, 0, false),
    },
  };
}
