/**
 * `tapctl`: the pipeline's command line. Each command lives in `commands/<name>.ts` and exports
 * `command`; they are found at start-up so that commands can be added without touching this file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommandIo } from './command';
import { UsageError } from '../ops/errors';

const COMMANDS_DIR = path.join(__dirname, 'commands');

function loadCommands(): Map<string, () => Command> {
  const found = new Map<string, () => Command>();
  for (const file of fs.readdirSync(COMMANDS_DIR).sort()) {
    if (!/\.(ts|js)$/.test(file) || file.endsWith('.d.ts')) continue;
    const name = file.replace(/\.(ts|js)$/, '');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    found.set(name, () => (require(path.join(COMMANDS_DIR, file)) as { command: Command }).command);
  }
  return found;
}

function help(commands: Map<string, () => Command>): string {
  const lines = ['usage: tapctl COMMAND [options]', '', 'Commands:'];
  for (const [name, load] of commands) lines.push(`  ${name.padEnd(16)} ${load().summary}`);
  lines.push('', "Run `tapctl COMMAND --help` for a command's options.");
  return lines.join('\n') + '\n';
}

/** Runs tapctl with argv (without `node tapctl`), resolving to the exit code. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  const commands = loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(help(commands));
    return name ? 0 : 2;
  }
  const load = commands.get(name);
  if (!load) {
    io.stderr.write(`tapctl: unknown command "${name}"\n\n${help(commands)}`);
    return 2;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`tapctl ${name}: ${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    io.stderr.write(`tapctl ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module || process.argv[1]?.endsWith('tapctl.js') || process.argv[1]?.endsWith('tapctl')) {
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then((code) => {
    process.exitCode = code;
  });
}
