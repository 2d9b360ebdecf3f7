/**
 * What a laptop run and a laptop recovery share in a work folder: its storage (dying as the crash
 * faults ask, and wrapped when a caller observes it), the run's log, and the local deployment
 * (jobs, Vertex AI, connectors, workflows) on a virtual clock that starts after every earlier run's
 * writes.
 */
import type { DuckDbWarehouse, FolderStore } from '../adapters/local';
import type { JobKind } from '../contract';
import { localClockStart, localDeployment, LocalDeployment, RunLog } from './deployment';
import type { LocalSettings } from './environment';
import type { Faults } from './faults';
import { Mortality, mortalStore, mortalWarehouse } from './mortal';
import type { LineAnalyzer } from './vertex';

/** The work folder's warehouse and store, as a run uses them. */
export interface LocalStorage {
  readonly warehouse: DuckDbWarehouse;
  readonly store: FolderStore;
}

export type StorageWrapper = (storage: LocalStorage) => LocalStorage;

/** The storage a run or recovery works on: the work folder's, dying with `crash-after-writes` or `-commits`, then wrapped. */
export function runStorage(storage: LocalStorage, faults: Faults | undefined, wrap: StorageWrapper | undefined): LocalStorage {
  let out = storage;
  const mortality = faults?.crashAfterWrites
    ? new Mortality(faults.crashAfterWrites)
    : faults?.crashAfterCommits
      ? new Mortality(faults.crashAfterCommits, 'warehouse')
      : undefined;
  if (mortality) out = { warehouse: mortalWarehouse(out.warehouse, mortality), store: mortalStore(out.store, mortality) };
  return wrap ? wrap(out) : out;
}

export interface SessionOptions {
  readonly faults?: Faults;
  /** Answers Vertex AI requests. @default - the local analyzer, or `modelEndpoint` */
  readonly analyze?: LineAnalyzer;
  /** A real model endpoint: the Gemini API's version root or an OpenAI-compatible `/v1` root. */
  readonly modelEndpoint?: { readonly url: string; readonly apiKey?: string };
  /** Wraps the work folder's warehouse and store before the session uses them (to observe or fail writes). */
  readonly wrapStorage?: StorageWrapper;
  /** Called with what a job returned, when it succeeds. */
  readonly onJobFinished?: (kind: JobKind, result: unknown) => void;
}

export interface LocalSession extends LocalStorage, LocalDeployment {
  /** The execution's log file in the work folder; close it when the session ends. */
  readonly log: RunLog;
}

/** Opens a session on a work folder for one execution. */
export async function openSession(
  workspace: LocalStorage & { readonly dir: string },
  executionId: string,
  settings: LocalSettings,
  options: SessionOptions,
): Promise<LocalSession> {
  const log = new RunLog(workspace.dir, executionId);
  const storage = runStorage(workspace, options.faults, options.wrapStorage);
  const deployment = localDeployment({
    ...storage,
    settings,
    log,
    faults: options.faults,
    analyze: options.analyze,
    modelEndpoint: options.modelEndpoint,
    onJobFinished: options.onJobFinished,
    clockStart: await localClockStart(storage.warehouse),
  });
  return { ...storage, ...deployment, log };
}
