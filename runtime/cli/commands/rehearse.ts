import { Command } from '../command';
import { UsageError } from '../../ops/errors';
import { describeLayout } from '../../core/batch-size';
import { defaultVertexLatency, parseVertexLatency, rehearse, Rehearsal, VertexLatency } from '../../ops/rehearsal';
import { DEFAULTS, LIMITS } from '../../contract';
import { integer as count, table, usd } from '../../ops/format';
import { integer, options, parseOptions, text, toggle, usageText } from '../options';
import { ESTIMATE_OPTIONS, estimateInput, SERVICE_NAMES } from './estimate';

const latency = defaultVertexLatency();

const REHEARSE_OPTIONS = options({
  ...ESTIMATE_OPTIONS,
  'vertex-latency': text({
    value: 'SPEC',
    help:
      `how long Vertex AI jobs take: queue=MIN..MAX (drawn evenly; durations in s, m or h), per-record=S (seconds per ` +
      `request), slow-share=P (the share of slow jobs), slow-factor=F (how many times longer a slow job takes); ` +
      `default queue=0..${latency.queueSeconds[1] / 60}m,per-record=${latency.secondsPerRecord},slow-share=0,slow-factor=${latency.slowFactor}`,
  }),
  'max-batch-attempts': integer({
    value: 'N',
    min: 1,
    max: LIMITS.maxBatchAttempts,
    default: DEFAULTS.maxBatchAttempts,
    help: 'rounds of the master: the first and its retries',
  }),
  seed: integer({ value: 'S', min: 0, default: 1, help: 'seeds the queue times, the slow jobs and the batches’ text sizes' }),
  json: toggle('print the rehearsal as JSON'),
});

const usage = usageText(
  'usage: tapctl rehearse --records N [options]',
  `Rehearses a run at full size on this machine, without its data: the deployed workflows run on the
local Workflows engine's virtual clock against stand-ins of Cloud Run, Vertex AI, Cloud Storage and
BigQuery that move no record but count every billable unit and every quota. Prints the makespan
against the ideal (the work over the lanes), the cost, each quota's peak against its limit, and a
verdict. Exits 0 when the run succeeds within every quota, 3 when it does not.`,
  [['Options', REHEARSE_OPTIONS]],
);

/** The rehearsal as `--json` prints it: the library's fields, and the snake_case summary scripts read. */
export function rehearsalJson(r: Rehearsal): Record<string, unknown> {
  const { estimate: _estimate, ...rest } = r;
  return {
    ...rest,
    makespan_hours: r.makespanHours,
    ideal_hours: r.idealHours,
    cost: {
      model_usd: r.cost.modelUsd,
      pipeline_usd: r.cost.pipelineUsd,
      breakdown: r.cost.byService,
      estimated_pipeline_usd: r.cost.estimatedPipelineUsd,
    },
    quotas: r.quotas.map((q) => ({ name: q.name, peak: q.peak, limit: q.limit, ok: q.ok, says: q.says })),
    ok: r.ok,
  };
}

function latencyText(l: VertexLatency): string {
  const minutes = (s: number) => `${Math.round(s / 60)} min`;
  const tail = l.slowShare > 0 ? `, ${Math.round(l.slowShare * 100)}% of jobs ${l.slowFactor}x slower` : ', no slow tail';
  return `queue ${minutes(l.queueSeconds[0])} to ${minutes(l.queueSeconds[1])}, ${l.secondsPerRecord} s per request${tail}`;
}

function quotaNumber(n: number): string {
  return Number.isInteger(n) ? count(n) : n.toFixed(1);
}

export const command: Command = {
  name: 'rehearse',
  summary: 'Rehearse a run of N records on the virtual clock: makespan, cost and quota peaks, without data.',
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, REHEARSE_OPTIONS);
    let result: Rehearsal;
    let shown = 0;
    try {
      result = await rehearse({
        ...estimateInput(values),
        latency: values['vertex-latency'] === undefined ? undefined : parseVertexLatency(values['vertex-latency']),
        maxBatchAttempts: values['max-batch-attempts'],
        seed: values.seed,
        onProgress: values.json
          ? undefined
          : ({ hours, batchesDone, batches }) => {
              const tenth = Math.floor((10 * batchesDone) / Math.max(1, batches));
              if (tenth <= shown) return;
              shown = tenth;
              io.stderr.write(
                `rehearsing: ${count(batchesDone)} of ${count(batches)} batches done after ${hours.toFixed(1)} virtual hours\n`,
              );
            },
      });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    const r = result;
    if (values.json) {
      io.stdout.write(JSON.stringify(rehearsalJson(r), null, 2) + '\n');
      return r.ok ? 0 : 3;
    }
    const s = r.summary;
    const over = r.quotas.filter((q) => !q.ok);
    const ratio = r.makespanHours / Math.max(r.idealHours, Number.MIN_VALUE);
    const services = Object.entries(r.cost.byService)
      .map(([name, v]) => `${SERVICE_NAMES[name as keyof typeof SERVICE_NAMES]} ${usd(v)}`)
      .join(', ');
    const verdict = r.ok
      ? `ok: the run succeeds within every quota, in ${r.makespanHours.toFixed(1)} hours (${ratio.toFixed(2)}x the ideal)`
      : `NOT OK: ${[
          ...(r.state === 'SUCCEEDED' ? [] : ['the master workflow failed']),
          ...(s && s.status !== 'succeeded' ? [`${count(s.batches_failed + s.batches_unfinished)} batches left failed or unfinished`] : []),
          ...over.map((q) => `${q.name} reaches ${quotaNumber(q.peak)} of ${quotaNumber(q.limit)}`),
        ].join('; ')}`;
    io.stdout.write(
      [
        `Rehearsal of ${count(r.records)} records with ${r.estimate.model} (seed ${values.seed})`,
        `  plan               ${count(r.batches)} batches (${describeLayout(r.estimate.layout, count)} records), ${r.maxConcurrentBatches} at once`,
        `  Vertex AI          ${latencyText(r.latency)}; ${count(r.vertexJobs)} jobs, ${count(r.counts.slowJobs)} slow, ${count(r.counts.vertexJobsCut)} cut short by Google's limits`,
        `  makespan           ${r.makespanHours.toFixed(1)} hours (${(r.makespanHours / 24).toFixed(1)} days) on the virtual clock`,
        `  ideal              ${r.idealHours.toFixed(1)} hours: the plan's work over ${r.maxConcurrentBatches} lanes; makespan / ideal ${ratio.toFixed(2)}`,
        `  longest batch      ${r.longestBatchHours.toFixed(1)} hours`,
        `  model cost         ${usd(r.cost.modelUsd)} for the records answered`,
        `  pipeline cost      ${usd(r.cost.pipelineUsd)} (${services}); ${((100 * r.cost.pipelineUsd) / Math.max(r.cost.modelUsd, Number.MIN_VALUE)).toFixed(2)}% of the model's; tapctl estimate says ${usd(r.cost.estimatedPipelineUsd)}`,
        `  counted            ${count(r.counts.workflowSteps)} Workflows steps in ${count(r.counts.executions)} executions, ` +
          `${count(r.counts.loadJobs)} table loads, ${count(Math.round(r.counts.bigqueryBytesBilled / 2 ** 30))} GiB billed by queries, ` +
          `${count(Math.round(r.counts.cloudRunSeconds))} Cloud Run seconds`,
        `  outcome            ${r.state}${s ? `: ${count(s.batches_succeeded)} batches succeeded (${count(s.batches_recovered)} after a retry), ${count(s.batches_failed)} failed` : ''}`,
        '',
        'Quotas and limits (the peak the run reached, against Google’s limit):',
        '',
        table(
          ['quota', 'peak', 'limit', 'use', 'ok', 'what'],
          r.quotas.map((q) => [
            q.name,
            quotaNumber(q.peak),
            quotaNumber(q.limit),
            `${((100 * q.peak) / q.limit).toFixed(1)}%`,
            q.ok ? 'yes' : 'NO',
            q.says,
          ]),
        ),
        '',
        `Verdict: ${verdict}`,
        '',
      ].join('\n'),
    );
    return r.ok ? 0 : 3;
  },
};
