import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { integer, options, parseOptions, text, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { resolveTarget } from '../../ops/config';
import { withTarget } from '../../ops/target';
import { UsageError } from '../../ops/errors';
import { openWorkspaceExplorer } from '../../ops/explore';
import { explorerHtml } from '../../ops/explore-html';
import { PRIMARY_ANALYSIS, EXPLORER_LIMITS } from '../../contract';

/** Options shared with `tapctl serve`: which analysis and which calls. */
export const EXPLORE_OPTIONS = options({
  analysis: text({ value: 'NAME', default: PRIMARY_ANALYSIS, help: 'the analysis whose results to explore' }),
  since: text({ value: 'DATE', help: 'only calls from this date or instant on (by the call time, or when analysed without one)' }),
});

const HTML_OPTIONS = options({
  html: text({ value: 'FILE', required: true, help: 'the page to write: one file, no network needed to open it' }),
  sample: integer({
    value: 'N',
    min: 0,
    max: EXPLORER_LIMITS.maxSampleRows,
    default: EXPLORER_LIMITS.sampleRows,
    help: 'calls the page carries with their transcripts (the most recent); the charts count every call',
  }),
});

const usage = usageText(
  'usage: tapctl explore --local DIR [--analysis NAME] [--since DATE] [--sample N] --html FILE',
  `Writes one self-contained page over an analysis's results: a chart per field (values, yes/no
share, histogram, commonest keywords), calls over time, breakdowns by agent and channel, errors by
type, and a table of calls with filters, search and one call's view (its transcript, every field,
its errors). Charts are computed in SQL over every call; the page carries a bounded sample of
calls and says so. \`tapctl serve\` shows the same page with filters answered by queries.`,
  [
    ['Options', { ...EXPLORE_OPTIONS, ...HTML_OPTIONS }],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

export const command: Command = {
  name: 'explore',
  summary: "Write a page exploring an analysis's results: charts per field, trends, calls and transcripts.",
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...EXPLORE_OPTIONS, ...HTML_OPTIONS, ...TARGET_OPTIONS });
    const target = resolveTarget(values, io.env, io.cwd);
    if (target.kind !== 'local') {
      throw new UsageError('explore reads a laptop work folder for now: give --local DIR (the folder tapctl local run used)');
    }
    const file = path.resolve(io.cwd, values.html);
    return withTarget(target, io.env, async (open) => {
      const explorer = await openWorkspaceExplorer(open.local!, { analysis: values.analysis, since: values.since });
      const summary = await explorer.summarize((step) => io.stderr.write(`explore: ${step}\n`));
      io.stderr.write(`explore: the ${values.sample} most recent calls\n`);
      const calls = await explorer.calls({}, 0, values.sample);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, explorerHtml({ explorer, summary, calls, sampleLimit: values.sample, generatedAt: new Date().toISOString() }));
      io.stderr.write(`wrote ${file}: ${summary.calls} calls, ${summary.fields.length} fields, ${calls.rows.length} calls carried\n`);
      return 0;
    });
  },
};
