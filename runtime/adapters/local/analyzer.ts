/**
 * The local analyzer: Gemini's stand-in on a laptop. It answers each line of a Vertex AI batch
 * `input.jsonl` (`{"request": GenerateContentRequest}`) with a line in Vertex AI's own output format,
 * so the processor reads its predictions exactly as it reads Vertex's.
 *
 * The answers come from real, deterministic natural language processing with wink-nlp and its
 * English model: sentences, sentiment, parts of speech, entities. The transcript is split into
 * speaker turns, the customer's sentiment decides `sentiment`, commitments become `action_items`,
 * the most informative sentences make an extractive `summary`, frequent nouns become `topics`.
 * Fields the default analysis does not know are filled from their name and type in the request's
 * `responseSchema` (enums honoured), so a changed analysis still gets complete, valid answers.
 *
 * The request is opaque except for its `responseSchema`, `maxOutputTokens` and the user's text.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import winkNLP, { type ItemEntity, type ItemSentence, type ItemToken } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { CHARS_PER_TOKEN } from '../../contract';
import type { ObjectStore } from '../../core/ports';

/** `modelVersion` of every answer. */
export const LOCAL_MODEL_VERSION = 'local-analyzer-1';

/** The subset of a Gemini `responseSchema` the analyzer reads. */
export interface SchemaNode {
  readonly type?: string;
  readonly enum?: readonly string[];
  readonly items?: SchemaNode;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly propertyOrdering?: readonly string[];
  readonly required?: readonly string[];
  readonly description?: string;
}

/** One line of Vertex AI batch output. */
export interface PredictionLine {
  status: string;
  processed_time: string;
  request: unknown;
  response?: {
    candidates: Array<{ content: { role: 'model'; parts: Array<{ text: string }> }; finishReason: string }>;
    modelVersion: string;
    usageMetadata: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
  };
}

export interface AnalyzerOptions {
  /** The clock for `processed_time` and the output folder's name. @default - the system clock */
  readonly now?: () => Date;
  /**
   * How the request is echoed. Vertex AI re-serialises it; `snake` echoes snake_case keys, as
   * its output has been seen to do, to exercise matching that does not depend on key style.
   * @default 'camel'
   */
  readonly echo?: 'camel' | 'snake';
}

export interface AnalyzeFileOptions extends AnalyzerOptions {
  /**
   * Called with every output line before it is written: return it (changed or not), a raw string
   * to write instead, or null to drop it. The local twin's faults hook in here.
   */
  readonly onLine?: (line: PredictionLine, index: number) => PredictionLine | string | null;
}

export interface AnalyzeFileResult {
  /** The `prediction-model-<timestamp>` folder (Vertex AI's `outputInfo.gcsOutputDirectory`). */
  readonly outputDirectory: string;
  /** The predictions object. */
  readonly predictionsPath: string;
  /** Input lines read. */
  readonly lines: number;
  /** Lines answered with a response. */
  readonly succeeded: number;
  /** Lines answered with an error status. */
  readonly failed: number;
  readonly promptTokens: number;
  readonly candidatesTokens: number;
}

const nlp = winkNLP(model);
const its = nlp.its;

/** Answers one input line (text or parsed). Never throws: a bad line gets an error `status`. */
export function analyzeLine(line: string | unknown, options: AnalyzerOptions = {}): PredictionLine {
  const processed_time = vertexTime((options.now ?? (() => new Date()))());
  let parsed: unknown = line;
  if (typeof line === 'string') {
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      return { status: `Invalid JSON in the input line: ${(e as Error).message}`, processed_time, request: line };
    }
  }
  const request = (parsed as { request?: unknown } | null)?.request;
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return { status: 'The input line has no "request" object.', processed_time, request: request ?? null };
  }
  const echoed = options.echo === 'snake' ? snakeKeys(request) : request;
  const r = request as Record<string, unknown>;
  const config = (r.generationConfig ?? r.generation_config ?? {}) as Record<string, unknown>;
  const schema = (config.responseSchema ?? config.response_schema) as SchemaNode | undefined;
  const contents = r.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return { status: 'Invalid request: contents is required.', processed_time, request: echoed };
  }

  const userText = userTextOf(contents);
  const analysis = analyseTranscript(transcriptOf(userText));
  const answer = schema ? fill(schema, '', analysis) : { summary: analysis.summary };
  let text = JSON.stringify(answer);

  const systemText = partsText((r.systemInstruction ?? r.system_instruction) as { parts?: unknown } | undefined);
  const promptTokens = tokensOf(systemText.length + allText(contents).length + (schema ? JSON.stringify(schema).length : 0));
  let candidatesTokens = tokensOf(text.length);
  let finishReason = 'STOP';
  const maxOut = Number(config.maxOutputTokens ?? config.max_output_tokens);
  if (Number.isInteger(maxOut) && maxOut > 0 && candidatesTokens > maxOut) {
    // As the model does: the answer stops at the limit, mid-JSON.
    text = text.slice(0, maxOut * CHARS_PER_TOKEN);
    candidatesTokens = maxOut;
    finishReason = 'MAX_TOKENS';
  }
  return {
    status: '',
    processed_time,
    request: echoed,
    response: {
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason }],
      modelVersion: LOCAL_MODEL_VERSION,
      usageMetadata: { promptTokenCount: promptTokens, candidatesTokenCount: candidatesTokens, totalTokenCount: promptTokens + candidatesTokens },
    },
  };
}

/**
 * Answers every line of `inputPath` into `outputDir/prediction-model-<timestamp>/predictions.jsonl`,
 * as a Vertex AI batch prediction job does with its `outputUriPrefix`. Streams both files.
 */
export async function analyzeFile(store: ObjectStore, inputPath: string, outputDir: string, options: AnalyzeFileOptions = {}): Promise<AnalyzeFileResult> {
  const now = options.now ?? (() => new Date());
  const outputDirectory = `${outputDir.replace(/\/+$/, '')}/prediction-model-${now().toISOString()}`;
  const predictionsPath = `${outputDirectory}/predictions.jsonl`;
  const out = store.openWrite(predictionsPath);
  const input = store.openRead(inputPath);
  let index = 0;
  let succeeded = 0;
  let failed = 0;
  let promptTokens = 0;
  let candidatesTokens = 0;
  const write = (s: string): Promise<void> | undefined =>
    out.write(s) ? undefined : new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      out.once('error', onError);
      out.once('drain', () => {
        out.off('error', onError);
        resolve();
      });
    });
  try {
    for await (const text of linesOf(input)) {
      if (text.trim() === '') continue;
      const result = analyzeLine(text, options);
      const i = index++;
      if (result.response) {
        succeeded++;
        promptTokens += result.response.usageMetadata.promptTokenCount;
        candidatesTokens += result.response.usageMetadata.candidatesTokenCount;
      } else {
        failed++;
      }
      const shaped = options.onLine ? options.onLine(result, i) : result;
      if (shaped === null) continue;
      const pending = write(`${typeof shaped === 'string' ? shaped : JSON.stringify(shaped)}\n`);
      if (pending) await pending;
    }
  } catch (e) {
    const closed = finished(out).catch(() => undefined);
    out.destroy(e as Error);
    await closed;
    throw e;
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
  return { outputDirectory, predictionsPath, lines: index, succeeded, failed, promptTokens, candidatesTokens };
}

/** The lines of a stream; unlike `readline`, it rejects when the stream fails. */
async function* linesOf(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    rest += chunk;
    let nl = rest.indexOf('\n');
    let from = 0;
    while (nl >= 0) {
      yield rest.slice(from, nl).replace(/\r$/, '');
      from = nl + 1;
      nl = rest.indexOf('\n', from);
    }
    rest = rest.slice(from);
  }
  if (rest !== '') yield rest.replace(/\r$/, '');
}

/** `2024-11-13T14:04:28.376+00:00`, the form of Vertex AI's `processed_time`. */
function vertexTime(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

function tokensOf(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function partsText(content: { parts?: unknown } | undefined): string {
  const parts = Array.isArray(content?.parts) ? (content!.parts as unknown[]) : [];
  return parts.map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join('\n');
}

function allText(contents: unknown[]): string {
  return contents.map((c) => partsText(c as { parts?: unknown })).join('\n');
}

/** The record-id marker parts the generator adds; they are not transcript. */
const MARKER_PART = /^\s*\[record:[A-Za-z0-9_-]+\]\s*$/;

function userTextOf(contents: unknown[]): string {
  const texts: string[] = [];
  for (const c of contents) {
    const content = c as { role?: unknown; parts?: unknown };
    if (content.role !== undefined && content.role !== 'user') continue;
    for (const p of Array.isArray(content.parts) ? content.parts : []) {
      const text = (p as { text?: unknown })?.text;
      if (typeof text === 'string' && !MARKER_PART.test(text)) texts.push(text);
    }
  }
  return texts.join('\n');
}

/** The transcript inside a prompt: what follows a `Transcript:` heading, or the whole text. */
export function transcriptOf(prompt: string): string {
  const match = /(^|\n)[ \t]*transcript[ \t]*:[ \t]*\n?/gi;
  let last = -1;
  for (let m = match.exec(prompt); m; m = match.exec(prompt)) last = m.index + m[0].length;
  return (last >= 0 ? prompt.slice(last) : prompt).trim();
}

// ---------------------------------------------------------------------------------------------
// The analysis of one transcript.

type Role = 'agent' | 'customer';

interface Sentence {
  readonly text: string;
  readonly role: Role;
  readonly turn: number;
  readonly sentiment: number;
  /** Content lemmas (nouns, verbs, adjectives; no stop words). */
  readonly lemmas: readonly string[];
  /** Whether the sentence says how the speaker feels (not a mere acknowledgement). */
  readonly felt: boolean;
}

/** What the analyzer knows about a transcript, from which every field is filled. */
export interface TranscriptAnalysis {
  readonly summary: string;
  readonly sentiment: 'positive' | 'neutral' | 'negative' | 'mixed';
  /** Mean sentiment of the customer's sentences, -1..1. */
  readonly sentimentScore: number;
  readonly topics: readonly string[];
  readonly resolution: 'resolved' | 'unresolved' | 'escalated' | 'follow_up';
  readonly actionItems: readonly string[];
  readonly customerIntent: string;
  readonly entities: ReadonlyArray<{ readonly value: string; readonly type: string }>;
  readonly questions: readonly string[];
  readonly turns: number;
  readonly words: number;
  readonly sentences: readonly string[];
  /** Lemma frequencies, for enum matching. */
  readonly lemmaCounts: ReadonlyMap<string, number>;
  readonly english: boolean;
}

const AGENT_NAMES = /\b(agent|rep|representative|support|advisor|adviser|operator|specialist|associate|assistant)\b/i;
const CUSTOMER_NAMES = /\b(customer|caller|client|user|member|patient|guest)\b/i;
const SPEAKER_LINE = /^\s*([A-Za-z][A-Za-z0-9 .'_-]{0,30}?)\s*:\s+(.*)$/;

/** Words too common in calls to be a topic. */
const DULL = new Set([
  'agent', 'customer', 'call', 'calling', 'thank', 'thanks', 'day', 'time', 'minute', 'moment', 'thing', 'help', 'lot',
  'way', 'bit', 'today', 'question', 'problem', 'issue', 'name', 'hello', 'hi', 'bye', 'goodbye', 'yes', 'ok', 'okay',
  'sir', 'madam', 'ma\'am', 'morning', 'afternoon', 'evening', 'sorry', 'please', 'something', 'anything', 'everything',
  'nothing', 'second', 'welcome', 'course', 'sure', 'right', 'side', 'end', 'part', 'case', 'hold', 'look', 'good',
  'great', 'fine', 'bit', 'minute', 'people', 'guy', 'stuff', 'kind', 'sort', 'number', 'detail', 'information',
  'note', 'system', 'survey', 'patience', 'moment', 'week', 'month', 'year', 'hour', 'morning', 'tomorrow', 'yesterday',
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november',
  'december', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'first', 'last', 'next',
  'other', 'same', 'new', 'old', 'few', 'many', 'much', 'own', 'sure', 'happy', 'able', 'short', 'quick', 'slow', 'one',
  'purpose', 'picture', 'point', 'interest', 'wait', 'while',
]);

const ESCALATED = /\b(escalat\w*|supervisor|manager|transfer(?:ring)? you|specialist team|complaints? team|second[- ]line|tier[- ]2)\b/i;
const FOLLOW_UP = /\b(call you back|get back to you|follow[- ]?up|within \d+ (?:business |working )?(?:days?|hours?)|(?:I|we)(?:'ll| will) (?:email|send|call|contact|text) you|you(?:'ll| will) (?:receive|get) an? (?:email|call|text|letter)|next (?:week|monday|tuesday|wednesday|thursday|friday)|technician)\b/i;
const RESOLVED = /\b(that (?:fixed|solved|solves|worked|sorted|did) it|(?:it's|it is|that's|that is|you're|you are|all) (?:working|fixed|sorted|resolved|all set)|(?:I've|I have|we've|we have) (?:refunded|credited|applied|reset|cancelled|canceled|processed|fixed|removed|unlocked|reactivated|arranged|added the|moved you)|problem solved|works now|working now|I am in now|I'm in now|full signal now)\b/i;
/** Thanks that close a problem, when the customer says them. */
const RESOLVED_THANKS = /^(?:great|perfect|brilliant|wonderful|excellent|okay, great)[,!.]? (?:thank|that)/i;
/** Clauses about what will happen, which say nothing of what has: `once it is done`. */
const WHEN_CLAUSE = /\b(?:when|once|as soon as|until|after|if)\b.*$/i;
/** Words of the trade that a general sentiment lexicon misses or misreads. */
const NEGATIVE_CUES = /\b(ridiculous|unacceptable|not acceptable|furious|waste of time|terrible|awful|horrible|unhappy|frustrat\w*|angry|fed up|cancel my|not good enough|still not|unfair|complaint|never came|for nothing|nobody (?:has|ever))\b/gi;
const POSITIVE_CUES = /\b(thank you so much|brilliant|perfect|that solves it|that worked|that fixed it|appreciate it|that is fair|really helpful|sounds good|great, thank)\b/gi;
const UNRESOLVED = /\b(still (?:not|doesn't|don't|isn't|can't)|not (?:good enough|acceptable|happy)|this is ridiculous|cancel my (?:account|contract|subscription)|waste of time|nothing you can do|can't help)\b/i;
const COMMITMENT = /^(?:ok(?:ay)?,?\s+|so,?\s+|alright,?\s+|right,?\s+|and\s+|of course\.?,?\s+)?(?:I'll|I will|I'm going to|I am going to|we'll|we will|we're going to)\s+(?:also\s+)?(.+)$/i;
/** Promises that are not action items: what is done on the call itself, or only waiting. */
const NOT_AN_ACTION = /^(?:just |quickly )?(?:check|see|have a look|look|pull up|bring up|confirm|verify|ask|repeat|read|find|try|think|leave|keep|wait|be|do that|go ahead|hold)\b/i;
/** How customers say why they call: the words after the cue, and how the summary phrases them. */
const INTENTS: ReadonlyArray<readonly [RegExp, (x: string) => string, (x: string) => string]> = [
  [/\b(?:I'm|I am) calling (?:about|regarding)\s+(.+)$/i, (x) => x, (x) => `about ${x}`],
  [/\b(?:I'm|I am) calling because\s+(.+)$/i, (x) => x, (x) => `because ${x}`],
  [/\b(?:I'm calling|I am calling|I(?:'d| would) like|I want|I need|I'm trying|I am trying)\s+to\s+(.+)$/i, (x) => x, (x) => `to ${x}`],
  [/\bI was wondering (?:if|whether)\s+(.+)$/i, (x) => `whether ${x}`, (x) => `to ask whether ${x}`],
  [/\b(?:I have a question about|I'm interested in|I am interested in)\s+(.+)$/i, (x) => x, (x) => `about ${x}`],
  [/\b(?:I'm|I am) having (?:trouble|problems?|issues?) with\s+(.+)$/i, (x) => `trouble with ${x}`, (x) => `about trouble with ${x}`],
  [/\bI (?:can't|cannot)\s+(.+)$/i, (x) => `cannot ${x}`, (x) => `because they cannot ${x}`],
];

const BROKEN = /\bmy ([a-z]+(?: [a-z]+)??) (?:keeps|isn't|is not|won't|doesn't|does not|stopped|has stopped|is broken|never arrived|hasn't arrived|was damaged|was wrong)\b/i;
/** Sentences that open or close any call and say nothing about this one. */
const SMALL_TALK = /\b(thank you for calling|thanks for calling|how can I help|how may I help|you're speaking (?:with|to)|you are speaking (?:with|to)|my name is|this is [A-Z][a-z]+|have a (?:good|great|nice) (?:day|one|evening)|anything else)\b/i;

/** What customers say to close any call; it tells nothing of how they feel about it. */
const COURTESY = /^(?:no,? )?(?:thanks?|thank you)?[ ,.!]*(?:bye|goodbye|that is (?:everything|all)|that's (?:everything|all))?[ ,.!]*$|^(?:no,? )?(?:that is|that's) (?:everything|all)\b|^(?:ok(?:ay)?|sure|yes|right|fine)[,.!]*$/i;

const BEST_SENTENCES = 2;

/** Analyses a transcript (speaker-prefixed lines, or plain text). Deterministic. */
export function analyseTranscript(transcript: string): TranscriptAnalysis {
  const turns = splitTurns(transcript);
  const sentences: Sentence[] = [];
  const entities: Array<{ value: string; type: string }> = [];
  const lemmaCounts = new Map<string, number>();
  const nounCounts = new Map<string, { n: number; first: number }>();
  const phraseCounts = new Map<string, { n: number; first: number }>();
  let words = 0;
  let stopWords = 0;
  // One document for the whole call (one readDoc per turn costs more); each sentence is traced
  // back to its turn by its place in the text. Turns are paragraphs (a blank line between them,
  // which wink-nlp always takes as a sentence boundary), so no sentence spans two turns.
  const joined = turns.map((x) => x.text).join('\n\n');
  const starts: number[] = [];
  let offset = 0;
  for (const x of turns) {
    starts.push(offset);
    offset += x.text.length + 2;
  }
  let cursor = 0;
  let t = 0;
  {
    const doc = nlp.readDoc(joined);
    doc.entities().each((e: ItemEntity) => {
      const detail = e.out(its.detail) as unknown as { value: string; type: string };
      entities.push({ value: detail.value, type: detail.type });
    });
    doc.sentences().each((s: ItemSentence) => {
      const lemmas: string[] = [];
      // Whole columns at once: far cheaper than an item object per token.
      const tokens = s.tokens();
      const types = tokens.out(its.type) as string[];
      const stops = tokens.out(its.stopWordFlag) as unknown as boolean[];
      const lemmaOut = tokens.out(its.lemma as Parameters<ItemToken['out']>[0]) as unknown as string[];
      const poses = tokens.out(its.pos) as string[];
      // The previous content word, when it can open a compound ("late fee", "line test").
      let modifier: string | undefined;
      for (let k = 0; k < types.length; k++) {
        if (types[k] !== 'word') {
          modifier = undefined;
          continue;
        }
        words++;
        if (stops[k]) {
          stopWords++;
          modifier = undefined;
          continue;
        }
        const lemma = String(lemmaOut[k]).toLowerCase();
        const pos = poses[k];
        if (lemma.length < 3) {
          modifier = undefined;
          continue;
        }
        lemmaCounts.set(lemma, (lemmaCounts.get(lemma) ?? 0) + 1);
        if (pos === 'NOUN' || pos === 'PROPN' || pos === 'VERB' || pos === 'ADJ') lemmas.push(lemma);
        const topical = pos === 'NOUN' && !DULL.has(lemma) && /^[a-z][a-z-]*[a-z]$/.test(lemma);
        if (topical) {
          count(nounCounts, lemma);
          if (modifier) count(phraseCounts, `${modifier} ${lemma}`);
        }
        modifier = topical || (pos === 'ADJ' && /^[a-z][a-z-]*[a-z]$/.test(lemma) && !DULL.has(lemma)) ? lemma : undefined;
      }
      const text = s.out().trim();
      if (!text) return;
      const at = joined.indexOf(text, cursor);
      if (at >= 0) {
        cursor = at + text.length;
        while (t + 1 < starts.length && starts[t + 1]! <= at) t++;
      }
      const turn = turns[t]!;
      // "Sorry" is politeness on a call far more often than regret; the lexicon scores it as regret.
      const cues =
        (text.match(POSITIVE_CUES)?.length ?? 0) * 0.6 - (text.match(NEGATIVE_CUES)?.length ?? 0) * 0.8 + (text.match(/\bsorry\b/gi)?.length ?? 0) * 0.5;
      const sentiment = Math.max(-1, Math.min(1, (Number(s.out(its.sentiment)) || 0) + cues));
      // Short acknowledgements ("That is correct.", "Fine.") carry no feeling about the call.
      const felt = cues !== 0 || text.split(/\s+/).length > 5;
      sentences.push({ text, role: turn.role, turn: t, sentiment, lemmas, felt });
    });
  }

  // Topics: compounds said at least twice, then the most frequent nouns they do not already hold.
  const ranked = (m: Map<string, { n: number; first: number }>, min: number): string[] =>
    [...m.entries()]
      .filter(([, v]) => v.n >= min)
      .sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first)
      .map(([k]) => k);
  const topics = ranked(phraseCounts, 2).slice(0, 3);
  for (const noun of ranked(nounCounts, 1)) {
    if (topics.length >= 5) break;
    if (!topics.some((t) => t.split(' ').includes(noun))) topics.push(noun);
  }

  const customer = sentences.filter((s) => s.role === 'customer');
  const voice = customer.length > 0 ? customer : sentences;
  // How the customer feels at the end of the call counts most: later sentences weigh more, and
  // the last few (courtesies aside) decide between a call that ends well and one that ends badly.
  const felt = voice.filter((s) => s.felt && !COURTESY.test(s.text));
  let weightSum = 0;
  let weighted = 0;
  felt.forEach((s, i) => {
    const x = i / Math.max(1, felt.length - 1);
    const w = 1 + 3 * x * x;
    weightSum += w;
    weighted += w * s.sentiment;
  });
  const sentimentScore = weightSum ? weighted / weightSum : 0;
  const last = felt.slice(-3);
  const final = last.length ? last.reduce((a, s) => a + s.sentiment, 0) / last.length : 0;
  const early = felt.slice(0, Math.max(0, felt.length - 3));
  const earlyNegative = early.filter((s) => s.sentiment <= -0.5).length;
  const earlyPositive = early.filter((s) => s.sentiment >= 0.5).length;
  const sentiment: TranscriptAnalysis['sentiment'] =
    final >= 0.15
      ? earlyNegative >= 2 && earlyNegative > earlyPositive
        ? 'mixed'
        : 'positive'
      : final <= -0.15
        ? earlyPositive >= 2 && earlyPositive > earlyNegative
          ? 'mixed'
          : 'negative'
        : sentimentScore >= 0.1
          ? 'positive'
          : sentimentScore <= -0.1
            ? 'negative'
            : 'neutral';

  const resolution = resolutionOf(sentences, turns.length);
  const actionItems = actionItemsOf(sentences);
  const { intent: customerIntent, phrase } = intentOf(customer, topics);
  const summary = summaryOf(sentences, lemmaCounts, phrase, resolution);
  const english = words === 0 || stopWords / words >= 0.2;
  const questions = customer.filter((s) => s.text.endsWith('?')).map((s) => s.text).slice(0, 5);

  return {
    summary: english ? summary : `The call does not appear to be in English. ${summary}`,
    sentiment,
    sentimentScore: Math.round(sentimentScore * 100) / 100,
    topics,
    resolution,
    actionItems,
    customerIntent,
    entities: dedupe(entities, (e) => `${e.type}:${e.value.toLowerCase()}`).slice(0, 10),
    questions,
    turns: turns.length,
    words,
    sentences: sentences.map((s) => s.text),
    lemmaCounts,
    english,
  };
}

function count(m: Map<string, { n: number; first: number }>, key: string): void {
  const seen = m.get(key);
  if (seen) seen.n++;
  else m.set(key, { n: 1, first: m.size });
}

function splitTurns(transcript: string): Array<{ role: Role; text: string }> {
  const turns: Array<{ speaker: string; text: string }> = [];
  for (const raw of transcript.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const m = SPEAKER_LINE.exec(line);
    if (m && !/^(https?|mailto)$/i.test(m[1]!)) turns.push({ speaker: m[1]!.trim(), text: m[2]!.trim() });
    else if (turns.length > 0) turns[turns.length - 1]!.text += ` ${line}`;
    else turns.push({ speaker: '', text: line });
  }
  // Speakers without a telling name: the first to speak is taken for the agent, as calls open.
  const order: string[] = [];
  for (const t of turns) if (!order.includes(t.speaker)) order.push(t.speaker);
  const roleOf = (speaker: string): Role => {
    if (CUSTOMER_NAMES.test(speaker)) return 'customer';
    if (AGENT_NAMES.test(speaker)) return 'agent';
    if (speaker === '') return 'customer';
    return order.filter((s) => !CUSTOMER_NAMES.test(s) && !AGENT_NAMES.test(s) && s !== '').indexOf(speaker) % 2 === 0 ? 'agent' : 'customer';
  };
  return turns.map((t) => ({ role: roleOf(t.speaker), text: /[.!?…]$/.test(t.text) ? t.text : `${t.text}.` }));
}

function resolutionOf(sentences: readonly Sentence[], turns: number): TranscriptAnalysis['resolution'] {
  if (sentences.some((s) => ESCALATED.test(s.text))) return 'escalated';
  // How a call ends decides: look at its last third.
  const from = Math.floor((turns * 2) / 3);
  const late = sentences.filter((s) => s.turn >= from);
  const resolved = late.filter((s) => RESOLVED.test(s.text.replace(WHEN_CLAUSE, '')) || (s.role === 'customer' && RESOLVED_THANKS.test(s.text))).length;
  const unresolved = late.filter((s) => UNRESOLVED.test(s.text)).length;
  const followUp = sentences.filter((s) => FOLLOW_UP.test(s.text)).length;
  if (resolved > unresolved) return 'resolved';
  if (followUp > 0) return 'follow_up';
  return 'unresolved';
}

function actionItemsOf(sentences: readonly Sentence[]): string[] {
  const items: string[] = [];
  for (const s of sentences) {
    const m = COMMITMENT.exec(s.text);
    if (!m) continue;
    let what = m[1]!.replace(/[.!]+$/, '').trim();
    if (NOT_AN_ACTION.test(what)) continue;
    if (s.role === 'agent') {
      what = what
        .replace(/\b(?:I|we)(?:'ll| will)\s+/gi, '')
        .replace(/\byour\b/gi, "the customer's")
        .replace(/\byou\b/gi, 'the customer');
    } else {
      what = what.replace(/\bmy\b/gi, 'their').replace(/\bI\b/g, 'they');
    }
    items.push(`${s.role === 'agent' ? 'Agent' : 'Customer'} to ${truncateWords(what, 20)}`);
  }
  return dedupe(items, (x) => x.toLowerCase()).slice(0, 5);
}

/** The customer's reason for calling, and the words the summary uses for it. */
function intentOf(customer: readonly Sentence[], topics: readonly string[]): { intent: string; phrase: string } {
  // Customers say why they call at the start of the call.
  const opening = customer.filter((s) => s.turn <= (customer[0]?.turn ?? 0) + 6);
  for (const s of opening) {
    for (const [re, intent, phrase] of INTENTS) {
      const m = re.exec(s.text);
      if (!m) continue;
      const x = firstWords(
        m[1]!
          .split(/,|;| but | and | because | so that | since /)[0]!
          .replace(/[.!?]+$/, '')
          .replace(/\bmy\b/gi, 'their')
          .replace(/\bme\b/gi, 'them')
          .replace(/\bI\b/g, 'they')
          .trim(),
        14,
      );
      if (x.length > 3) return { intent: intent(x), phrase: phrase(x) };
    }
  }
  for (const s of customer) {
    const m = BROKEN.exec(s.text);
    if (m) {
      const x = `a problem with their ${m[1]!.toLowerCase()}`;
      return { intent: x, phrase: `about ${x}` };
    }
  }
  const x = topics.length > 0 ? `help with ${topics.slice(0, 2).join(' and ')}` : 'an unclear request';
  return { intent: x, phrase: `about ${x}` };
}

function summaryOf(
  sentences: readonly Sentence[],
  lemmaCounts: ReadonlyMap<string, number>,
  intentPhrase: string,
  resolution: TranscriptAnalysis['resolution'],
): string {
  if (sentences.length === 0) return 'The transcript is empty.';
  const ending: Record<TranscriptAnalysis['resolution'], string> = {
    resolved: 'The issue was resolved on the call.',
    unresolved: 'The issue was not resolved.',
    escalated: 'The call was escalated.',
    follow_up: 'A follow-up was promised.',
  };
  // Extractive: what was said about the outcome (the last such sentence), and the sentence whose
  // content words recur most in the call, in the order they were spoken.
  const isOutcome = (s: Sentence): boolean =>
    ESCALATED.test(s.text) || RESOLVED.test(s.text.replace(WHEN_CLAUSE, '')) || UNRESOLVED.test(s.text) || FOLLOW_UP.test(s.text) || isAction(s);
  const outcomeAt = findLastIndex(sentences, isOutcome);
  const scored = sentences
    .map((s, i) => ({
      i,
      s,
      score:
        i === outcomeAt || s.lemmas.length < 3 || SMALL_TALK.test(s.text) || INTENTS.some(([re]) => re.test(s.text))
          ? 0
          : s.lemmas.reduce((a, l) => a + Math.log1p((lemmaCounts.get(l) ?? 1) - 1) + 0.5, 0) / Math.sqrt(s.lemmas.length),
    }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i);
  const picked = [...scored.slice(0, outcomeAt >= 0 ? BEST_SENTENCES - 1 : BEST_SENTENCES), ...(outcomeAt >= 0 ? [{ i: outcomeAt, s: sentences[outcomeAt]! }] : [])];
  const quoted = dedupe(picked, (x) => x.s.text.toLowerCase())
    .sort((a, b) => a.i - b.i)
    .map(({ s }) => `The ${s.role} said: "${truncateWords(s.text, 30)}"`)
    .map((q) => (/[.!?…]"$/.test(q) ? q : `${q}.`));
  return [`The customer called ${intentPhrase}.`, ...quoted, ending[resolution]].join(' ');
}

function isAction(s: Sentence): boolean {
  const m = COMMITMENT.exec(s.text);
  return m !== null && !NOT_AN_ACTION.test(m[1]!);
}

function findLastIndex<T>(xs: readonly T[], test: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (test(xs[i]!)) return i;
  return -1;
}

function firstWords(text: string, max: number): string {
  return text.split(/\s+/).slice(0, max).join(' ');
}

function truncateWords(text: string, max: number): string {
  const words = text.split(/\s+/);
  return words.length <= max ? text : `${words.slice(0, max).join(' ')}…`;
}

function dedupe<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Filling a responseSchema.

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
  if (has(name, /churn|risk/)) return Math.round(Math.min(1, Math.max(0, 0.5 - a.sentimentScore + (a.resolution === 'unresolved' ? 0.2 : 0))) * 100) / 100;
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
  if (out.length > 0) return dedupe(out, (x) => x);
  const one = pickEnum('', allowed, a);
  return [one];
}

/** Keys in snake_case, except the keys of maps (labels, schema properties), which are data. */
function snakeKeys(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => snakeKeys(v, ''));
  if (value === null || typeof value !== 'object') return value;
  const isMap = parentKey === 'labels' || parentKey === 'properties';
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = isMap ? k : k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    out[key] = snakeKeys(v, isMap ? '' : key);
  }
  return out;
}
