/**
 * The analysis declaration: the one place the prompt, the model, the generation config and the
 * output fields are written. The results table's columns, Gemini's `responseSchema`, the processor's
 * validation and the `analysis_version` all derive from it.
 */
import { createHash } from 'node:crypto';
import type { ResolvedRedaction } from './redaction';
import { Column, ColumnType, RESULT_KEY_COLUMNS, RESULT_TRAILING_COLUMNS, TABLE_NAMES, TableSpec } from './tables';

/** Types an output field can have. `string_array` is a list of strings (a REPEATED column). */
export type AnalysisFieldType = 'string' | 'integer' | 'number' | 'boolean' | 'string_array';

export interface AnalysisField {
  /** Column name: lowercase letters, digits and `_`, starting with a letter. */
  readonly name: string;
  readonly type: AnalysisFieldType;
  /** Tells the model what to put here; also the column description. */
  readonly description: string;
  /** A record whose answer lacks a required field is an error. @default false */
  readonly required?: boolean;
  /** Allowed values, for `string` fields. */
  readonly enum?: readonly string[];
}

/** Gemini `generationConfig` fields the pipeline lets you set (REST JSON names). */
export interface GenerationConfig {
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly maxOutputTokens?: number;
  readonly seed?: number;
}

export interface AnalysisSpec {
  /** System instruction sent with every request. */
  readonly systemInstruction: string;
  /**
   * User prompt. `{transcript}` is replaced by the transcript text, `{column}` by any other source
   * column of that name.
   */
  readonly promptTemplate: string;
  /** Gemini model id, e.g. `gemini-2.5-flash`. */
  readonly model: string;
  readonly generationConfig: GenerationConfig;
  readonly fields: readonly AnalysisField[];
  /**
   * The analysis this one reads (a chained pass): it runs only for records that have a result of
   * that analysis under its current version, and its prompt may name that result's fields as
   * `{analysis.field}` next to the source columns (`{transcript}` is then optional).
   *
   * @default - none: the analysis reads the source table
   */
  readonly after?: string;
  /**
   * Personal data taken out of each transcript before any request is written, with every default
   * filled in (`resolveRedaction`), so that the version changes with the defaults too.
   * @default - no redaction
   */
  readonly redaction?: ResolvedRedaction;
}

/** Default model: a current Gemini Flash model, which batch prediction supports. */
export const DEFAULT_MODEL = 'gemini-2.5-flash';

/** The default analysis of a call transcript. */
export const DEFAULT_ANALYSIS: AnalysisSpec = {
  systemInstruction:
    'You analyse customer service call transcripts for a contact centre. Answer only from the transcript. ' +
    'Be concise and factual; when something is not said in the call, leave it out rather than guess.',
  promptTemplate: 'Analyse this call transcript and answer with the requested JSON fields.\n\nTranscript:\n{transcript}',
  model: DEFAULT_MODEL,
  generationConfig: { temperature: 0.2, topP: 0.95, maxOutputTokens: 1024 },
  fields: [
    { name: 'summary', type: 'string', required: true, description: 'Two or three sentences on what the call was about and how it ended.' },
    {
      name: 'sentiment',
      type: 'string',
      required: true,
      enum: ['positive', 'neutral', 'negative', 'mixed'],
      description: "The customer's overall sentiment.",
    },
    { name: 'topics', type: 'string_array', description: 'Up to five short topics discussed, lowercase.' },
    {
      name: 'resolution',
      type: 'string',
      enum: ['resolved', 'unresolved', 'escalated', 'follow_up'],
      description: 'How the call ended for the customer.',
    },
    { name: 'action_items', type: 'string_array', description: 'What the agent or the customer promised to do next.' },
    { name: 'customer_intent', type: 'string', description: 'What the customer called to get, in a few words.' },
  ],
};

/** Field names reserved by the results table. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([...RESULT_KEY_COLUMNS, ...RESULT_TRAILING_COLUMNS].map((c) => c.name));

const COLUMN_TYPES: Readonly<Record<AnalysisFieldType, ColumnType>> = {
  string: 'STRING',
  integer: 'INTEGER',
  number: 'FLOAT',
  boolean: 'BOOLEAN',
  string_array: 'STRING',
};

/** The result table's column for one output field. */
export function fieldColumn(field: AnalysisField): Column {
  return {
    name: field.name,
    type: COLUMN_TYPES[field.type],
    mode: field.type === 'string_array' ? 'REPEATED' : 'NULLABLE',
    description: field.description,
  };
}

/** The results table for an analysis: key columns, one column per field, then bookkeeping. */
export function resultsTable(spec: AnalysisSpec, name: string = TABLE_NAMES.results): TableSpec {
  return {
    name,
    description: 'Analysis results, one row per record and analysis version.',
    columns: [...RESULT_KEY_COLUMNS, ...spec.fields.map(fieldColumn), ...RESULT_TRAILING_COLUMNS],
    partitionColumn: 'processed_at',
    clusterColumns: ['analysis_version', 'record_id'],
  };
}

/** An OpenAPI-subset schema as Gemini's `responseSchema` takes it (REST JSON names, upper-case types). */
export interface ResponseSchema {
  readonly type: 'OBJECT' | 'STRING' | 'INTEGER' | 'NUMBER' | 'BOOLEAN' | 'ARRAY';
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly format?: 'enum';
  readonly items?: ResponseSchema;
  readonly properties?: Readonly<Record<string, ResponseSchema>>;
  readonly required?: readonly string[];
  readonly propertyOrdering?: readonly string[];
}

function fieldSchema(field: AnalysisField): ResponseSchema {
  switch (field.type) {
    case 'string':
      return field.enum
        ? { type: 'STRING', format: 'enum', enum: field.enum, description: field.description }
        : { type: 'STRING', description: field.description };
    case 'integer':
      return { type: 'INTEGER', description: field.description };
    case 'number':
      return { type: 'NUMBER', description: field.description };
    case 'boolean':
      return { type: 'BOOLEAN', description: field.description };
    case 'string_array':
      return { type: 'ARRAY', items: { type: 'STRING' }, description: field.description };
  }
}

/** Gemini's `responseSchema` for an analysis. */
export function responseSchema(spec: AnalysisSpec): ResponseSchema {
  const properties: Record<string, ResponseSchema> = {};
  for (const field of spec.fields) properties[field.name] = fieldSchema(field);
  return {
    type: 'OBJECT',
    properties,
    required: spec.fields.filter((f) => f.required).map((f) => f.name),
    propertyOrdering: spec.fields.map((f) => f.name),
  };
}

/** JSON with object keys sorted, so that equal declarations hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The analysis version: a hash of everything that changes an answer (prompt, fields, model,
 * generation config, and the redaction when there is one) and, in a pipeline of several analyses,
 * its name and its upstream's version (see `pipelineAnalysisVersion`). Records are analysed again
 * under a new version, never mixed with the old.
 */
export function analysisVersion(spec: AnalysisSpec): string {
  return versionInPipeline(spec, {});
}

/** `analysisVersion` with the analysis's name and upstream version hashed in (see `pipelineAnalysisVersion`). */
export function versionInPipeline(spec: AnalysisSpec, context: { readonly name?: string; readonly upstreamVersion?: string }): string {
  const digest = createHash('sha256')
    .update(
      canonicalJson({
        systemInstruction: spec.systemInstruction,
        promptTemplate: spec.promptTemplate,
        model: spec.model,
        generationConfig: spec.generationConfig,
        fields: spec.fields,
        after: spec.after,
        analysis: context.name,
        upstreamVersion: context.upstreamVersion,
        redaction: spec.redaction,
      }),
    )
    .digest('hex');
  return `v-${digest.slice(0, 16)}`;
}

/** Vertex AI model resource for a Gemini model id. */
export function modelResource(model: string): string {
  return model.includes('/') ? model : `publishers/google/models/${model}`;
}
