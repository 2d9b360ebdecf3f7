import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { list, options, parseOptions, text, toggle, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { resolveTarget } from '../../ops/config';
import { OperatorError, UsageError } from '../../ops/errors';
import { CloudForgetSite, forgetCloud, forgetLocal, ForgetOutcome, ForgetPlan, planCloudForget, planLocalForget } from '../../ops/forget';
import { integer } from '../../ops/format';
import { openTarget } from '../../ops/target';
import { readLine } from './clear-history';

const FORGET_OPTIONS = options({
  record: list('a record (transcript) id to forget; give it once per record', 'ID'),
  file: text({ value: 'FILE', help: 'a file of record ids, one per line (blank lines and lines starting with # are skipped)' }),
  source: toggle("delete the records' source rows too (the laptop's source table belongs to the pipeline)"),
  yes: toggle('delete without asking'),
  json: toggle('print what was deleted as one JSON object'),
});

const usage = usageText(
  'usage: tapctl forget (--record ID... | --file IDS.txt) [--source] [--yes] [--json] [which pipeline]',
  `Deletes records everywhere the pipeline keeps them: their rows in every results table (all
analysis versions), processed_records, error_tracking, batch_assignments and batch_inputs; the lines
of the run files that name them (requests, predictions, staged commits) and of the logs; with
--source, their source rows. Records each erasure in the forgotten table as a hash of the id and the
time, never the id. Shows what it will delete and asks, unless --yes. Running it again deletes
nothing more. In a deployed pipeline, --source deletes from the dataset's transcription_pass_2,
which exists only when the pipeline owns its source.`,
  [
    ['Options', FORGET_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
  'Exit status: 0 when done (or nothing to delete), 1 when not confirmed, 2 for a usage mistake.',
);

function readIds(record: readonly string[], file: string | undefined, cwd: string): string[] {
  if (record.length > 0 && file !== undefined) throw new UsageError('give --record or --file, not both');
  let ids = record.map((id) => id.trim());
  if (file !== undefined) {
    const full = path.resolve(cwd, file);
    if (!fs.existsSync(full)) throw new UsageError(`--file: file not found: ${full}`);
    ids = fs
      .readFileSync(full, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    if (ids.length === 0) throw new UsageError(`--file ${file}: no record ids in it (one per line)`);
  }
  if (ids.length === 0) throw new UsageError('name the records to forget: --record ID (once per record) or --file IDS.txt');
  const empty = ids.findIndex((id) => id === '');
  if (empty >= 0) throw new UsageError(`--record: record ${empty + 1} is empty`);
  return [...new Set(ids)];
}

function describe(plan: ForgetPlan, where: string): string {
  const lines = [`${plan.records} record(s) in ${where}:`];
  for (const t of plan.tables) lines.push(`  ${t.table.padEnd(36)} ${integer(t.rows)} rows`);
  if (plan.source !== undefined) lines.push(`  ${'source table'.padEnd(36)} ${integer(plan.source)} rows`);
  const fileLines = plan.files.reduce((n, f) => n + f.lines, 0);
  lines.push(`  ${'run files and logs'.padEnd(36)} ${integer(fileLines)} lines in ${plan.files.length} files`);
  return lines.join('\n') + '\n';
}

const nothing = (plan: ForgetPlan) => plan.tables.every((t) => t.rows === 0) && (plan.source ?? 0) === 0 && plan.files.length === 0;

export const command: Command = {
  name: 'forget',
  summary: 'Delete records from every table and run file (an erasure request, a retention rule).',
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...FORGET_OPTIONS, ...TARGET_OPTIONS });
    const ids = readIds(values.record, values.file, io.cwd);
    const target = resolveTarget(values, io.env, io.cwd);
    const open = await openTarget(target, io.env);
    try {
      let site: { plan: () => Promise<ForgetPlan>; forget: () => Promise<ForgetOutcome> };
      if (target.kind === 'local') {
        // The work folder is checked and free (no run holds it); the forget opens it on its own.
        await open.close();
        site = {
          plan: () => planLocalForget(target.dir, ids, values.source),
          forget: () => forgetLocal(target.dir, ids, values.source),
        };
      } else {
        const bucket = target.config.workBucket;
        if (!bucket)
          throw new OperatorError(
            'forget needs the work bucket, to delete the run files',
            'give --bucket, or the stack outputs in tapctl.json',
          );
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { GcsStore } = require('../../adapters/gcp/gcs-store') as typeof import('../../adapters/gcp/gcs-store');
        const cloud: CloudForgetSite = {
          warehouse: open.cloud!.warehouse(),
          store: new GcsStore({ projectId: target.config.projectId, bucket, apiEndpoint: io.env.STORAGE_EMULATOR_HOST || undefined }),
          resultsTable: target.config.resultsTable,
        };
        site = { plan: () => planCloudForget(cloud, ids, values.source), forget: () => forgetCloud(cloud, ids, values.source) };
      }
      const plan = await site.plan();
      const out = values.json ? io.stderr : io.stdout;
      out.write(describe(plan, open.where));
      if (!values.yes && !nothing(plan)) {
        out.write('Delete all of it, for good? Type "yes" to confirm: ');
        const stdin = (io as { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin;
        const answer = (await readLine(stdin)).trim().toLowerCase();
        if (answer !== 'yes' && answer !== 'y') {
          out.write('\nNothing deleted.\n');
          return 1;
        }
      }
      const outcome = await site.forget();
      if (values.json) {
        io.stdout.write(JSON.stringify(outcome) + '\n');
      } else {
        const rows = outcome.tables.reduce((n, t) => n + t.rows, 0) + (outcome.source ?? 0);
        const lines = outcome.files.reduce((n, f) => n + f.lines, 0);
        io.stdout.write(
          nothing(outcome)
            ? `Nothing left to delete for these ${ids.length} record(s).\n`
            : `Deleted ${integer(rows)} rows and ${integer(lines)} run file and log lines; ${outcome.recorded} erasure(s) recorded in forgotten.\n`,
        );
      }
      return 0;
    } finally {
      if (target.kind !== 'local') await open.close();
    }
  },
};
