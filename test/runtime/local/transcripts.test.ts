import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { csvRecords, readTranscripts, SourceRow, toSourceRow } from '../../../runtime/local/transcripts';

const AT = '2026-01-01T00:00:00.000Z';

function tempFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-transcripts-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function read(file: string) {
  const rows: SourceRow[] = [];
  const report = await readTranscripts(file, (r) => void rows.push(r), AT);
  return { rows, report };
}

describe('reading transcripts', () => {
  test('reads JSON Lines, reporting bad lines by number and keeping the rest', async () => {
    const file = tempFile(
      'in.jsonl',
      [
        JSON.stringify({ transcript_id: 'a', transcript: 'hello', duration_seconds: 12, channel: 'phone' }),
        '{not json',
        JSON.stringify({ transcript: 'no id' }),
        '',
        JSON.stringify({ transcript_id: 'a', transcript: 'again' }),
        JSON.stringify({ transcript_id: 'b', transcript: '', call_started_at: '2026-02-03T04:05:06Z' }),
        JSON.stringify({ transcript_id: 'c', transcript: 'x', duration_seconds: 'long' }),
      ].join('\n'),
    );
    const { rows, report } = await read(file);
    expect(rows.map((r) => r.transcript_id)).toEqual(['a', 'b']);
    expect(rows[0]).toMatchObject({ transcript: 'hello', duration_seconds: 12, channel: 'phone', ingested_at: AT });
    expect(rows[1]).toMatchObject({ transcript: '', call_started_at: '2026-02-03T04:05:06.000Z' });
    expect(report.rows).toBe(2);
    expect(report.problems).toEqual([
      { line: 2, message: expect.stringMatching(/^not valid JSON/) },
      { line: 3, message: 'missing transcript_id' },
      { line: 5, message: 'duplicate transcript_id "a" (first on line 1); kept the first' },
      { line: 7, message: 'duration_seconds must be a whole number, got "long"' },
    ]);
  });

  test('reads CSV with quoted fields, doubled quotes and newlines inside quotes', async () => {
    const file = tempFile(
      'in.csv',
      'transcript_id,transcript,channel\r\n1,"Agent: hi, how can I help?\nCustomer: my ""bill""",phone\n2,short,chat\n3,too,many,fields\n',
    );
    const { rows, report } = await read(file);
    expect(rows).toEqual([
      { transcript_id: '1', transcript: 'Agent: hi, how can I help?\nCustomer: my "bill"', channel: 'phone', ingested_at: AT },
      { transcript_id: '2', transcript: 'short', channel: 'chat', ingested_at: AT },
    ]);
    expect(report.problems).toEqual([{ line: 5, message: 'expected 3 fields as in the header, found 4' }]);
  });

  test('a CSV without an id column is refused whole', async () => {
    await expect(read(tempFile('bad.csv', 'text\nhello\n'))).rejects.toThrow(/needs a transcript_id column, found: text/);
  });

  test('an unclosed quote is an error naming its line', () => {
    expect(() => [...csvRecords('a,b\n1,"open\n')]).toThrow(/line 2: a quoted field is never closed/);
  });

  test('a missing file says so', async () => {
    await expect(read('/nonexistent/transcripts.jsonl')).rejects.toThrow(/transcripts file not found/);
  });

  test('ids may be numbers and are trimmed', () => {
    expect(toSourceRow({ transcript_id: 42, transcript: 't' }, AT)).toMatchObject({ transcript_id: '42' });
    expect(toSourceRow({ transcript_id: '  x ', transcript: 't' }, AT)).toMatchObject({ transcript_id: 'x' });
    expect(toSourceRow([1], AT)).toBe('not a JSON object');
    expect(toSourceRow({ transcript_id: 'x', transcript: 5 }, AT)).toBe('transcript must be a string, got number');
  });
});
