import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { integer, options, parseOptions, text, toggle, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { readAnalysis } from '../laptop-run';
import { resolveTarget } from '../../ops/config';
import { UsageError } from '../../ops/errors';
import { withTarget } from '../../ops/target';
import { compareAnalyses, compareHtml, CompareReport, compareText, lineByLine } from '../../ops/compare';
import { WAIT_OPTIONS } from '../run-options';
import { ANALYSIS_NAME, LIMITS, PRIMARY_ANALYSIS, SOURCE_ROLES, TABLE_NAMES } from '../../contract';

const COMPARE_OPTIONS = options({
  analysis: text({ value: 'FILE', required: true, help: 'the candidate declaration (JSON), a changed version of the baseline' }),
  baseline: text({
    value: 'NAME',
    default: PRIMARY_ANALYSIS,
    help: 'the analysis whose current results the candidate is compared with',
    pattern: { test: ANALYSIS_NAME.pattern, says: ANALYSIS_NAME.says },
  }),
  sample: integer({ value: 'N', min: 1, max: LIMITS.maxBatchSize, required: true, help: 'records to run the candidate on' }),
  seed: integer({ value: 'S', min: 0, max: 2 ** 31, default: 1, help: 'seed of the sample: the same seed draws the same records' }),
  'baseline-analysis': text({
    value: 'FILE',
    help: "in the cloud: the deployed declaration of the baseline (a deployment does not keep it), checked against its results' version; not needed for the default analysis",
  }),
  'source-table': text({
    value: 'PROJECT.DATASET.TABLE',
    help: "in the cloud: the transcripts, when the deployment was given a source table of its own (the construct's source.table)",
    pattern: { test: /^[a-z][a-z0-9.:-]*\.[A-Za-z0-9_]+\.[A-Za-z0-9_-]+$/, says: 'a qualified table name, project.dataset.table' },
  }),
  'source-id-column': text({ value: 'COLUMN', default: SOURCE_ROLES.id, help: "in the cloud: the source table's record id column" }),
  'source-text-column': text({ value: 'COLUMN', default: SOURCE_ROLES.text, help: "in the cloud: the source table's transcript column" }),
  interval: { ...WAIT_OPTIONS.interval, help: "in the cloud: seconds between two looks at the Vertex AI job's state" },
  'model-endpoint': text({
    value: 'URL',
    help: "on a laptop: send the candidate's requests to a real model instead of the local analyzer: the Gemini API's version root or an OpenAI-compatible /v1 root; the key, if any, is read from $TAP_MODEL_API_KEY",
    pattern: { test: /^https?:\/\/\S+$/, says: 'an http(s) URL' },
  }),
  json: toggle('print the report as JSON'),
  html: text({ value: 'FILE', help: 'also write the report as a page that opens offline in any browser' }),
});

const usage = usageText(
  'usage: tapctl compare --analysis CANDIDATE.json --sample N [--baseline NAME] [--seed S] [--json] [--html FILE] [which pipeline]',
  `Runs a changed analysis on a reproducible sample of records that have a result of the baseline
(stratified over its categorical fields), writes the candidate's answers to the table
analysis_comparisons (never to a results table), and reports per field how far the two agree
(categories and numbers: the share of equal values, with Cohen's kappa for categories; text and
lists: word and item overlap), changed values, tokens and cost per record for both, what
re-analysing every record would cost, and both error rates. An unchanged declaration agrees 1.0.
On a laptop (--local DIR) the local analyzer or --model-endpoint answers the candidate; against a
deployment the sample goes through one Vertex AI batch job, with its requests and output in the
work bucket under comparisons/; the same compare run again finds that job instead of sending the
sample again.`,
  [
    ['Options', COMPARE_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

export const command: Command = {
  name: 'compare',
  summary: 'Try a changed analysis on a sample of analysed records: agreement per field, cost and errors, before running it on all.',
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...COMPARE_OPTIONS, ...TARGET_OPTIONS });
    const target = resolveTarget(values, io.env, io.cwd);
    const candidate = readAnalysis(values.analysis, io.cwd, 'candidate');
    const endpoint = values['model-endpoint'];
    const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
    const output = (report: CompareReport) => {
      io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : compareText(report));
      if (values.html) {
        const file = path.resolve(io.cwd, values.html);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, compareHtml(report));
        io.stderr.write(`wrote ${file}\n`);
      }
      return 0;
    };
    if (target.kind === 'cloud') {
      if (endpoint)
        throw new UsageError('--model-endpoint is for a laptop work folder: in the cloud the candidate is answered by Vertex AI');
      const baselineFile = values['baseline-analysis'];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { compareInCloud } = require('../../ops/compare-cloud') as typeof import('../../ops/compare-cloud');
      return output(
        await compareInCloud({
          config: target.config,
          env: io.env,
          candidate,
          baseline: values.baseline,
          baselineSpec: baselineFile ? readAnalysis(baselineFile, io.cwd, 'baseline') : undefined,
          sample: values.sample,
          seed: values.seed,
          source: {
            table: values['source-table'] ?? TABLE_NAMES.source,
            idColumn: values['source-id-column'],
            textColumn: values['source-text-column'],
          },
          pollSeconds: values.interval,
          onProgress: (line) => io.stderr.write(`${line}\n`),
        }),
      );
    }
    const cloudOnly = (['baseline-analysis', 'source-table'] as const).filter((k) => values[k] !== undefined);
    if (cloudOnly.length > 0)
      throw new UsageError(`--${cloudOnly[0]} is for a deployment: a work folder keeps its declarations and transcripts`);
    return withTarget(target, io.env, async (open) => {
      const local = open.local!;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { analyzeLine } = require('../../adapters/local/analyzer') as typeof import('../../adapters/local/analyzer');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { answerLine } = require('../../adapters/local/model-endpoint') as typeof import('../../adapters/local/model-endpoint');
      const report = await compareAnalyses({
        warehouse: local.warehouse,
        store: local.store,
        candidate,
        baseline: values.baseline,
        sample: values.sample,
        seed: values.seed,
        answer: lineByLine(
          endpoint
            ? (line) => answerLine(line, { url: endpoint, apiKey: io.env.TAP_MODEL_API_KEY || undefined, model: candidate.model })
            : async (line) => analyzeLine(line),
          (done, total) => {
            if (tty) io.stderr.write(`\r${done}/${total} records answered\x1b[K${done === total ? '\n' : ''}`);
          },
        ),
      });
      return output(report);
    });
  },
};
