/**
 * Log-based metrics, alert policies and a dashboard for one pipeline, built on the log lines the
 * jobs and the batch workflow write (`runtime/contract/logging.ts`).
 */
import { Construct } from 'constructs';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringDashboard } from '@cdktf/provider-google/lib/monitoring-dashboard';
import { ITerraformDependable } from 'cdktf';
import { LOG_EVENTS } from '../../runtime/contract/logging';
import { checkPattern, checkRange, fail, NOTIFICATION_CHANNEL } from '../private/validation';

/** Monitored resource type of Workflows' log entries and metrics. */
export const WORKFLOW_RESOURCE = 'workflows.googleapis.com/Workflow';
/** Monitored resource type of Cloud Run jobs' log entries. */
export const CLOUD_RUN_JOB_RESOURCE = 'cloud_run_job';

export interface MonitoringProps {
  readonly projectId: string;
  /** Prefix of the metric and policy names. */
  readonly namePrefix: string;
  readonly masterWorkflowName: string;
  readonly batchWorkflowName: string;
  /** Names of the four Cloud Run jobs. */
  readonly jobNames: readonly string[];
  /**
   * Notification channels (`projects/P/notificationChannels/ID`) the alerts go to.
   *
   * @default [] - alerts are recorded in Cloud Monitoring only
   */
  readonly notificationChannels?: readonly string[];
  /**
   * Share of batch attempts that may fail within `alertWindowSeconds` before the alert fires.
   *
   * @default 0.2
   */
  readonly batchFailureRateThreshold?: number;
  /** Window of the batch failure rate. @default 3600 */
  readonly alertWindowSeconds?: number;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** `field="value"`, quoted as the Logging query language wants it. */
function eq(field: string, value: string): string {
  return `${field}=${JSON.stringify(value)}`;
}

function anyOf(field: string, values: readonly string[]): string {
  return values.length === 1 ? eq(field, values[0]!) : `(${values.map((v) => eq(field, v)).join(' OR ')})`;
}

/** Log filters of the pipeline's metrics (exported for tests and for `gcloud logging read`). */
export function logFilters(p: { batchWorkflowName: string; jobNames: readonly string[] }) {
  const batchWorkflow = [eq('resource.type', WORKFLOW_RESOURCE), eq('resource.labels.workflow_id', p.batchWorkflowName)];
  const jobs = [eq('resource.type', CLOUD_RUN_JOB_RESOURCE), anyOf('resource.labels.job_name', p.jobNames)];
  return {
    batchFailures: [...batchWorkflow, eq('jsonPayload.event', LOG_EVENTS.batchFailed)].join(' AND '),
    batchAttempts: [...batchWorkflow, anyOf('jsonPayload.event', [LOG_EVENTS.batchFailed, LOG_EVENTS.batchSucceeded])].join(' AND '),
    recordErrors: [...jobs, eq('jsonPayload.event', LOG_EVENTS.recordErrors)].join(' AND '),
    jobFailures: [...jobs, eq('jsonPayload.event', LOG_EVENTS.jobFailed)].join(' AND '),
  };
}

/**
 * Metrics: batch failures and attempts (from the batch workflow's `sys.log`), record errors by
 * `error_type` and job failures (from the jobs' JSON logs). Alerts: a failed master execution, and
 * a batch failure rate over `batchFailureRateThreshold`. A dashboard shows them with the runs.
 */
export class Monitoring extends Construct {
  /** Counts failed batch attempts, from the batch workflow's log. */
  public readonly batchFailuresMetric: LoggingMetric;
  /** Counts every batch attempt, from the batch workflow's log. */
  public readonly batchAttemptsMetric: LoggingMetric;
  /** The distribution of record errors per batch, by `error_type`, from the processor's log. */
  public readonly recordErrorsMetric: LoggingMetric;
  /** Counts job failures by job, from the jobs' JSON logs. */
  public readonly jobFailuresMetric: LoggingMetric;
  /** Fires when a master orchestrator execution fails. */
  public readonly masterFailedAlert: MonitoringAlertPolicy;
  /** Fires when failed batch attempts exceed `batchFailureRateThreshold` of all attempts in the window. */
  public readonly batchFailureRateAlert: MonitoringAlertPolicy;
  /** The pipeline's dashboard. */
  public readonly dashboard: MonitoringDashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const threshold = props.batchFailureRateThreshold ?? 0.2;
    const window = props.alertWindowSeconds ?? 3600;
    if (threshold <= 0 || threshold > 1 || !Number.isFinite(threshold)) {
      fail('batchFailureRateThreshold', threshold, 'a number above 0 and at most 1');
    }
    checkRange('alertWindowSeconds', window, 60, 86400);
    (props.notificationChannels ?? []).forEach((channel, i) =>
      checkPattern(`notificationChannels[${i}]`, channel, NOTIFICATION_CHANNEL, 'a channel name projects/PROJECT/notificationChannels/ID'),
    );
    const filters = logFilters(props);
    const counter = { metricKind: 'DELTA', valueType: 'INT64', unit: '1' };
    const common = { project: props.projectId, dependsOn: props.dependsOn };

    this.batchFailuresMetric = new LoggingMetric(this, 'BatchFailures', {
      ...common,
      name: `${props.namePrefix}-batch-failures`,
      description: 'Failed batch attempts (batch workflow, event batch_failed).',
      filter: filters.batchFailures,
      metricDescriptor: { ...counter, displayName: `${props.namePrefix} batch failures` },
    });
    this.batchAttemptsMetric = new LoggingMetric(this, 'BatchAttempts', {
      ...common,
      name: `${props.namePrefix}-batch-attempts`,
      description: 'Finished batch attempts, failed or succeeded (batch workflow).',
      filter: filters.batchAttempts,
      metricDescriptor: { ...counter, displayName: `${props.namePrefix} batch attempts` },
    });
    this.recordErrorsMetric = new LoggingMetric(this, 'RecordErrors', {
      ...common,
      name: `${props.namePrefix}-record-errors`,
      description: 'Records that failed in a batch, by error type (jobs, event record_errors, value count).',
      filter: filters.recordErrors,
      valueExtractor: 'EXTRACT(jsonPayload.count)',
      labelExtractors: { error_type: 'EXTRACT(jsonPayload.error_type)', job: 'EXTRACT(jsonPayload.job)' },
      bucketOptions: { exponentialBuckets: { numFiniteBuckets: 20, growthFactor: 2, scale: 1 } },
      metricDescriptor: {
        metricKind: 'DELTA',
        valueType: 'DISTRIBUTION',
        unit: '1',
        displayName: `${props.namePrefix} record errors`,
        labels: [
          { key: 'error_type', valueType: 'STRING', description: 'error_tracking.error_type' },
          { key: 'job', valueType: 'STRING', description: 'Job that found the errors.' },
        ],
      },
    });
    this.jobFailuresMetric = new LoggingMetric(this, 'JobFailures', {
      ...common,
      name: `${props.namePrefix}-job-failures`,
      description: 'Job task attempts that failed (event job_failed), by job.',
      filter: filters.jobFailures,
      labelExtractors: { job: 'EXTRACT(jsonPayload.job)' },
      metricDescriptor: {
        ...counter,
        displayName: `${props.namePrefix} job failures`,
        labels: [{ key: 'job', valueType: 'STRING', description: 'Job that failed.' }],
      },
    });

    const userMetric = (m: LoggingMetric) => `metric.type="logging.googleapis.com/user/${m.name}"`;
    const channels = [...(props.notificationChannels ?? [])];
    const labels = { ...props.labels };
    const masterFailedFilter = [
      eq('resource.type', WORKFLOW_RESOURCE),
      eq('resource.label.workflow_id', props.masterWorkflowName),
      eq('metric.type', 'workflows.googleapis.com/finished_execution_count'),
      eq('metric.label.status', 'FAILED'),
    ].join(' AND ');

    this.masterFailedAlert = new MonitoringAlertPolicy(this, 'MasterFailed', {
      ...common,
      displayName: `${props.namePrefix}: analysis run failed`,
      combiner: 'OR',
      severity: 'ERROR',
      notificationChannels: channels,
      userLabels: labels,
      documentation: {
        mimeType: 'text/markdown',
        content:
          `An execution of the workflow ${props.masterWorkflowName} failed. ` +
          'Find it with `gcloud workflows executions list`, read its error, and re-run the failed batches with `tapctl recover`.',
      },
      conditions: [
        {
          displayName: 'master workflow execution failed',
          conditionThreshold: {
            filter: masterFailedFilter,
            comparison: 'COMPARISON_GT',
            thresholdValue: 0,
            duration: '0s',
            aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' }],
            trigger: { count: 1 },
          },
        },
      ],
      alertStrategy: { autoClose: '86400s' },
    });

    const ratioAggregation = [{ alignmentPeriod: `${window}s`, perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' }];
    this.batchFailureRateAlert = new MonitoringAlertPolicy(this, 'BatchFailureRate', {
      ...common,
      displayName: `${props.namePrefix}: batch failure rate above ${threshold}`,
      combiner: 'OR',
      severity: 'WARNING',
      notificationChannels: channels,
      userLabels: labels,
      documentation: {
        mimeType: 'text/markdown',
        content:
          `More than ${threshold * 100} % of batch attempts failed within ${window} s. ` +
          'Failed batches are retried by the master; look at the `batch_status` view and the Vertex AI jobs.',
      },
      conditions: [
        {
          displayName: 'batch failure rate',
          conditionThreshold: {
            filter: `${userMetric(this.batchFailuresMetric)} AND ${eq('resource.type', WORKFLOW_RESOURCE)}`,
            denominatorFilter: `${userMetric(this.batchAttemptsMetric)} AND ${eq('resource.type', WORKFLOW_RESOURCE)}`,
            aggregations: ratioAggregation,
            denominatorAggregations: ratioAggregation,
            comparison: 'COMPARISON_GT',
            thresholdValue: threshold,
            duration: '0s',
            trigger: { count: 1 },
          },
        },
      ],
      alertStrategy: { autoClose: '86400s' },
    });

    this.dashboard = new MonitoringDashboard(this, 'Dashboard', {
      ...common,
      dashboardJson: JSON.stringify(
        dashboardJson(props, {
          batchFailures: userMetric(this.batchFailuresMetric),
          batchAttempts: userMetric(this.batchAttemptsMetric),
          recordErrors: userMetric(this.recordErrorsMetric),
          jobFailures: userMetric(this.jobFailuresMetric),
        }),
      ),
    });
  }
}

function chart(title: string, filter: string, aligner: string, groupBy: string[], plotType = 'LINE') {
  return {
    title,
    xyChart: {
      dataSets: [
        {
          plotType,
          timeSeriesQuery: {
            timeSeriesFilter: {
              filter,
              aggregation: { alignmentPeriod: '300s', perSeriesAligner: aligner, crossSeriesReducer: 'REDUCE_SUM', groupByFields: groupBy },
            },
          },
        },
      ],
    },
  };
}

function dashboardJson(
  props: MonitoringProps,
  metrics: Record<'batchFailures' | 'batchAttempts' | 'recordErrors' | 'jobFailures', string>,
) {
  const widgets = [
    chart(
      'Master workflow executions by status',
      [
        eq('resource.type', WORKFLOW_RESOURCE),
        eq('resource.label.workflow_id', props.masterWorkflowName),
        eq('metric.type', 'workflows.googleapis.com/finished_execution_count'),
      ].join(' AND '),
      'ALIGN_SUM',
      ['metric.label.status'],
      'STACKED_BAR',
    ),
    chart('Batch attempts', metrics.batchAttempts, 'ALIGN_SUM', [], 'STACKED_BAR'),
    chart('Batch failures', metrics.batchFailures, 'ALIGN_SUM', [], 'STACKED_BAR'),
    // A distribution sums only across series; split by error_type in Metrics Explorer.
    chart('Record errors per batch and type (distribution of counts)', metrics.recordErrors, 'ALIGN_DELTA', [], 'HEATMAP'),
    chart('Job failures by job', metrics.jobFailures, 'ALIGN_SUM', ['metric.label.job'], 'STACKED_BAR'),
    chart(
      'Cloud Run job executions by result',
      `${eq('resource.type', CLOUD_RUN_JOB_RESOURCE)} AND ${anyOf('resource.label.job_name', props.jobNames)} AND ${eq(
        'metric.type',
        'run.googleapis.com/job/completed_execution_count',
      )}`,
      'ALIGN_SUM',
      ['resource.label.job_name', 'metric.label.result'],
      'STACKED_BAR',
    ),
  ];
  return {
    displayName: `Transcript analysis pipeline (${props.namePrefix})`,
    labels: Object.fromEntries(Object.keys(props.labels ?? {}).map((k) => [k, ''])),
    mosaicLayout: {
      columns: 48,
      tiles: widgets.map((widget, i) => ({ xPos: (i % 2) * 24, yPos: Math.floor(i / 2) * 16, width: 24, height: 16, widget })),
    },
  };
}
