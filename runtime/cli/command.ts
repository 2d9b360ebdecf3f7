/** What every `tapctl` command module exports as `command`. */
export interface Command {
  /** The first word after `tapctl`. */
  readonly name: string;
  /** One line for `tapctl --help`. */
  readonly summary: string;
  /** Full usage text for `tapctl NAME --help`. */
  readonly usage: string;
  /** Runs with the words after the command name; resolves to the exit code. */
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}
