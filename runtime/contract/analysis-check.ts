/**
 * The one check of an analysis declaration, for every place that takes one: the construct (a prop
 * error at synth time), the jobs (`TAP_ANALYSIS`), and `tapctl local run --analysis FILE`. Each
 * problem names where it is (`fields[2].enum`), the value found, what is allowed, and how to fix it.
 */
import { AnalysisFieldType, RESERVED_FIELD_NAMES } from './analysis';
import { LIMITS } from './limits';
import { redactionProblems, type RedactionSettings } from './redaction';

/** One thing wrong with a declaration. */
export interface AnalysisProblem {
  /** Where, as a path below the declaration: `model`, `fields[1].enum`, `generationConfig.topK`. */
  readonly path: string;
  /** The value found, as JSON. */
  readonly value: string;
  /** What is allowed, as the end of "must be …". */
  readonly allowed: string;
  /** How to fix it, when it is not obvious. */
  readonly fix?: string;
}

/** `path must be allowed, got value. fix` */
export function describeProblem(p: AnalysisProblem, prefix = ''): string {
  const at = prefix && p.path ? `${prefix}.${p.path}` : prefix || p.path;
  return `${at} must be ${p.allowed}, got ${p.value}${p.fix ? `. ${p.fix}` : ''}`;
}

/** Types an output field can have, in the order the messages list them. */
export const FIELD_TYPES: readonly AnalysisFieldType[] = ['string', 'integer', 'number', 'boolean', 'string_array'];

/** An output field's name: a BigQuery column and a JSON property, the same in DuckDB. */
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** A Gemini model: an id (`gemini-2.5-flash`), or a publisher model or endpoint resource name. */
export const MODEL_NAME =
  /^([a-z0-9][a-z0-9._-]*|projects\/[^/]+\/locations\/[^/]+\/(publishers\/[^/]+\/)?(models|endpoints)\/[^/]+|publishers\/[^/]+\/models\/[^/]+)$/;

/**
 * An analysis name: a lowercase letter, then up to 25 lowercase letters, digits or `_`. It names
 * a results table (`<name>_results`) and is appended to the run's execution id (`<id>-<name>`),
 * which Vertex AI takes as a label value of at most 63 characters: a 36-character UUID leaves 27.
 */
export const ANALYSIS_NAME = {
  pattern: /^[a-z][a-z0-9_]{0,25}$/,
  says: 'a lowercase letter, then up to 25 lowercase letters, digits or _',
} as const;

/** A `{placeholder}` of a prompt template. */
const PLACEHOLDER = /\{([^{}]*)\}/g;

const TOP_KEYS = ['systemInstruction', 'promptTemplate', 'model', 'generationConfig', 'fields', 'after', 'redaction'];
const REDACTION_KEYS = ['infoTypes', 'replacement', 'inspectTemplate', 'deidentifyTemplate'];
const FIELD_KEYS = ['name', 'type', 'description', 'required', 'enum'];

/** The generation settings the pipeline passes on, with their bounds (Gemini's `generationConfig`). */
const GENERATION: Readonly<Record<string, { readonly min: number; readonly max: number; readonly integer: boolean }>> = {
  temperature: { min: 0, max: 2, integer: false },
  topP: { min: 0, max: 1, integer: false },
  topK: { min: 1, max: 1000, integer: true },
  maxOutputTokens: { min: 1, max: LIMITS.maxOutputTokens, integer: true },
  seed: { min: -(2 ** 31), max: 2 ** 31 - 1, integer: true },
};

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface AnalysisCheckOptions {
  /**
   * The source table's columns, when known: every placeholder of the prompt template must be one of
   * them (or `transcript`). @default - placeholders are only checked to be column names
   */
  readonly sourceColumns?: readonly string[];
  /**
   * The fields of the analysis named in `after`, when known: every `{after.field}` placeholder must
   * name one of them. @default - upstream placeholders are only checked to name `after`
   */
  readonly upstreamFields?: readonly string[];
}

/** Every problem of a declaration, in the order of its keys; empty when it is valid. */
export function checkAnalysis(spec: unknown, options: AnalysisCheckOptions = {}): AnalysisProblem[] {
  const problems: AnalysisProblem[] = [];
  const problem = (path: string, value: unknown, allowed: string, fix?: string) =>
    problems.push({ path, value: show(value), allowed, fix });
  if (!isObject(spec)) {
    problem('', spec, 'an object with systemInstruction, promptTemplate, model, generationConfig and fields');
    return problems;
  }
  for (const key of Object.keys(spec)) {
    if (!TOP_KEYS.includes(key)) problem(key, spec[key], 'absent', `Known keys: ${TOP_KEYS.join(', ')}`);
  }
  if (typeof spec.systemInstruction !== 'string') problem('systemInstruction', spec.systemInstruction, 'a string (it may be empty)');

  const after = spec.after;
  if (after !== undefined && (typeof after !== 'string' || !ANALYSIS_NAME.pattern.test(after))) {
    problem('after', after, `the name of the analysis this one reads (${ANALYSIS_NAME.says})`);
  }
  const chained = typeof after === 'string';
  const template = spec.promptTemplate;
  const upstreamNamed = typeof template === 'string' && chained && template.includes(`{${after}.`);
  if (typeof template !== 'string' || (!template.includes('{transcript}') && !upstreamNamed)) {
    problem(
      'promptTemplate',
      template,
      chained ? `a string containing {transcript} or a field of ${after} such as {${after}.summary}` : 'a string containing {transcript}',
      'Put {transcript} where the call text goes',
    );
  } else {
    for (const match of template.matchAll(PLACEHOLDER)) {
      const name = match[1]!;
      if (name === 'transcript') continue;
      const dotted = /^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$/.exec(name);
      if (dotted) {
        if (!chained || dotted[1] !== after) {
          problem(
            'promptTemplate',
            `{${name}}`,
            chained ? `a placeholder naming a field of ${after}, the analysis in after` : 'a placeholder naming a source column',
            chained ? undefined : `Set "after": "${dotted[1]}" to read that analysis's results`,
          );
        } else if (options.upstreamFields && !options.upstreamFields.includes(dotted[2]!)) {
          problem('promptTemplate', `{${name}}`, `a placeholder naming a field of ${after}: ${options.upstreamFields.join(', ')}`);
        }
        continue;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        problem(
          'promptTemplate',
          `{${name}}`,
          'a placeholder naming a source column (letters, digits and _)',
          'Write a literal brace as part of a column name, or leave it out',
        );
      } else if (options.sourceColumns && !options.sourceColumns.includes(name)) {
        problem(
          'promptTemplate',
          `{${name}}`,
          `a placeholder naming a source column: ${['transcript', ...options.sourceColumns.filter((c) => c !== 'transcript')].map((c) => `{${c}}`).join(', ')}`,
          'Fix the placeholder, or add the column to the source',
        );
      }
    }
  }

  if (typeof spec.model !== 'string' || !MODEL_NAME.test(spec.model)) {
    problem('model', spec.model, 'a Gemini model id such as "gemini-2.5-flash", or a model resource name');
  }

  const generation = spec.generationConfig;
  if (!isObject(generation)) {
    problem('generationConfig', generation, 'an object (it may be empty)');
  } else {
    for (const [key, value] of Object.entries(generation)) {
      const bounds = GENERATION[key];
      if (!bounds) {
        problem(`generationConfig.${key}`, value, 'absent', `The pipeline passes on ${Object.keys(GENERATION).join(', ')}`);
        continue;
      }
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        value >= bounds.min &&
        value <= bounds.max &&
        (!bounds.integer || Number.isInteger(value));
      if (!ok)
        problem(`generationConfig.${key}`, value, `${bounds.integer ? 'an integer' : 'a number'} from ${bounds.min} to ${bounds.max}`);
    }
  }

  const redaction = spec.redaction;
  if (redaction !== undefined) {
    if (!isObject(redaction) || Object.keys(redaction).some((k) => !REDACTION_KEYS.includes(k))) {
      problem('redaction', redaction, `an object with ${REDACTION_KEYS.join(', ')} (each optional)`);
    } else if (
      (redaction.infoTypes !== undefined &&
        (!Array.isArray(redaction.infoTypes) || !redaction.infoTypes.every((t) => typeof t === 'string'))) ||
      [redaction.replacement, redaction.inspectTemplate, redaction.deidentifyTemplate].some((v) => v !== undefined && typeof v !== 'string')
    ) {
      problem('redaction', redaction, 'infoTypes a list of info type names, the others strings');
    } else {
      for (const message of redactionProblems(redaction as RedactionSettings)) problem('redaction', redaction, 'valid', message);
    }
  }

  const fields = spec.fields;
  if (!Array.isArray(fields) || fields.length === 0) {
    problem('fields', fields, 'a non-empty list of output fields');
    return problems;
  }
  if (fields.length > LIMITS.maxAnalysisFields) problem('fields', `${fields.length} fields`, `at most ${LIMITS.maxAnalysisFields} fields`);
  const seen = new Set<string>();
  fields.forEach((field: unknown, i) => {
    const at = `fields[${i}]`;
    if (!isObject(field)) {
      problem(at, field, 'an object with name, type and description');
      return;
    }
    for (const key of Object.keys(field)) {
      if (!FIELD_KEYS.includes(key)) problem(`${at}.${key}`, field[key], 'absent', `A field has ${FIELD_KEYS.join(', ')}`);
    }
    const name = field.name;
    if (typeof name !== 'string' || !FIELD_NAME.test(name)) {
      problem(`${at}.name`, name, 'a column name: a lowercase letter, then up to 62 lowercase letters, digits or _');
    } else if (RESERVED_FIELD_NAMES.has(name)) {
      problem(`${at}.name`, name, `none of the results table's own columns (${[...RESERVED_FIELD_NAMES].join(', ')})`, 'Rename the field');
    } else if (seen.has(name)) {
      problem(`${at}.name`, name, 'unique among the fields');
    } else {
      seen.add(name);
    }
    const type = field.type;
    if (!(FIELD_TYPES as readonly unknown[]).includes(type)) problem(`${at}.type`, type, `one of ${FIELD_TYPES.join(', ')}`);
    if (typeof field.description !== 'string' || field.description.trim() === '') {
      problem(`${at}.description`, field.description, 'a non-empty description (the model reads it)');
    }
    if (field.required !== undefined && typeof field.required !== 'boolean') problem(`${at}.required`, field.required, 'true or false');
    if (field.enum !== undefined) {
      const values = field.enum;
      if (type !== 'string') {
        problem(`${at}.enum`, values, `absent for a field of type ${String(type)} (enums are for string fields)`);
      } else if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v !== '')) {
        problem(`${at}.enum`, values, 'a non-empty list of non-empty strings');
      } else if (new Set(values).size !== values.length) {
        problem(`${at}.enum`, values, 'a list of distinct values');
      }
    }
  });
  const size = JSON.stringify(spec).length;
  if (size > LIMITS.maxAnalysisJsonChars) {
    problem(
      '',
      `${size} characters of JSON`,
      `at most ${LIMITS.maxAnalysisJsonChars} characters (it travels as a Cloud Run environment variable)`,
    );
  }
  return problems;
}
