/** The two kinds of error the operator commands raise on purpose. */

/** A mistake in what was asked (an option, a config file): printed with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error an operator can act on: what happened, and what to do. */
export class OperatorError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(`${message}\n  what to do: ${hint}`);
    this.name = 'OperatorError';
  }
}
