/**
 * The monitoring resources, and proof that each log-based metric's filter matches the log entries
 * the jobs and the batch workflow really write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { jsonLogger } from '../../runtime/core/log';
import { ERROR_TYPE_NAMES, LOG_EVENTS, WORKFLOW_FILES } from '../../runtime/contract';
import { CLOUD_RUN_JOB_RESOURCE, WORKFLOW_RESOURCE } from '../../lib';
import { findResource, resources, synthPipelines, Synthesized } from './helpers';

type LogEntry = Record<string, unknown>;

/**
 * A log entry as Cloud Logging makes it from a JSON line on a Cloud Run job's stdout: the object
 * becomes `jsonPayload`, except `severity` and `time`, which become the entry's own fields.
 */
function cloudRunEntry(line: string, jobName: string): LogEntry {
  const { severity, time, ...payload } = JSON.parse(line) as Record<string, unknown>;
  return {
    severity,
    timestamp: time,
    resource: { type: 'cloud_run_job', labels: { job_name: jobName, location: 'europe-west1', project_id: 'my-project-123' } },
    jsonPayload: payload,
  };
}

/** A log entry as Workflows writes it for `sys.log` with a `data` map. */
function workflowEntry(data: Record<string, unknown>, severity: string, workflowId: string): LogEntry {
  return {
    severity,
    resource: {
      type: 'workflows.googleapis.com/Workflow',
      labels: { workflow_id: workflowId, location: 'europe-west1', resource_container: 'my-project-123' },
    },
    jsonPayload: data,
  };
}

function get(entry: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), entry);
}

/**
 * Evaluates the subset of the Logging query language the metrics use: `field="value"`, `AND`,
 * `OR` and parentheses. As in Logging, OR binds tighter than AND.
 */
function matches(filter: string, entry: LogEntry): boolean {
  const tokens = filter.match(/\(|\)|"(?:[^"\\]|\\.)*"|=|[^\s()=]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (expected !== undefined && t !== expected) throw new Error(`expected ${expected}, got ${t} in ${filter}`);
    return t!;
  };
  const primary = (): boolean => {
    if (peek() === '(') {
      take('(');
      const v = and();
      take(')');
      return v;
    }
    const field = take();
    take('=');
    const value = JSON.parse(take()) as string;
    const actual = get(entry, field);
    return actual !== undefined && String(actual) === value;
  };
  const or = (): boolean => {
    let v = primary();
    while (peek() === 'OR') {
      take('OR');
      v = primary() || v;
    }
    return v;
  };
  const and = (): boolean => {
    let v = or();
    while (peek() === 'AND') {
      take('AND');
      v = or() && v;
    }
    return v;
  };
  const result = and();
  if (i !== tokens.length) throw new Error(`unparsed rest of filter: ${tokens.slice(i).join(' ')}`);
  return result;
}

/** `EXTRACT(jsonPayload.x)` applied to an entry. */
function extract(extractor: string, entry: LogEntry): unknown {
  const field = /^EXTRACT\(([\w.]+)\)$/.exec(extractor)?.[1];
  if (!field) throw new Error(`unsupported extractor ${extractor}`);
  return get(entry, field);
}

/** The `data` map of the batch workflow's sys.log step for an event, with sample values. */
function workflowLogData(event: string): Record<string, unknown> {
  const doc = parseYaml(fs.readFileSync(path.join(__dirname, '..', '..', WORKFLOW_FILES.batch), 'utf8'));
  let found: Record<string, unknown> | undefined;
  const walk = (node: unknown): void => {
    if (found || node === null || typeof node !== 'object') return;
    const n = node as Record<string, any>;
    if (n.call === 'sys.log' && n.args?.data?.event === event) found = n.args;
    for (const v of Object.values(n)) walk(v);
  };
  walk(doc);
  if (!found) throw new Error(`no sys.log with event ${event} in ${WORKFLOW_FILES.batch}`);
  const data = found.data as Record<string, unknown>;
  return { ...Object.fromEntries(Object.keys(data).map((k) => [k, `sample-${k}`])), event, severity: found.severity };
}

describe('monitoring', () => {
  let s: Synthesized;
  const metric = (suffix: string) => findResource(s.json, 'google_logging_metric', (m) => m.name === `tap-${suffix}`);
  beforeAll(() => {
    s = synthPipelines({ notificationChannels: ['projects/my-project-123/notificationChannels/42'], batchFailureRateThreshold: 0.3 });
  });

  test('uses the resource types the filters name', () => {
    expect([WORKFLOW_RESOURCE, CLOUD_RUN_JOB_RESOURCE]).toEqual(['workflows.googleapis.com/Workflow', 'cloud_run_job']);
  });

  test('the record errors metric matches what the processor logs, and extracts count and error_type', () => {
    const lines: string[] = [];
    const log = jsonLogger({ job: 'processor', execution_id: 'exec-1', batch: '7', attempt: 1 }, (l) => lines.push(l));
    log.log('WARNING', '3 records failed: json_parse_error', { event: LOG_EVENTS.recordErrors, error_type: 'json_parse_error', count: 3 });
    log.log('INFO', 'batch committed', { event: LOG_EVENTS.jobFinished });
    const [errors, finished] = lines.map((l) => cloudRunEntry(l, 'tap-pass1-batch-processor'));
    const m = metric('record-errors');
    expect(matches(m.filter, errors!)).toBe(true);
    expect(matches(m.filter, finished!)).toBe(false);
    expect(matches(m.filter, cloudRunEntry(lines[0]!, 'some-other-job'))).toBe(false);
    expect(extract(m.value_extractor, errors!)).toBe(3);
    expect(ERROR_TYPE_NAMES).toContain(extract(m.label_extractors.error_type, errors!));
    expect(extract(m.label_extractors.job, errors!)).toBe('processor');
    expect(m.metric_descriptor).toMatchObject({ metric_kind: 'DELTA', value_type: 'DISTRIBUTION' });
    expect(m.metric_descriptor.labels.map((l: { key: string }) => l.key).sort()).toEqual(Object.keys(m.label_extractors).sort());
  });

  test('the record errors metric matches the line shape of the issue, for every job', () => {
    const line = JSON.stringify({
      severity: 'ERROR',
      message: '3 records failed',
      event: 'record_errors',
      error_type: 'json_parse_error',
      count: 3,
      job: 'generator',
      execution_id: 'e',
      batch: '1',
      attempt: 1,
    });
    const m = metric('record-errors');
    for (const kind of ['planner', 'generator', 'processor', 'reporter'])
      expect(matches(m.filter, cloudRunEntry(line, `tap-pass1-batch-${kind}`))).toBe(true);
  });

  test('the job failures metric matches a job_failed line and no other', () => {
    const lines: string[] = [];
    const log = jsonLogger({ job: 'planner', execution_id: 'exec-1' }, (l) => lines.push(l));
    log.log('ERROR', 'planner failed', { event: LOG_EVENTS.jobFailed, error: 'boom' });
    log.log('INFO', 'planner started', { event: LOG_EVENTS.jobStarted });
    const m = metric('job-failures');
    expect(lines.map((l) => matches(m.filter, cloudRunEntry(l, 'tap-pass1-batch-planner')))).toEqual([true, false]);
    expect(extract(m.label_extractors.job, cloudRunEntry(lines[0]!, 'tap-pass1-batch-planner'))).toBe('planner');
  });

  test('the batch metrics match the batch workflow sys.log entries', () => {
    const failed = workflowLogData(LOG_EVENTS.batchFailed);
    const succeeded = workflowLogData(LOG_EVENTS.batchSucceeded);
    expect(failed.severity).toBe('ERROR');
    const failedEntry = workflowEntry(failed, 'ERROR', 'tap-ta-sub-workflow');
    const succeededEntry = workflowEntry(succeeded, 'INFO', 'tap-ta-sub-workflow');
    const failures = metric('batch-failures');
    const attempts = metric('batch-attempts');
    expect([matches(failures.filter, failedEntry), matches(failures.filter, succeededEntry)]).toEqual([true, false]);
    expect([matches(attempts.filter, failedEntry), matches(attempts.filter, succeededEntry)]).toEqual([true, true]);
    expect(matches(attempts.filter, workflowEntry(failed, 'ERROR', 'tap-master-orchestrator'))).toBe(false);
  });

  test('alerts on a failed master execution and on the batch failure rate, to the given channels', () => {
    const policies = resources(s.json, 'google_monitoring_alert_policy').map(([, p]) => p);
    expect(policies).toHaveLength(2);
    for (const p of policies) expect(p.notification_channels).toEqual(['projects/my-project-123/notificationChannels/42']);
    const master = policies.find((p) => p.conditions[0].condition_threshold.filter.includes('finished_execution_count'))!;
    expect(master.conditions[0].condition_threshold.filter).toContain('resource.label.workflow_id="tap-master-orchestrator"');
    expect(master.conditions[0].condition_threshold.filter).toContain('metric.label.status="FAILED"');
    const rate = policies.find((p) => p.conditions[0].condition_threshold.denominator_filter)!;
    const c = rate.conditions[0].condition_threshold;
    expect(c.threshold_value).toBe(0.3);
    expect(c.filter).toMatch(
      /logging\.googleapis\.com\/user\/\$\{google_logging_metric\.Pipeline_Monitoring_BatchFailures_[A-F0-9]+\.name\}/,
    );
    expect(c.denominator_filter).toMatch(/\$\{google_logging_metric\.Pipeline_Monitoring_BatchAttempts_[A-F0-9]+\.name\}/);
  });

  test('builds a dashboard over the metrics', () => {
    const dashboard = JSON.parse(findResource(s.json, 'google_monitoring_dashboard', () => true).dashboard_json);
    expect(dashboard.displayName).toBe('Transcript analysis pipeline (tap)');
    const filters = dashboard.mosaicLayout.tiles
      .map((t: any) => t.widget.xyChart.dataSets[0].timeSeriesQuery.timeSeriesFilter.filter)
      .join('\n');
    for (const name of ['BatchFailures', 'BatchAttempts', 'RecordErrors', 'JobFailures'])
      expect(filters).toContain(`Pipeline_Monitoring_${name}_`);
    expect(filters).toContain('run.googleapis.com/job/completed_execution_count');
  });

  test('the filter evaluator itself tells matches from misses', () => {
    const entry = { a: { b: 'x' }, c: 1 };
    expect(matches('a.b="x" AND (c="1" OR c="2")', entry)).toBe(true);
    expect(matches('a.b="y" AND (c="1" OR c="2")', entry)).toBe(false);
    expect(matches('a.b="x" AND c="3" OR c="1"', entry)).toBe(true);
  });
});
