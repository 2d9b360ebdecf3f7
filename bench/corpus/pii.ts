/**
 * A synthetic, labelled set of call transcripts with planted personal data, for measuring a
 * redactor: each transcript is a call of filler lines free of personal data (with the numbers,
 * dates, products and places calls are full of), into which values made by @faker-js/faker are
 * planted in the many shapes callers and speech recognisers give them. Every planted value is
 * labelled with its info type and where it lies. Seeded: the same seed gives the same set.
 */
import { Faker, en } from '@faker-js/faker';
import { INFO_TYPES, KnownInfoType } from '../../runtime/contract/redaction';

export interface Planted {
  readonly type: KnownInfoType;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

export interface LabelledTranscript {
  readonly text: string;
  readonly planted: readonly Planted[];
}

const DIGIT_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ORDINALS = [
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
  'twentieth',
];
const TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** Lines with no personal data: what the rest of a call says, numbers and all. */
const FILLER = [
  'Agent: Thank you for calling Brightwave Mobile, how can I help you today?',
  'Customer: Hi, I am calling about my bill, it went up to $155.72 this month.',
  'Agent: I can see the payment of $27.07 on April 9, and a second one a minute later.',
  'Customer: Yes, that is exactly what my bank shows.',
  'Agent: Bear with me one moment, the system is a little slow today.',
  'Customer: That is fine, take your time.',
  'Agent: Your order number is 48213907 and it shipped on Monday.',
  'Agent: The refund of $45.99 will reach your card in 3 to 5 business days.',
  'Customer: I upgraded to Unlimited Plus on the 12th of May.',
  'Agent: Your Visa card ending in 4421 is on file.',
  'Agent: Please press 1 on the keypad to confirm, or 2 to go back to the main menu.',
  'Customer: The router shows version 2.4.1 and the light is blinking orange.',
  'Agent: Our store in New York opens at 9:30 am on Saturdays.',
  'Customer: I have been a customer for 12 years, since 2013.',
  'Agent: The ticket reference is 7731-22, keep it in case you call back.',
  'Agent: I have applied a credit of 20 percent for the next 3 months.',
  'Customer: So what are my options?',
  'Agent: You can stay on the Premium plan at $65 a month or move to Basic 5GB.',
  'Customer: Okay, that sounds good to me.',
  'Agent: Is there anything else I can help you with today?',
  'Customer: No, that is all. Thanks for your help.',
  'Agent: The technician will arrive between 8 and 12 on Thursday, March 14.',
  'Customer: My internet dropped about 15 times last week.',
  'Agent: I am sorry to hear that, let me run a line test.',
  'Agent: The test shows 94 Mbps down and 11 up, which is normal.',
  'Customer: It is usually $175.28, so this is a big jump.',
  'Agent: I will escalate this to our billing team, they reply within 48 hours.',
  'Customer: Can you send the confirmation to the address on file?',
  'Agent: Your contract ends on December 31, 2025.',
  'Customer: I ordered 2 chargers and only got one.',
  'Agent: The account was opened in June 2019 at our Denver branch.',
  'Customer: Great, thank you so much, have a nice day.',
  'Agent: You are welcome, goodbye.',
  'Customer: I tried calling at 8 yesterday but the line was busy.',
  'Agent: Model 5540 is out of stock until the 3rd of next month.',
];

/** How many filler lines calls are made of. */
export const FILLER_LINES = FILLER.length;

export interface CorpusOptions {
  /**
   * Plant names with no cue before them ("Maria Lopez from your sales team set it up"), which no
   * redactor without a model of language finds reliably.
   * @default true
   */
  readonly bareNames?: boolean;
}

/** Makes labelled transcripts from a seed. */
export function labelledTranscripts(count: number, seed: number, options: CorpusOptions = {}): LabelledTranscript[] {
  const faker = new Faker({ locale: [en] });
  faker.seed(seed);
  const planters = options.bareNames === false ? PLANTERS.filter((p) => p !== BARE_NAME) : PLANTERS;
  const out: LabelledTranscript[] = [];
  for (let i = 0; i < count; i++) out.push(oneCall(faker, planters));
  return out;
}

type Part = string | { readonly type: KnownInfoType; readonly value: string };

function oneCall(f: Faker, planters: typeof PLANTERS): LabelledTranscript {
  const fillers = f.helpers.arrayElements(FILLER, { min: 6, max: 12 });
  const planted = f.helpers.arrayElements(planters, { min: 2, max: 5 });
  const lines: Part[][] = fillers.map((line) => [line]);
  for (const plant of planted) lines.splice(f.number.int({ min: 0, max: lines.length }), 0, plant(f));
  let text = '';
  const labels: Planted[] = [];
  for (const line of lines) {
    for (const part of line) {
      if (typeof part === 'string') {
        text += part;
      } else {
        labels.push({ type: part.type, value: part.value, start: text.length, end: text.length + part.value.length });
        text += part.value;
      }
    }
    text += '\n';
  }
  return { text, planted: labels };
}

const spokenDigits = (f: Faker, digits: string) =>
  [...digits].map((d) => (d === '0' && f.datatype.boolean() ? 'oh' : DIGIT_NAMES[Number(d)]!)).join(' ');

/** Spoken digits in the groups a phone number is read in, commas between. */
function spokenGroups(f: Faker, groups: readonly string[]): string {
  return groups.map((g) => spokenDigits(f, g)).join(f.helpers.arrayElement([', ', ' ', ', ']));
}

const lower = (f: Faker, s: string, share = 0.3) => (f.datatype.boolean({ probability: share }) ? s.toLowerCase() : s);

function phone(f: Faker): string {
  const area = `${f.number.int({ min: 2, max: 9 })}${f.string.numeric(2)}`;
  const mid = `${f.number.int({ min: 2, max: 9 })}${f.string.numeric(2)}`;
  const last = f.string.numeric(4);
  switch (f.number.int({ min: 0, max: 9 })) {
    case 0:
      return `(${area}) ${mid}-${last}`;
    case 1:
      return `${area}-${mid}-${last}`;
    case 2:
      return `${area}.${mid}.${last}`;
    case 3:
      return `+1 ${area} ${mid} ${last}`;
    case 4:
      return `1-${area}-${mid}-${last}`;
    case 5:
      return `${area}${mid}${last}`;
    case 6:
      return `${area}-${mid}-${last} x${f.string.numeric({ length: { min: 2, max: 4 } })}`;
    case 7:
      return `+44 7${f.string.numeric(3)} ${f.string.numeric(6)}`;
    default:
      return spokenGroups(f, [area, mid, last]);
  }
}

function card(f: Faker): string {
  const issuer = f.helpers.arrayElement(['visa', 'mastercard', 'amex', 'discover']);
  const digits = f.finance.creditCardNumber({ issuer }).replace(/\D/g, '');
  const groups = issuer === 'amex' ? [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10)] : (digits.match(/.{1,4}/g) ?? []);
  switch (f.number.int({ min: 0, max: 3 })) {
    case 0:
      return groups.join('-');
    case 1:
      return groups.join(' ');
    case 2:
      return digits;
    default:
      return spokenGroups(f, groups);
  }
}

function ssn(f: Faker): string {
  const a = String(f.number.int({ min: 1, max: 665 })).padStart(3, '0');
  const b = String(f.number.int({ min: 1, max: 99 })).padStart(2, '0');
  const c = String(f.number.int({ min: 1, max: 9999 })).padStart(4, '0');
  switch (f.number.int({ min: 0, max: 2 })) {
    case 0:
      return `${a}-${b}-${c}`;
    case 1:
      return `${a} ${b} ${c}`;
    default:
      return spokenGroups(f, [a, b, c]);
  }
}

function iban(f: Faker): string {
  const raw = f.finance.iban();
  return f.datatype.boolean() ? raw : (raw.match(/.{1,4}/g) ?? []).join(' ');
}

function spokenYear(year: number): string {
  const hi = Math.floor(year / 100);
  const lo = year % 100;
  if (hi === 20) return lo === 0 ? 'two thousand' : `two thousand and ${numberWords(lo)}`;
  return `${numberWords(hi)} ${lo === 0 ? 'hundred' : lo < 10 ? `oh ${DIGIT_NAMES[lo]}` : numberWords(lo)}`;
}

function numberWords(n: number): string {
  if (n < 10) return DIGIT_NAMES[n]!;
  if (n < 20) return TEENS[n - 10]!;
  return TENS[Math.floor(n / 10)]! + (n % 10 === 0 ? '' : ` ${DIGIT_NAMES[n % 10]}`);
}

function dayWords(d: number): string {
  if (d <= 20) return ORDINALS[d - 1]!;
  if (d === 30) return 'thirtieth';
  return `${d < 30 ? 'twenty' : 'thirty'} ${ORDINALS[(d % 10) - 1]}`;
}

function birthDate(f: Faker): string {
  const date = f.date.birthdate({ mode: 'age', min: 18, max: 90 });
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  const mm = String(m + 1).padStart(2, '0');
  const dd = String(d).padStart(2, '0');
  const suffix = d % 10 === 1 && d !== 11 ? 'st' : d % 10 === 2 && d !== 12 ? 'nd' : d % 10 === 3 && d !== 13 ? 'rd' : 'th';
  switch (f.number.int({ min: 0, max: 4 })) {
    case 0:
      return `${mm}/${dd}/${y}`;
    case 1:
      return `${MONTHS[m]} ${d}, ${y}`;
    case 2:
      return `${d}${suffix} of ${MONTHS[m]} ${y}`;
    case 3:
      return `${y}-${mm}-${dd}`;
    default:
      return `${MONTHS[m]!.toLowerCase()} ${dayWords(d)} ${spokenYear(y)}`;
  }
}

function email(f: Faker): string {
  const first = f.person.firstName();
  const last = f.person.lastName();
  const written = f.internet.email({ firstName: first, lastName: last });
  if (f.datatype.boolean()) return lower(f, written, 0.5);
  const [local, domain] = written.toLowerCase().split('@') as [string, string];
  const say = (s: string) => s.replace(/\./g, ' dot ').replace(/_/g, ' underscore ').replace(/-/g, ' dash ').replace(/\s+/g, ' ').trim();
  return `${say(local)} at ${say(domain)}`;
}

function address(f: Faker): string {
  const street = f.location.streetAddress(f.datatype.boolean({ probability: 0.3 }));
  const full = f.datatype.boolean({ probability: 0.3 })
    ? `${street}, ${f.location.city()}, ${f.location.state({ abbreviated: true })} ${f.location.zipCode('#####')}`
    : street;
  return lower(f, full, 0.25);
}

const fullName = (f: Faker) => lower(f, `${f.person.firstName()} ${f.person.lastName()}`);
const firstName = (f: Faker) => lower(f, f.person.firstName());

const v = (type: KnownInfoType, value: string): Part => ({ type, value });

function BARE_NAME(f: Faker): Part[] {
  return [
    'Customer: ',
    v(INFO_TYPES.personName, `${f.person.firstName()} ${f.person.lastName()}`),
    ' from your sales team set it up for me.',
  ];
}

/** Lines that plant one value each, in the words callers and agents use. */
const PLANTERS: ReadonlyArray<(f: Faker) => Part[]> = [
  (f) => ['Customer: Hi, my name is ', v(INFO_TYPES.personName, fullName(f)), ' and I am calling about my account.'],
  (f) => ['Agent: Thank you for calling, this is ', v(INFO_TYPES.personName, firstName(f)), ', how can I help?'],
  (f) => ['Agent: Thanks, ', v(INFO_TYPES.personName, firstName(f)), '. Let me check that for you.'],
  (f) => [
    `Agent: Am I speaking with ${f.helpers.arrayElement(['Mr.', 'Mrs.', 'Ms.', 'mister', 'Dr.'])} `,
    v(INFO_TYPES.personName, lower(f, f.person.lastName(), 0.2)),
    '?',
  ],
  (f) => ['Customer: I spoke with ', v(INFO_TYPES.personName, fullName(f)), ' yesterday and she said it was fixed.'],
  (f) => ['Agent: The account is under the name ', v(INFO_TYPES.personName, fullName(f)), ', is that right?'],
  (f) => ['Customer: My wife ', v(INFO_TYPES.personName, firstName(f)), ' usually handles the bills.'],
  BARE_NAME,
  (f) => ['Customer: You can reach me at ', v(INFO_TYPES.phoneNumber, phone(f)), '.'],
  (f) => ['Agent: Is ', v(INFO_TYPES.phoneNumber, phone(f)), ' still the best number for you?'],
  (f) => ['Customer: My cell is ', v(INFO_TYPES.phoneNumber, phone(f)), ' if the line drops.'],
  (f) => ['Customer: My email is ', v(INFO_TYPES.emailAddress, email(f)), '.'],
  (f) => ['Agent: I will send the receipt to ', v(INFO_TYPES.emailAddress, email(f)), ', is that correct?'],
  (f) => ['Customer: The card number is ', v(INFO_TYPES.creditCardNumber, card(f)), '.'],
  (f) => ['Customer: Okay, it is ', v(INFO_TYPES.creditCardNumber, card(f)), ' and it expires next year.'],
  (f) => ['Customer: My IBAN is ', v(INFO_TYPES.iban, iban(f)), ' for the refund.'],
  (f) => ['Customer: My social security number is ', v(INFO_TYPES.nationalId, ssn(f)), '.'],
  (f) => ['Agent: For verification, the SSN on file is ', v(INFO_TYPES.nationalId, ssn(f)), '?'],
  (f) => ['Customer: I live at ', v(INFO_TYPES.streetAddress, address(f)), '.'],
  (f) => ['Agent: We will ship it to ', v(INFO_TYPES.streetAddress, address(f)), ', is that right?'],
  (f) => ['Customer: The new address is ', v(INFO_TYPES.streetAddress, address(f)), ' as of this month.'],
  (f) => ['Customer: My date of birth is ', v(INFO_TYPES.dateOfBirth, birthDate(f)), '.'],
  (f) => ['Agent: And you were born on ', v(INFO_TYPES.dateOfBirth, birthDate(f)), ', correct?'],
];
