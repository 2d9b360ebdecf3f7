/**
 * Which laptop runs are alive. DuckDB lets one process at a time open a work folder's database, so
 * a process that has the folder open knows that no other process is running a pipeline there: an
 * execution without a final row is alive only if this very process is running it, and otherwise
 * its process died before it finished (killed, crashed, closed laptop).
 */
import * as path from 'node:path';

const running = new Set<string>();

function key(workdir: string, executionId: string): string {
  return `${path.resolve(workdir)}\u0000${executionId}`;
}

/** Marks a run as alive in this process; the function returned marks it ended. */
export function markRunning(workdir: string, executionId: string): () => void {
  const k = key(workdir, executionId);
  running.add(k);
  return () => running.delete(k);
}

/** Whether this process is running the execution in the work folder (no other process can be). */
export function isRunningHere(workdir: string, executionId: string): boolean {
  return running.has(key(workdir, executionId));
}
