import { labelledTranscripts } from '../../../bench/corpus/pii';
import { INFO_TYPES, redactionProblems, resolveRedaction } from '../../../runtime/contract/redaction';
import { checkLocalInfoTypes, findPersonalData, redactTranscript } from '../../../runtime/redaction/local-redactor';
import { digitRuns, ibanValid, luhnValid } from '../../../runtime/redaction/spoken';

const defaults = resolveRedaction({});
const redact = (text: string) => redactTranscript(text, defaults);

describe('the laptop redactor', () => {
  it.each([
    ['Customer: You can reach me at (415) 555-0123.', 'Customer: You can reach me at [PHONE_NUMBER].'],
    ['Customer: call me on +44 7700 900123 please', 'Customer: call me on [PHONE_NUMBER] please'],
    ['Customer: it is four one five, five five five, oh one two three.', 'Customer: it is [PHONE_NUMBER].'],
    ['Customer: my email is john dot smith at example dot com.', 'Customer: my email is [EMAIL_ADDRESS].'],
    ['Customer: send it to Jane_Doe42@mail.example.org thanks', 'Customer: send it to [EMAIL_ADDRESS] thanks'],
    ['Customer: the card number is 4111 1111 1111 1111.', 'Customer: the card number is [CREDIT_CARD_NUMBER].'],
    ['Customer: My IBAN is GB82 WEST 1234 5698 7654 32 for the refund.', 'Customer: My IBAN is [IBAN_CODE] for the refund.'],
    ['Customer: My social security number is 123-45-6789.', 'Customer: My social security number is [US_SOCIAL_SECURITY_NUMBER].'],
    ['Customer: I live at 42 Elm Street, Springfield, IL 62704.', 'Customer: I live at [STREET_ADDRESS].'],
    ['Agent: And you were born on march fifth nineteen eighty four, correct?', 'Agent: And you were born on [DATE_OF_BIRTH], correct?'],
    [
      'Customer: hi, my name is john smith and I am calling about my bill.',
      'Customer: hi, my name is [PERSON_NAME] and I am calling about my bill.',
    ],
    ['Agent: Am I speaking with Mrs. Okuneva?', 'Agent: Am I speaking with Mrs. [PERSON_NAME]?'],
  ])('redacts %j', (text, expected) => {
    expect(redact(text).text).toBe(expected);
  });

  it('counts findings by type and never returns a value', () => {
    const out = redact('Customer: I am Maria Lopez, my number is 415-555-0123 and my other number is 415-555-0199.');
    expect(out.counts).toEqual({ PERSON_NAME: 1, PHONE_NUMBER: 2 });
    expect(JSON.stringify(out.counts)).not.toMatch(/Maria|415/);
  });

  it('leaves the numbers, dates and places of an ordinary call alone', () => {
    const call = [
      'Agent: Your order number is 48213907 and it shipped on Monday.',
      'Agent: The refund of $45.99 will reach your card in 3 to 5 business days.',
      'Agent: Your contract ends on December 31, 2025.',
      'Customer: The router shows version 2.4.1 and the light is blinking orange.',
      'Agent: Our store in New York opens at 9:30 am on Saturdays.',
    ].join('\n');
    expect(findPersonalData(call)).toEqual([]);
  });

  it('redacts only the info types asked for, with a fixed replacement when given one', () => {
    const settings = resolveRedaction({ infoTypes: [INFO_TYPES.emailAddress], replacement: '***' });
    const out = redactTranscript('Customer: my name is John Smith, email john@example.com', settings);
    expect(out.text).toBe('Customer: my name is John Smith, email ***');
    expect(out.counts).toEqual({ EMAIL_ADDRESS: 1 });
  });

  it('leaves no planted value whole in 200 labelled transcripts', () => {
    const set = labelledTranscripts(200, 7);
    let left = 0;
    for (const t of set) {
      const out = redact(t.text).text;
      for (const p of t.planted) if (p.value.length >= 6 && /\d/.test(p.value) && out.includes(p.value)) left++;
    }
    expect(left).toBe(0);
  });
});

describe('number checks', () => {
  it('joins spoken and written groups into one run, but not across a sentence end', () => {
    const runs = digitRuns('it is double five two, 41. 7 items');
    expect(runs.map((r) => r.digits)).toEqual(['55241', '7']);
  });

  it('checks Luhn and IBAN checksums', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
  });
});

describe('redaction settings', () => {
  it('names every problem with the value received', () => {
    expect(redactionProblems({ infoTypes: ['phone', 'EMAIL_ADDRESS', 'EMAIL_ADDRESS'], inspectTemplate: 'mine' })).toEqual([
      'redaction.infoTypes holds "phone", which is not an info type name (upper case letters, digits and _, e.g. PHONE_NUMBER)',
      'redaction.infoTypes names a type twice: phone, EMAIL_ADDRESS, EMAIL_ADDRESS',
      'redaction.inspectTemplate must be a template resource name like projects/P/locations/L/inspectTemplates/T, got "mine"',
    ]);
    expect(() => resolveRedaction({ infoTypes: [] })).toThrow('redaction.infoTypes is empty');
  });

  it('refuses on the laptop the types only the cloud finds', () => {
    expect(() => checkLocalInfoTypes(['PHONE_NUMBER', 'PASSPORT'])).toThrow('the laptop redactor cannot find PASSPORT');
  });
});
