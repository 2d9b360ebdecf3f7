/**
 * A `Warehouse` on the DuckDB test engine, for running the jobs in-process. Loads read the staged
 * JSONL from the object store and remember their job id, answering `already_done` for a second
 * call with the same id, as BigQuery's 409 does.
 */
import type { ObjectStore, Statement, Warehouse } from '../../runtime/core/ports';
import { DuckEngine } from './duck-engine';

export class EngineWarehouse implements Warehouse {
  loads = 0;
  constructor(
    readonly engine: DuckEngine,
    private readonly store: ObjectStore,
    private readonly projectId = 'test-project',
    private readonly dataset = 'tap',
  ) {}

  table(tableId: string): string {
    return tableId.includes('.') ? `\`${tableId}\`` : `\`${this.projectId}.${this.dataset}.${tableId}\``;
  }

  async query<T = Record<string, unknown>>(statement: Statement): Promise<T[]> {
    return (await this.engine.run(statement)).rows as T[];
  }

  async *stream<T = Record<string, unknown>>(statement: Statement): AsyncIterable<T> {
    for (const row of (await this.engine.run(statement)).rows) yield row as T;
  }

  async load(tableId: string, objectPath: string, jobId: string): Promise<'loaded' | 'already_done'> {
    if (this.engine.loadJobs.has(jobId)) return 'already_done';
    const text = await this.store.readText(objectPath);
    const rows = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    await this.engine.insert(tableId, rows);
    this.engine.loadJobs.set(jobId, tableId);
    this.loads++;
    return 'loaded';
  }

  async close(): Promise<void> {}
}
