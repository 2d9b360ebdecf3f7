/**
 * The workflows' own fallbacks and limits are the contract's (runtime/contract/limits.ts): the
 * construct always sets the variables, but a workflow deployed by hand falls back to these.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, EXECUTION_ID, LIMITS, WORKFLOW_ENV, WORKFLOW_FILES } from '../../runtime/contract';

const source = (file: string) => fs.readFileSync(path.join(__dirname, '..', '..', file), 'utf8');

describe("the workflows' settings", () => {
  test("each sys.get_env fallback of a setting is the contract's default", () => {
    const fallbacks = new Map<string, string>();
    for (const file of Object.values(WORKFLOW_FILES)) {
      for (const m of source(file).matchAll(/sys\.get_env\("([A-Z_]+)", "([^"]*)"\)/g)) fallbacks.set(m[1]!, m[2]!);
    }
    expect(Object.fromEntries(fallbacks)).toMatchObject({
      [WORKFLOW_ENV.batchSize]: String(DEFAULTS.batchSize),
      [WORKFLOW_ENV.maxConcurrentBatches]: String(DEFAULTS.maxConcurrentBatches),
      [WORKFLOW_ENV.maxBatchAttempts]: String(DEFAULTS.maxBatchAttempts),
      [WORKFLOW_ENV.pollIntervalSeconds]: String(DEFAULTS.pollIntervalSeconds),
    });
  });

  test("the master refuses plans over the contract's batches per run, and lanes over its concurrency limit", () => {
    const master = source(WORKFLOW_FILES.master);
    expect([...master.matchAll(/plan\.batch_count > (\d+)/g)].map((m) => Number(m[1]))).toEqual([LIMITS.maxBatchesPerRun]);
    expect(master).toContain(`max_concurrent > ${LIMITS.maxConcurrentBatches}`);
  });

  test("both workflows check an execution id with the contract's pattern, which tapctl run checks too", () => {
    for (const file of [WORKFLOW_FILES.master, WORKFLOW_FILES.batch]) {
      const patterns = [...source(file).matchAll(/text\.match_regex\(execution_id, "([^"]+)"\)/g)].map((m) => m[1]);
      expect(patterns).toEqual([EXECUTION_ID.pattern.source]);
    }
  });
});
