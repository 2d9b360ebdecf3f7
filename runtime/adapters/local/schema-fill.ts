/**
 * The local analyzer's answer to an analysis: the fields its `responseSchema` declares, filled from
 * what the transcript analysis found. A field is filled by its name when the name says what it is
 * (`summary`, `*_intent`, `sentiment`, `churn_risk`, `was_escalated`…), else by its type, and an
 * enum gets the allowed value closest to the analysis, so a changed analysis still gets complete,
 * valid answers. Objects keep the schema's `propertyOrdering`.
 */
import type { TranscriptAnalysis } from './transcript-nlp';
import type { SchemaNode } from './vertex-batch-format';

/** The answer to `schema` for a transcript with analysis `a`. */
export function fillSchema(schema: SchemaNode, a: TranscriptAnalysis): unknown {
  return fill(schema, '', a);
}

/** The answer for a schema node, by the field's name when known, else by its type. */
function fill(schema: SchemaNode, name: string, a: TranscriptAnalysis): unknown {
  const type = String(schema.type ?? 'STRING').toUpperCase();
  if (type === 'OBJECT') {
    const props = schema.properties ?? {};
    const order = [...(schema.propertyOrdering ?? []), ...Object.keys(props).filter((k) => !(schema.propertyOrdering ?? []).includes(k))];
    const out: Record<string, unknown> = {};
    for (const key of order) if (props[key]) out[key] = fill(props[key]!, key, a);
    return out;
  }
  if (type === 'ARRAY') {
    const itemType = String(schema.items?.type ?? 'STRING').toUpperCase();
    if (itemType === 'STRING') return pickEnumList(stringList(name, a), schema.items?.enum, a);
    if (itemType === 'OBJECT') return [];
    return [];
  }
  if (type === 'STRING') {
    if (schema.enum && schema.enum.length > 0) return pickEnum(name, schema.enum, a);
    return stringField(name, a);
  }
  if (type === 'INTEGER') return integerField(name, a);
  if (type === 'NUMBER') return numberField(name, a);
  if (type === 'BOOLEAN') return booleanField(name, a);
  return null;
}

const has = (name: string, re: RegExp): boolean => re.test(name.toLowerCase());

function stringField(name: string, a: TranscriptAnalysis): string {
  if (name === 'summary' || has(name, /summar|overview|synopsis|gist/)) return a.summary;
  if (name === 'customer_intent' || has(name, /intent|reason|purpose|goal|request/)) return a.customerIntent;
  if (has(name, /sentiment|tone|mood|emotion/)) return a.sentiment;
  if (has(name, /resolution|outcome|result|status/)) return a.resolution;
  if (has(name, /language|locale/)) return a.english ? 'en' : 'und';
  if (has(name, /topic|subject|category|theme/)) return a.topics[0] ?? 'general';
  if (has(name, /product|entity|company|brand|name/)) return a.entities[0]?.value ?? a.topics[0] ?? '';
  if (has(name, /action|next|follow/)) return a.actionItems.join('; ');
  // Otherwise the most informative sentence of the call.
  return a.sentences.find((s) => s.split(/\s+/).length >= 6) ?? a.sentences[0] ?? '';
}

function stringList(name: string, a: TranscriptAnalysis): string[] {
  if (name === 'action_items' || has(name, /action|todo|to_do|next_step|follow|commitment|promise/)) return [...a.actionItems];
  if (name === 'topics' || has(name, /topic|keyword|tag|theme|subject|categor/)) return [...a.topics];
  if (has(name, /entit|mention|product|name|organi|people|person|place|date/)) return a.entities.map((e) => e.value);
  if (has(name, /question/)) return [...a.questions];
  if (has(name, /sentence|highlight|quote|key_point|point/)) return a.sentences.slice(0, 3);
  return [...a.topics];
}

function integerField(name: string, a: TranscriptAnalysis): number {
  if (has(name, /turn|exchange/)) return a.turns;
  if (has(name, /word/)) return a.words;
  if (has(name, /sentence/)) return a.sentences.length;
  if (has(name, /nps/)) return Math.round(((a.sentimentScore + 1) / 2) * 10);
  if (has(name, /score|rating|satisf|csat|quality/)) return Math.min(5, Math.max(1, Math.round(3 + a.sentimentScore * 2.5)));
  if (has(name, /topic/)) return a.topics.length;
  if (has(name, /action/)) return a.actionItems.length;
  return a.sentences.length;
}

function numberField(name: string, a: TranscriptAnalysis): number {
  if (has(name, /confiden|probab|certain/)) return Math.round((0.5 + Math.abs(a.sentimentScore) / 2) * 100) / 100;
  if (has(name, /churn|risk/))
    return Math.round(Math.min(1, Math.max(0, 0.5 - a.sentimentScore + (a.resolution === 'unresolved' ? 0.2 : 0))) * 100) / 100;
  return a.sentimentScore;
}

function booleanField(name: string, a: TranscriptAnalysis): boolean {
  if (has(name, /escalat/)) return a.resolution === 'escalated';
  if (has(name, /resolv|solved|fixed/)) return a.resolution === 'resolved';
  if (has(name, /follow/)) return a.resolution === 'follow_up';
  if (has(name, /complain|angry|upset|negative/)) return a.sentiment === 'negative';
  if (has(name, /positive|happy|satisf/)) return a.sentiment === 'positive';
  // Whether the call speaks of what the field names.
  return name
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w.length >= 3 && !/^(is|has|was|did|does|the|any|call|customer)$/.test(w))
    .some((w) => (a.lemmaCounts.get(w) ?? 0) > 0 || (a.lemmaCounts.get(w.replace(/s$/, '')) ?? 0) > 0);
}

/** The allowed value closest to what the analysis found: by name first, then by words in the call. */
function pickEnum(name: string, values: readonly string[], a: TranscriptAnalysis): string {
  const known = stringField(name, a);
  const exact = values.find((v) => v.toLowerCase() === known.toLowerCase());
  if (exact !== undefined) return exact;
  let best = -1;
  let choice: string | undefined;
  for (const v of values) {
    const score = v
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length >= 3)
      .reduce((s, w) => s + (a.lemmaCounts.get(w) ?? 0) + (a.lemmaCounts.get(w.replace(/s$/, '')) ?? 0), 0);
    if (score > best) {
      best = score;
      choice = v;
    }
  }
  if (best > 0 && choice !== undefined) return choice;
  return values.find((v) => /^(other|unknown|none|neutral|n\/a|general|unspecified)$/i.test(v)) ?? values[0]!;
}

function pickEnumList(items: readonly string[], allowed: readonly string[] | undefined, a: TranscriptAnalysis): string[] {
  if (!allowed || allowed.length === 0) return [...items];
  const lower = new Map(allowed.map((v) => [v.toLowerCase(), v]));
  const out = items.map((i) => lower.get(i.toLowerCase())).filter((v): v is string => v !== undefined);
  if (out.length > 0) return [...new Set(out)];
  const one = pickEnum('', allowed, a);
  return [one];
}
