/**
 * The connector handlers that let the local Workflows engine run `workflows/*.yaml` unchanged:
 * each Google API the YAML calls is answered by a local stand-in, in the REST shapes of the real
 * connectors (gcp-facts.md §2). Anything else the YAML might call fails with an error naming it.
 */
import { createHash } from 'node:crypto';
import { LOCAL_LAYOUT } from '../contract';
import { NotFoundError, type ObjectStore, type Warehouse } from '../core/ports';
import type { ConnectorHandlers, HandlerContext } from './engine';
import type { LocalCloudRun } from './cloud-run';
import type { LocalExecutions } from './executions';
import type { LocalVertexAi } from './vertex';

export interface LocalConnectorOptions {
  readonly store: ObjectStore;
  readonly warehouse: Warehouse;
  readonly cloudRun: LocalCloudRun;
  readonly vertex: LocalVertexAi;
  /** The Workflow Executions API: the children the workflows start, run and list. */
  readonly executions: LocalExecutions;
}

function httpError(code: number, message: string): Record<string, unknown> {
  return { code, message, tags: ['HttpError'], body: { error: { code, message } } };
}

function requireString(args: Record<string, unknown>, name: string, call: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value === '') throw httpError(400, `${call}: argument "${name}" is required`);
  return value;
}

/** Builds the handler map for one local deployment. */
export function localConnectors(options: LocalConnectorOptions): ConnectorHandlers {
  const { store, warehouse, cloudRun, vertex, executions } = options;

  return {
    /** run.v2 jobs.run: an LRO the connector waits for; the result is the Execution. */
    'googleapis.run.v2.projects.locations.jobs.run': async (args) =>
      cloudRun.run(requireString(args, 'name', 'jobs.run'), args.body as Record<string, unknown> | undefined),

    /** storage.v1 objects.get with alt=media returns the content, JSON decoded. */
    'googleapis.storage.v1.objects.get': async (args) => {
      const bucket = requireString(args, 'bucket', 'objects.get');
      const object = decodeURIComponent(requireString(args, 'object', 'objects.get'));
      if (bucket !== store.bucket) throw httpError(404, `The specified bucket does not exist: ${bucket}`);
      let text: string;
      try {
        text = await store.readText(object);
      } catch (error) {
        if (error instanceof NotFoundError) throw httpError(404, `No such object: ${bucket}/${object}`);
        throw error;
      }
      if (args.alt !== 'media') return { bucket, name: object, size: String(Buffer.byteLength(text)) };
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    },

    /**
     * storage.v1 objects.insert with `uploadType: media`: the body becomes the object (a map or list
     * as JSON, a string as itself). `ifGenerationMatch: 0` creates it only if it does not exist,
     * else HTTP 412, as Cloud Storage answers.
     */
    'googleapis.storage.v1.objects.insert': async (args) => {
      const bucket = requireString(args, 'bucket', 'objects.insert');
      const name = requireString(args, 'name', 'objects.insert');
      if (bucket !== store.bucket) throw httpError(404, `The specified bucket does not exist: ${bucket}`);
      if (args.uploadType !== 'media') throw httpError(400, 'objects.insert: only uploadType "media" is supported by the local connector');
      const body = args.body;
      const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
      const precondition = args.ifGenerationMatch;
      if (precondition !== undefined && String(precondition) !== '0') {
        throw httpError(400, 'objects.insert: the local connector supports ifGenerationMatch 0 only');
      }
      if (precondition !== undefined) {
        if (!(await store.createText(name, text))) {
          throw httpError(412, 'At least one of the pre-conditions you specified did not hold.');
        }
      } else {
        await store.writeText(name, text);
      }
      return { kind: 'storage#object', bucket, name, size: String(Buffer.byteLength(text)) };
    },

    /** aiplatform.v1 batchPredictionJobs.create: returns the job at once (not an LRO). */
    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create': async (args, ctx) =>
      vertex.create(requireString(args, 'parent', 'batchPredictionJobs.create'), (args.body ?? {}) as Record<string, unknown>, ctx.now()),

    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.get': async (args, ctx) =>
      vertex.get(requireString(args, 'name', 'batchPredictionJobs.get'), ctx.now()),

    /** aiplatform.v1 batchPredictionJobs.list: `{batchPredictionJobs: [...]}`, filtered by `display_name="..."`. */
    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.list': async (args, ctx) =>
      vertex.list(
        requireString(args, 'parent', 'batchPredictionJobs.list'),
        typeof args.filter === 'string' ? args.filter : undefined,
        ctx.now(),
      ),

    'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.cancel': async (args, ctx) =>
      vertex.cancel(requireString(args, 'name', 'batchPredictionJobs.cancel'), ctx.now()),

    /** bigquery.v2 tabledata.insertAll: appends rows; a repeated insertId is written once. */
    'googleapis.bigquery.v2.tabledata.insertAll': async (args) => {
      const dataset = requireString(args, 'datasetId', 'tabledata.insertAll');
      const table = requireString(args, 'tableId', 'tabledata.insertAll');
      if (dataset !== LOCAL_LAYOUT.dataset) throw httpError(404, `Not found: Dataset ${String(args.projectId)}:${dataset}`);
      const rows = (args.body as { rows?: { insertId?: string; json?: Record<string, unknown> }[] } | undefined)?.rows ?? [];
      for (const row of rows) {
        if (!row.json || typeof row.json !== 'object') throw httpError(400, 'tabledata.insertAll: every row needs a json object');
        const key = createHash('sha256')
          .update(`${table}\u0000${row.insertId ?? JSON.stringify(row.json)}`)
          .digest('hex')
          .slice(0, 24);
        const path = `_streaming/${table}/${key}.jsonl`;
        await store.writeText(path, JSON.stringify(row.json) + '\n');
        await warehouse.load(table, path, `insert_${key}`);
      }
      return { kind: 'bigquery#tableDataInsertAllResponse' };
    },

    /**
     * workflowexecutions.v1 executions.list. A work folder runs one pipeline at a time (DuckDB holds
     * its file), so of a workflow the twin did not start (the master) the only active execution is
     * the caller; of the batch workflow, the children the master started.
     */
    'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list': async (args, ctx: HandlerContext) => {
      const parent = requireString(args, 'parent', 'executions.list');
      if (executions.knows(parent)) return executions.list(parent, args);
      return { executions: [{ name: `${parent}/executions/${ctx.execution.id}`, state: 'ACTIVE' }] };
    },

    /** workflowexecutions.v1 executions.create: starts a child; with skip_polling returns it at once. */
    'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.create': async (args, ctx: HandlerContext) => {
      const parent = requireString(args, 'parent', 'executions.create');
      const skip = (args.connector_params as { skip_polling?: boolean } | undefined)?.skip_polling === true;
      return executions.create(parent, (args.body ?? {}) as { argument?: unknown; labels?: unknown }, ctx, skip);
    },

    /** workflowexecutions.v1 executions.run: runs the child and returns its result. */
    'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.run': async (args, ctx: HandlerContext) =>
      executions.run(requireString(args, 'workflow_id', 'executions.run'), args.argument, ctx),
  };
}
