import { Command } from '../command';
import { options, parseOptions, text, toggle, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { resolveTarget } from '../../ops/config';
import { requireExecution, withTarget } from '../../ops/target';
import { integer } from '../../ops/format';

const CLEAR_OPTIONS = options({
  execution: text({ value: 'ID', required: true, help: 'the execution whose history to delete' }),
  yes: toggle('delete without asking'),
});

const usage = usageText(
  'usage: tapctl clear-history --execution ID [--yes] [which pipeline]',
  `Deletes what an execution settled, so that its records are analysed again by the next run: its
processed_records rows (deduplication) and its results rows. Error history stays. Shows the
counts first and asks for confirmation, unless --yes.`,
  [
    ['Options', CLEAR_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

/** Reads one line from a stream (the operator's answer), or '' at its end. */
export function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl !== -1) finish(text.slice(0, nl));
    };
    const onEnd = () => finish(text);
    const finish = (line: string) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.pause?.();
      resolve(line.replace(/\r$/, ''));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.resume?.();
  });
}

export const command: Command = {
  name: 'clear-history',
  summary: "Delete an execution's processed records so they are analysed again.",
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...CLEAR_OPTIONS, ...TARGET_OPTIONS });
    const executionId = values.execution;
    const target = resolveTarget(values, io.env, io.cwd);
    return withTarget(target, io.env, async (open) => {
      await requireExecution(open, executionId);
      const counts = await open.queries.historyCounts(executionId);
      if (counts.processedRecords === 0 && counts.results === 0) {
        io.stdout.write(`Execution ${executionId} has no processed records in ${open.where}: nothing to clear.\n`);
        return 0;
      }
      io.stdout.write(
        `Execution ${executionId} settled ${integer(counts.processedRecords)} records (processed_records) ` +
          `and wrote ${integer(counts.results)} results in ${open.where}.\n`,
      );
      if (!values.yes) {
        io.stdout.write(`Delete them, so that the next run analyses these records again? Type "yes" to confirm: `);
        const stdin = (io as { stdin?: NodeJS.ReadableStream }).stdin ?? process.stdin;
        const answer = (await readLine(stdin)).trim().toLowerCase();
        if (answer !== 'yes' && answer !== 'y') {
          io.stdout.write('\nNothing deleted.\n');
          return 1;
        }
      }
      await open.queries.clearHistory(executionId);
      io.stdout.write(
        `Deleted ${integer(counts.processedRecords)} processed records and ${integer(counts.results)} results of ${executionId}.\n`,
      );
      return 0;
    });
  },
};
