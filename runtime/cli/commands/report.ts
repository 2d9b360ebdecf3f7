import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, UsageError } from '../command';
import { parseArgs } from '../args';
import { recoverCommand, resolveTarget, TARGET_FLAGS, TARGET_USAGE } from '../../ops/config';
import { chooseExecution, requireExecution, withTarget } from '../../ops/target';
import { loadReport, reportText } from '../../ops/report';
import { reportHtml } from '../../ops/html-report';

const usage = `usage: tapctl report [--execution ID] [--html FILE] [--json] [where]

Prints an execution's summary (the latest execution by default): records, batches, errors by type,
tokens, estimated cost, duration. While the run goes on, the summary is computed from the tables.
--html FILE also writes a page with charts (batches over time, errors by type, throughput) that
opens offline in any browser.

${TARGET_USAGE}`;

export const command: Command = {
  name: 'report',
  summary: "Print an execution's summary; --html writes a page with charts.",
  usage,
  async run(argv, io) {
    const args = parseArgs(argv, { ...TARGET_FLAGS, execution: 'string', html: 'string', json: 'boolean' });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const target = resolveTarget(args, io.env, io.cwd);
    return withTarget(target, io.env, async (open) => {
      const executionId = await chooseExecution(open, args.flags.execution as string | undefined);
      const report = {
        ...(await loadReport(open.queries, executionId, open.where, new Date(), await requireExecution(open, executionId))),
        recover: recoverCommand(target, executionId, io.cwd),
      };
      if (args.flags.json) io.stdout.write(JSON.stringify(report.summary, null, 2) + '\n');
      else io.stdout.write(reportText(report));
      if (args.flags.html) {
        const file = path.resolve(io.cwd, String(args.flags.html));
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, reportHtml(report));
        io.stderr.write(`wrote ${file}\n`);
      }
      return 0;
    });
  },
};
