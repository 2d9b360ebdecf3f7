import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { options, parseOptions, text, toggle, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { resolveTarget } from '../../ops/config';
import { UsageError } from '../../ops/errors';
import { withTarget } from '../../ops/target';
import { evaluateAnalysis, evaluateText, givenBaseline, GoldLabel } from '../../ops/compare';
import { readAnalysis } from '../laptop-run';
import { ANALYSIS_NAME, PRIMARY_ANALYSIS, TABLE_NAMES } from '../../contract';
import type { OpsWarehouse } from '../../ops/queries';

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
  declaration: text({
    value: 'FILE',
    help: "in the cloud: the deployed declaration of the analysis (a deployment does not keep it), checked against its results' version; not needed for the default analysis",
  }),
  json: toggle('print the report as JSON'),
});

const usage = usageText(
  'usage: tapctl evaluate --gold FILE.jsonl [--analysis NAME] [--declaration FILE] [--json] [which pipeline]',
  `Compares an analysis's current results with human labels, field by field: the share of equal
values for categories and numbers (with Cohen's kappa for categories), word and item overlap for
text and lists, and some disagreements. On a laptop work folder (--local DIR) or a deployment,
whose results it reads and nothing more.`,
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

/** The deployment's tables, `pass1`'s results under the deployment's name for them. */
function deployed(warehouse: OpsWarehouse, resultsTable: string): OpsWarehouse {
  return { table: (id) => warehouse.table(id === TABLE_NAMES.results ? resultsTable : id), query: (s) => warehouse.query(s) };
}

export const command: Command = {
  name: 'evaluate',
  summary: "Compare an analysis's results with human labels: agreement per field.",
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...EVALUATE_OPTIONS, ...TARGET_OPTIONS });
    const target = resolveTarget(values, io.env, io.cwd);
    if (target.kind === 'local' && values.declaration) {
      throw new UsageError('--declaration is for a deployment: a work folder keeps its declarations');
    }
    const declaration = values.declaration ? readAnalysis(values.declaration, io.cwd, values.analysis) : undefined;
    const gold = readGold(path.resolve(io.cwd, values.gold));
    return withTarget(target, io.env, async (open) => {
      const report = await evaluateAnalysis(
        open.local
          ? { warehouse: open.local.warehouse, store: open.local.store, analysis: values.analysis, gold }
          : {
              warehouse: deployed(open.cloud!.warehouse(), target.kind === 'cloud' ? target.config.resultsTable : TABLE_NAMES.results),
              analysis: values.analysis,
              gold,
              resolveSpec: givenBaseline(declaration, '--declaration'),
              where: open.where,
            },
      );
      io.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : evaluateText(report));
      return 0;
    });
  },
};
