import { Command } from '../command';
import { integer, options, parseOptions, usageText } from '../options';
import { TARGET_OPTIONS, TARGET_TITLE } from '../target-options';
import { resolveTarget } from '../../ops/config';
import { startExplorerServer } from '../../ops/explore-server';
import { ANALYSIS_FILE, EXPLORE_OPTIONS, exploreChoice } from './explore';

const SERVE_OPTIONS = options({
  port: integer({ value: 'P', min: 0, max: 65535, default: 8080, help: 'port on 127.0.0.1 (0: any free port)' }),
});

const usage = usageText(
  `usage: tapctl serve (--local DIR | deployment options) [--port P] [--analysis NAME] [--${ANALYSIS_FILE} FILE] [--since DATE]`,
  `Serves the page of \`tapctl explore\` on 127.0.0.1 until interrupted (Ctrl-C). Its filters and
search are answered by queries over every call, not only a sample. The work folder (or the
deployment's dataset) is opened for each request only, so a laptop run can use it in between.`,
  [
    ['Options', { ...SERVE_OPTIONS, ...EXPLORE_OPTIONS }],
    [TARGET_TITLE, TARGET_OPTIONS],
  ],
);

export const command: Command = {
  name: 'serve',
  summary: 'Serve the results explorer on 127.0.0.1, filtering by queries over every call.',
  usage,
  async run(argv, io) {
    const { values } = parseOptions(argv, { ...SERVE_OPTIONS, ...EXPLORE_OPTIONS, ...TARGET_OPTIONS });
    const target = resolveTarget(values, io.env, io.cwd);
    const choice = exploreChoice(values, target, io.cwd);
    for (const note of choice.notes) io.stderr.write(`serve: ${note}\n`);
    const server = await startExplorerServer({
      target,
      env: io.env,
      ...choice,
      port: values.port,
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stdout.write(`serving ${server.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};
