import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../command';

/** package.json of this package, from the source tree or the compiled one. */
function packageJson(): { version: string } {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string };
    if (path.dirname(dir) === dir) throw new Error(`package.json not found above ${__dirname}`);
  }
}

export const command: Command = {
  name: 'version',
  summary: 'Print the package version.',
  usage: 'usage: tapctl version',
  async run(_argv, io) {
    io.stdout.write(`${packageJson().version}\n`);
    return 0;
  },
};
