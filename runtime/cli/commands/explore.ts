import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { integer, options, parseOptions, text, usageText, Values } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { resolveTarget, Target } from '../../ops/config';
import { withTarget } from '../../ops/target';
import { explorerHtml, missingNote } from '../../ops/explore-html';
import { openTargetExplorer, readAnalysisFile, TargetExplorerOptions } from '../../ops/explore-target';
import { AnalysisSpec, PRIMARY_ANALYSIS, EXPLORER_LIMITS } from '../../contract';

/** The option that names the analysis's declaration file. */
export const ANALYSIS_FILE = 'analysis-file';

/** Options shared with `tapctl serve`: which analysis, its declaration and which calls. */
export const EXPLORE_OPTIONS = options({
  analysis: text({ value: 'NAME', default: PRIMARY_ANALYSIS, help: 'the analysis whose results to explore' }),
  [ANALYSIS_FILE]: text({
    value: 'FILE',
    help: "the analysis's declaration (JSON, as deployed): enum values, booleans, descriptions (default: a work folder's saved one; on a deployment none, each field charted by its column type)",
  }),
  since: text({ value: 'DATE', help: 'only calls from this date or instant on (by the call time, or when analysed without one)' }),
});

/** What the explorer is asked for, from the shared options; `notes` say how the page was made. */
export function exploreChoice(
  values: Values<typeof EXPLORE_OPTIONS>,
  target: Target,
  cwd: string,
): TargetExplorerOptions & { readonly notes: readonly string[] } {
  const file = values[ANALYSIS_FILE];
  const spec: AnalysisSpec | undefined = file === undefined ? undefined : readAnalysisFile(file, cwd, `--${ANALYSIS_FILE}`);
  const notes =
    spec === undefined && target.kind === 'cloud'
      ? [
          `No analysis declaration was given: each field of ${values.analysis} is charted by its column type (text as keywords, not as values). Give --${ANALYSIS_FILE} FILE, the declaration it was deployed with, for enum values, yes/no shares and descriptions.`,
        ]
      : [];
  return { analysis: values.analysis, since: values.since, spec, notes };
}

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
  `usage: tapctl explore (--local DIR | deployment options) [--analysis NAME] [--${ANALYSIS_FILE} FILE] [--since DATE] [--sample N] --html FILE`,
  `Writes one self-contained page over an analysis's results: a chart per field (values, yes/no
share, histogram, commonest keywords), calls over time, breakdowns by agent and channel, errors by
type, and a table of calls with filters, search and one call's view (its transcript, every field,
its errors). Charts are computed in SQL over every call; the page carries a bounded sample of
calls and says so. \`tapctl serve\` shows the same page with filters answered by queries. A work
folder keeps the analysis's declaration; for a deployment, give it with --${ANALYSIS_FILE}.`,
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
    const { notes, ...choice } = exploreChoice(values, target, io.cwd);
    for (const note of notes) io.stderr.write(`explore: ${note}\n`);
    const file = path.resolve(io.cwd, values.html);
    return withTarget(target, io.env, async (open) => {
      const explorer = await openTargetExplorer(open, choice);
      for (const note of missingNote(explorer)) io.stderr.write(`explore: ${note}\n`);
      const summary = await explorer.summarize((step) => io.stderr.write(`explore: ${step}\n`));
      io.stderr.write(`explore: the ${values.sample} most recent calls\n`);
      const calls = await explorer.calls({}, 0, values.sample);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(
        file,
        explorerHtml({ explorer, summary, calls, sampleLimit: values.sample, generatedAt: new Date().toISOString(), notes }),
      );
      io.stderr.write(`wrote ${file}: ${summary.calls} calls, ${summary.fields.length} fields, ${calls.rows.length} calls carried\n`);
      return 0;
    });
  },
};
