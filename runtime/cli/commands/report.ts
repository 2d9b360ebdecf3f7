import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';
import { options, parseOptions, text, toggle, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { recoverCommand, resolveTarget } from '../../ops/config';
import { chooseExecution, requireExecution, withTarget } from '../../ops/target';
import { loadReport, reportText } from '../../ops/report';
import { reportHtml } from '../../ops/html-report';

const REPORT_OPTIONS = options({
  execution: text({ value: 'ID', help: 'the execution (default: the latest one)' }),
  html: text({
    value: 'FILE',
    help: 'also write a page with charts (batches over time, errors by type, throughput) that opens offline in any browser',
  }),
  json: toggle('print the summary as JSON'),
});

const usage = usageText(
  'usage: tapctl report [--execution ID] [--html FILE] [--json] [which pipeline]',
  `Prints an execution's summary: records, batches, errors by type, tokens, estimated cost,
duration, and the key metrics. The summary is computed from the tables as they are now, by the
same code as the reporter job's, so after a recovery it says what a new reporter run would.`,
  [
    ['Options', REPORT_OPTIONS],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

export const command: Command = {
  name: 'report',
  summary: "Print an execution's summary; --html writes a page with charts.",
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...REPORT_OPTIONS, ...TARGET_OPTIONS });
    const target = resolveTarget(values, io.env, io.cwd);
    return withTarget(target, io.env, async (open) => {
      const executionId = await chooseExecution(open, values.execution);
      const report = {
        ...(await loadReport(open.queries, executionId, open.where, new Date(), await requireExecution(open, executionId))),
        recover: recoverCommand(target, executionId, io.cwd),
      };
      if (values.json) io.stdout.write(JSON.stringify(report.summary, null, 2) + '\n');
      else io.stdout.write(reportText(report));
      if (values.html) {
        const file = path.resolve(io.cwd, values.html);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, reportHtml(report));
        io.stderr.write(`wrote ${file}\n`);
      }
      return 0;
    });
  },
};
