/** Structured log lines: one JSON object per line, with `severity` and `message` for Cloud Logging. */
import type { LogContext, Severity } from '../contract';
import type { Logger } from './ports';

/** A logger that writes JSON lines through `write`, adding the context and a timestamp to each. */
export function jsonLogger(context: LogContext, write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  return {
    log(severity, message, fields) {
      write(JSON.stringify({ severity, message, ...context, ...fields, time: now().toISOString() }) + '\n');
    },
  };
}

/** A logger that keeps its lines, for tests and the local twin. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ severity: Severity; message: string } & Record<string, unknown>> = [];
  log(severity: Severity, message: string, fields?: Readonly<Record<string, unknown>>): void {
    this.lines.push({ severity, message, ...fields });
  }
}

/** Error details fit for a log line. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const variable = (error as { variable?: unknown }).variable;
    return { error: error.message, error_name: error.name, ...(typeof variable === 'string' ? { variable } : {}) };
  }
  return { error: String(error) };
}
