/**
 * Numbers as call transcripts write them: digits in groups ("(415) 555-0123"), digits spoken as
 * words ("four one five, five five five, oh one two three", "double five"), or a mix. Finds each
 * run of digits with where it lies in the text, for the detectors of phone, card and id numbers.
 */

const DIGIT_WORDS: Readonly<Record<string, string>> = {
  zero: '0',
  oh: '0',
  o: '0',
  nought: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};

const REPEATS: Readonly<Record<string, number>> = { double: 2, triple: 3 };

/** Words that may sit between the groups of one spoken number. */
const JOINERS = new Set(['dash', 'hyphen']);

/** One run of digits: its digits, where it lies, and how it was written. */
export interface DigitRun {
  readonly digits: string;
  readonly start: number;
  readonly end: number;
  /** The run began with `+` (an international number). */
  readonly plus: boolean;
  /** The sizes of its groups of written digits, e.g. [3, 3, 4] for 415-555-0123. */
  readonly groups: readonly number[];
  /** Some of its digits were spoken as words. */
  readonly spoken: boolean;
}

const TOKEN = /\+?\d+|[A-Za-z]+|[^\sA-Za-z\d]/g;

interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The runs of digits in a text. Groups join across spaces, `-`, `(`, `)`, `/`, "dash", across a
 * comma followed by a space (as speech is punctuated), and across a `.` with no space around it
 * (415.555.0123) but not across a sentence's end.
 */
export function digitRuns(text: string): DigitRun[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN)) tokens.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  const runs: DigitRun[] = [];
  let i = 0;
  while (i < tokens.length) {
    const first = tokens[i]!;
    if (!/^\+?\d/.test(first.text) && !startsSpoken(tokens, i)) {
      i++;
      continue;
    }
    let digits = '';
    const groups: number[] = [];
    let spoken = false;
    let end = first.end;
    let j = i;
    let lastDigitToken = i;
    while (j < tokens.length) {
      const t = tokens[j]!;
      const word = t.text.toLowerCase();
      if (/^\+?\d+$/.test(t.text)) {
        if (j > i && t.text.startsWith('+')) break;
        digits += t.text.replace('+', '');
        groups.push(t.text.replace('+', '').length);
        lastDigitToken = j;
        end = t.end;
        j++;
      } else if (word in DIGIT_WORDS && (word !== 'o' && word !== 'oh' ? true : digits.length > 0 || j === i)) {
        digits += DIGIT_WORDS[word];
        spoken = true;
        lastDigitToken = j;
        end = t.end;
        j++;
      } else if (word in REPEATS && j + 1 < tokens.length && tokens[j + 1]!.text.toLowerCase() in DIGIT_WORDS) {
        digits += DIGIT_WORDS[tokens[j + 1]!.text.toLowerCase()]!.repeat(REPEATS[word]!);
        spoken = true;
        lastDigitToken = j + 1;
        end = tokens[j + 1]!.end;
        j += 2;
      } else if (bridges(text, tokens, j)) {
        j++;
      } else {
        break;
      }
    }
    if (digits.length > 0) {
      // A `(` opening the run belongs to it: "(415) 555-0123".
      const open = i > 0 && tokens[i - 1]!.text === '(' && tokens[i - 1]!.end === first.start ? tokens[i - 1]!.start : first.start;
      runs.push({ digits, start: open, end, plus: first.text.startsWith('+'), groups, spoken });
    }
    i = Math.max(lastDigitToken + 1, i + 1);
  }
  return runs;
}

function startsSpoken(tokens: readonly Token[], i: number): boolean {
  const word = tokens[i]!.text.toLowerCase();
  if (word in REPEATS) return i + 1 < tokens.length && tokens[i + 1]!.text.toLowerCase() in DIGIT_WORDS;
  if (word === 'o' || word === 'oh')
    return i + 1 < tokens.length && /^(?:zero|one|two|three|four|five|six|seven|eight|nine|oh)$/i.test(tokens[i + 1]!.text);
  return word in DIGIT_WORDS;
}

function bridges(text: string, tokens: readonly Token[], j: number): boolean {
  const t = tokens[j]!;
  const word = t.text.toLowerCase();
  if (JOINERS.has(word)) return true;
  if (t.text === '-' || t.text === '(' || t.text === ')' || t.text === '/') return true;
  const next = tokens[j + 1];
  if (!next) return false;
  if (t.text === ',') return text[t.end] === ' ' && /\d|[a-z]/i.test(next.text[0] ?? '');
  if (t.text === '.') return t.start > 0 && /\d/.test(text[t.start - 1] ?? '') && /\d/.test(text[t.end] ?? '');
  return false;
}

/** The Luhn checksum that payment card numbers carry in their last digit. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let k = 0; k < digits.length; k++) {
    let d = Number(digits[digits.length - 1 - k]);
    if (k % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616's check of an IBAN: the rearranged number, letters as 10..35, is 1 modulo 97. */
export function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of value) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}
