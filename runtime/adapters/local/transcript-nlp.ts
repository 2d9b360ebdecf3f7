/**
 * What the local analyzer knows about a call: deterministic natural language processing of a
 * transcript with wink-nlp and its English model (sentences, sentiment, parts of speech, entities).
 * The transcript is split into speaker turns; the customer's sentiment, weighted towards the end of
 * the call, decides `sentiment`; how the call ends decides `resolution`; commitments become action
 * items; the customer's opening words give the intent; the most informative sentences make an
 * extractive summary; frequent nouns and compounds become topics.
 */
import winkNLP, { type ItemEntity, type ItemSentence, type ItemToken } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

const nlp = winkNLP(model);
const its = nlp.its;

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
  'agent',
  'customer',
  'call',
  'calling',
  'thank',
  'thanks',
  'day',
  'time',
  'minute',
  'moment',
  'thing',
  'help',
  'lot',
  'way',
  'bit',
  'today',
  'question',
  'problem',
  'issue',
  'name',
  'hello',
  'hi',
  'bye',
  'goodbye',
  'yes',
  'ok',
  'okay',
  'sir',
  'madam',
  "ma'am",
  'morning',
  'afternoon',
  'evening',
  'sorry',
  'please',
  'something',
  'anything',
  'everything',
  'nothing',
  'second',
  'welcome',
  'course',
  'sure',
  'right',
  'side',
  'end',
  'part',
  'case',
  'hold',
  'look',
  'good',
  'great',
  'fine',
  'bit',
  'minute',
  'people',
  'guy',
  'stuff',
  'kind',
  'sort',
  'number',
  'detail',
  'information',
  'note',
  'system',
  'survey',
  'patience',
  'moment',
  'week',
  'month',
  'year',
  'hour',
  'morning',
  'tomorrow',
  'yesterday',
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'first',
  'last',
  'next',
  'other',
  'same',
  'new',
  'old',
  'few',
  'many',
  'much',
  'own',
  'sure',
  'happy',
  'able',
  'short',
  'quick',
  'slow',
  'one',
  'purpose',
  'picture',
  'point',
  'interest',
  'wait',
  'while',
]);

const ESCALATED = /\b(escalat\w*|supervisor|manager|transfer(?:ring)? you|specialist team|complaints? team|second[- ]line|tier[- ]2)\b/i;
const FOLLOW_UP =
  /\b(call you back|get back to you|follow[- ]?up|within \d+ (?:business |working )?(?:days?|hours?)|(?:I|we)(?:'ll| will) (?:email|send|call|contact|text) you|you(?:'ll| will) (?:receive|get) an? (?:email|call|text|letter)|next (?:week|monday|tuesday|wednesday|thursday|friday)|technician)\b/i;
const RESOLVED =
  /\b(that (?:fixed|solved|solves|worked|sorted|did) it|(?:it's|it is|that's|that is|you're|you are|all) (?:working|fixed|sorted|resolved|all set)|(?:I've|I have|we've|we have) (?:refunded|credited|applied|reset|cancelled|canceled|processed|fixed|removed|unlocked|reactivated|arranged|added the|moved you)|problem solved|works now|working now|I am in now|I'm in now|full signal now)\b/i;
/** Thanks that close a problem, when the customer says them. */
const RESOLVED_THANKS = /^(?:great|perfect|brilliant|wonderful|excellent|okay, great)[,!.]? (?:thank|that)/i;
/** Clauses about what will happen, which say nothing of what has: `once it is done`. */
const WHEN_CLAUSE = /\b(?:when|once|as soon as|until|after|if)\b.*$/i;
/** Words of the trade that a general sentiment lexicon misses or misreads. */
const NEGATIVE_CUES =
  /\b(ridiculous|unacceptable|not acceptable|furious|waste of time|terrible|awful|horrible|unhappy|frustrat\w*|angry|fed up|cancel my|not good enough|still not|unfair|complaint|never came|for nothing|nobody (?:has|ever))\b/gi;
const POSITIVE_CUES =
  /\b(thank you so much|brilliant|perfect|that solves it|that worked|that fixed it|appreciate it|that is fair|really helpful|sounds good|great, thank)\b/gi;
const UNRESOLVED =
  /\b(still (?:not|doesn't|don't|isn't|can't)|not (?:good enough|acceptable|happy)|this is ridiculous|cancel my (?:account|contract|subscription)|waste of time|nothing you can do|can't help)\b/i;
const COMMITMENT =
  /^(?:ok(?:ay)?,?\s+|so,?\s+|alright,?\s+|right,?\s+|and\s+|of course\.?,?\s+)?(?:I'll|I will|I'm going to|I am going to|we'll|we will|we're going to)\s+(?:also\s+)?(.+)$/i;
/** Promises that are not action items: what is done on the call itself, or only waiting. */
const NOT_AN_ACTION =
  /^(?:just |quickly )?(?:check|see|have a look|look|pull up|bring up|confirm|verify|ask|repeat|read|find|try|think|leave|keep|wait|be|do that|go ahead|hold)\b/i;
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

const BROKEN =
  /\bmy ([a-z]+(?: [a-z]+)??) (?:keeps|isn't|is not|won't|doesn't|does not|stopped|has stopped|is broken|never arrived|hasn't arrived|was damaged|was wrong)\b/i;
/** Sentences that open or close any call and say nothing about this one. */
const SMALL_TALK =
  /\b(thank you for calling|thanks for calling|how can I help|how may I help|you're speaking (?:with|to)|you are speaking (?:with|to)|my name is|this is [A-Z][a-z]+|have a (?:good|great|nice) (?:day|one|evening)|anything else)\b/i;

/** What customers say to close any call; it tells nothing of how they feel about it. */
const COURTESY =
  /^(?:no,? )?(?:thanks?|thank you)?[ ,.!]*(?:bye|goodbye|that is (?:everything|all)|that's (?:everything|all))?[ ,.!]*$|^(?:no,? )?(?:that is|that's) (?:everything|all)\b|^(?:ok(?:ay)?|sure|yes|right|fine)[,.!]*$/i;

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
        (text.match(POSITIVE_CUES)?.length ?? 0) * 0.6 -
        (text.match(NEGATIVE_CUES)?.length ?? 0) * 0.8 +
        (text.match(/\bsorry\b/gi)?.length ?? 0) * 0.5;
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
  const questions = customer
    .filter((s) => s.text.endsWith('?'))
    .map((s) => s.text)
    .slice(0, 5);

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
    return order.filter((s) => !CUSTOMER_NAMES.test(s) && !AGENT_NAMES.test(s) && s !== '').indexOf(speaker) % 2 === 0
      ? 'agent'
      : 'customer';
  };
  return turns.map((t) => ({ role: roleOf(t.speaker), text: /[.!?…]$/.test(t.text) ? t.text : `${t.text}.` }));
}

function resolutionOf(sentences: readonly Sentence[], turns: number): TranscriptAnalysis['resolution'] {
  if (sentences.some((s) => ESCALATED.test(s.text))) return 'escalated';
  // How a call ends decides: look at its last third.
  const from = Math.floor((turns * 2) / 3);
  const late = sentences.filter((s) => s.turn >= from);
  const resolved = late.filter(
    (s) => RESOLVED.test(s.text.replace(WHEN_CLAUSE, '')) || (s.role === 'customer' && RESOLVED_THANKS.test(s.text)),
  ).length;
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
    ESCALATED.test(s.text) ||
    RESOLVED.test(s.text.replace(WHEN_CLAUSE, '')) ||
    UNRESOLVED.test(s.text) ||
    FOLLOW_UP.test(s.text) ||
    isAction(s);
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
  const picked = [
    ...scored.slice(0, outcomeAt >= 0 ? BEST_SENTENCES - 1 : BEST_SENTENCES),
    ...(outcomeAt >= 0 ? [{ i: outcomeAt, s: sentences[outcomeAt]! }] : []),
  ];
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
