import * as path from 'node:path';
import * as fs from 'node:fs';
import { Command } from '../command';

export const command: Command = {
  name: 'version',
  summary: 'Print the package version.',
  usage: 'usage: tapctl version',
  async run(_argv, io) {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  },
};
