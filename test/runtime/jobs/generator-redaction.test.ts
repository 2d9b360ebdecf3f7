import { DEFAULT_ANALYSIS, layout, resolveRedaction, TABLE_NAMES } from '../../../runtime/contract';
import type { Redactor } from '../../../runtime/core/ports';
import { Harness } from '../../fakes/harness';

const SPEC = { ...DEFAULT_ANALYSIS, redaction: resolveRedaction({}) };

/** Replaces every run of digits with [PHONE_NUMBER], gathering about 40 characters a call. */
function digitsRedactor(calls: string[][]): Redactor {
  return {
    batchChars: 40,
    redact: async (texts, settings) => {
      calls.push([...texts]);
      return texts.map((text) => {
        let n = 0;
        const out = text.replace(/\d+/g, () => {
          n++;
          return '[PHONE_NUMBER]';
        });
        expect(settings.replacement).toBe('info_type');
        const counts: Record<string, number> = n > 0 ? { PHONE_NUMBER: n } : {};
        return { text: out, counts };
      });
    },
  };
}

async function planned(rows: { id: string; text: string | null }[]) {
  const h = await Harness.create(SPEC);
  await h.addTranscripts(rows);
  await h.plan('run-1');
  return h;
}

const ROWS = [
  { id: 'a', text: 'call me on 4155550123 please' },
  { id: 'b', text: 'nothing personal here' },
  { id: 'c', text: '  ' },
  { id: 'd', text: 'it is 555 0199 and 555 0100' },
];

describe('generator with redaction', () => {
  test('writes only redacted text, in plan order, redacting several transcripts per call', async () => {
    const h = await planned(ROWS);
    const calls: string[][] = [];
    h.redactor = digitsRedactor(calls);
    const manifest = await h.generate('run-1', 0);
    expect(manifest).toMatchObject({ requests: 3, skipped: 1, redacted: { PHONE_NUMBER: 5 } });
    // The blank transcript is not sent to the redactor: it becomes an error row holding no text.
    expect(calls.flat()).toEqual(['call me on 4155550123 please', 'nothing personal here', 'it is 555 0199 and 555 0100']);
    expect(calls.length).toBeLessThan(3);
    const input = h.store.objects.get(layout.input('run-1', '0', 1))!.toString('utf8');
    for (const value of ['4155550123', '0199', '0100']) expect(input).not.toContain(value);
    const texts = input
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).request.contents[0].parts[0].text as string);
    expect(texts[0]).toContain('call me on [PHONE_NUMBER] please');
    expect(texts[2]).toContain('it is [PHONE_NUMBER] [PHONE_NUMBER] and [PHONE_NUMBER] [PHONE_NUMBER]');
    const counts = h.store.objects
      .get(layout.redactionCounts('run-1', '0', 1))!
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(counts).toEqual([
      { record_id: 'a', counts: { PHONE_NUMBER: 1 } },
      { record_id: 'b', counts: {} },
      { record_id: 'd', counts: { PHONE_NUMBER: 4 } },
    ]);
    expect(h.log.lines.find((l) => l.event === 'redacted')).toMatchObject({ findings: 5, by_type: { PHONE_NUMBER: 5 } });
  });

  test('the results rows carry the counts by type', async () => {
    const h = await planned(ROWS);
    h.redactor = digitsRedactor([]);
    await h.batch('run-1', 0);
    const results = await h.rows(TABLE_NAMES.results);
    expect(Object.fromEntries(results.map((r) => [r.record_id, JSON.parse(String(r.redaction_counts))]))).toEqual({
      a: { PHONE_NUMBER: 1 },
      b: {},
      d: { PHONE_NUMBER: 4 },
    });
  });

  test('refuses to write any request when redaction is asked for and there is no redactor', async () => {
    const h = await planned(ROWS);
    await expect(h.generate('run-1', 0)).rejects.toThrow('the analysis asks for redaction but this process has no redactor');
    expect(h.store.objects.get(layout.input('run-1', '0', 1))?.toString('utf8') ?? '').toBe('');
  });

  test('leaves results without counts when redaction is off', async () => {
    const h = await Harness.create();
    await h.addTranscripts(ROWS);
    await h.plan('run-1');
    await h.batch('run-1', 0);
    expect((await h.rows(TABLE_NAMES.results)).map((r) => r.redaction_counts)).toEqual([null, null, null]);
  });
});
