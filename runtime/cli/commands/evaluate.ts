import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { options, parseOptions, text, toggle, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { resolveTarget } from '../../ops/config';
import { UsageError } from '../../ops/errors';
import { withTarget } from '../../ops/target';
import { evaluateAnalysis, evaluateText, GoldLabel } from '../../ops/compare';
import { ANALYSIS_NAME, PRIMARY_ANALYSIS } from '../../contract';

const EVALUATE_OPTIONS = options({
  analysis: text({
    value: 'NAME',
    default: PRIMARY_ANALYSIS,
    help: 'the analysis whose current results are evaluated',
    pattern: { test: ANALYSIS_NAME.pattern, says: ANALYSIS_NAME.says },
  }),
  gold: text({
    value: 'FILE',
    required: true,
    help: 'human labels, JSON lines: {"record_id": "...", "<field>": <expected value>, ...}, any of the fields',
  }),
  json: toggle('print the report as JSON'),
});

const usage = usageText(
  'usage: tapctl evaluate --gold FILE.jsonl [--analysis NAME] [--json] --local DIR',
  `Compares an analysis's current results with human labels, field by field: the share of equal
values for categories and numbers (with Cohen's kappa for categories), word and item overlap for
text and lists, and some disagreements. Runs on a laptop work folder for now.`,
  [
    ['Options', EVALUATE_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

/** Reads the labels, refusing the whole file with every bad line's number. */
function readGold(file: string): GoldLabel[] {
  if (!fs.existsSync(file)) throw new UsageError(`--gold: file not found: ${file}`);
  const labels: GoldLabel[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch (error) {
        problems.push(`${i + 1}: not JSON (${(error as Error).message})`);
        return;
      }
      const { record_id: id, ...expected } = (doc ?? {}) as Record<string, unknown>;
      if (typeof id !== 'string' || id === '') problems.push(`${i + 1}: needs a record_id string`);
      else if (seen.has(id)) problems.push(`${i + 1}: record ${id} is labelled twice`);
      else {
        seen.add(id);
        labels.push({ recordId: id, expected });
      }
    });
  if (problems.length > 0) throw new UsageError(`--gold ${file}:\n${problems.map((p) => `  line ${p}`).join('\n')}`);
  if (labels.length === 0) throw new UsageError(`--gold ${file}: no labels`);
  return labels;
}

export const command: Command = {
  name: 'evaluate',
  summary: "Compare an analysis's results with human labels: agreement per field.",
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...EVALUATE_OPTIONS, ...TARGET_OPTIONS });
    const target = resolveTarget(values, io.env, io.cwd);
    if (target.kind !== 'local') throw new UsageError('evaluate runs on a laptop work folder for now: give --local DIR');
    const gold = readGold(path.resolve(io.cwd, values.gold));
    return withTarget(target, io.env, async (open) => {
      const report = await evaluateAnalysis({
        warehouse: open.local!.warehouse,
        store: open.local!.store,
        analysis: values.analysis,
        gold,
      });
      io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : evaluateText(report));
      return 0;
    });
  },
};
