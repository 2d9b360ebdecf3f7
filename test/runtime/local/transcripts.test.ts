import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseJsonRecord, readTranscripts, SourceRow, toSourceRow } from '../../../runtime/local/transcripts';

const AT = '2026-01-01T00:00:00.000Z';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function tempFile(name: string, text: string | Buffer): string {
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

  test('an unclosed quote is an error naming the line where it opens', async () => {
    const file = tempFile('in.csv', 'transcript_id,transcript\n1,"two\r\nlines"\n\n\n2,"open\n3,x\n');
    await expect(read(file)).rejects.toThrow(`${file}: line 6: a quoted field is never closed, so nothing after it can be read`);
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

  test('keeps a number id as the literal written, so ids beyond 2^53 stay distinct', async () => {
    const file = tempFile(
      'in.jsonl',
      [
        '{"transcript_id": 12345678901234567890, "transcript": "a"}',
        '{"transcript_id": 12345678901234567891, "transcript": "b"}',
        '{"transcript_id": 1e3, "transcript": "c"}',
        '{"transcript_id": 1.50, "transcript": "d"}',
        '{"transcript_id": 1.5, "transcript": "e"}',
        '{"id": -0, "transcript": "f"}',
        '{"transcript_id": "  g  ", "transcript": "g"}',
      ].join('\n'),
    );
    const { rows, report } = await read(file);
    expect(rows.map((r) => r.transcript_id)).toEqual(['12345678901234567890', '12345678901234567891', '1e3', '1.50', '1.5', '-0', 'g']);
    expect(report.problems).toEqual([]);
  });

  test('finds the top-level number id past nesting, escapes, whitespace and repeated keys', () => {
    expect(
      parseJsonRecord(
        '{"meta":{"transcript_id":1,"x":[{"id":2}]},"note":"\\"transcript_id\\": 3, }]","transcript_id" :\t12345678901234567891 }',
      ),
    ).toEqual({ meta: { transcript_id: 1, x: [{ id: 2 }] }, note: '"transcript_id": 3, }]', transcript_id: '12345678901234567891' });
    expect(parseJsonRecord('{"transcript\\u005fid": 1e3}')).toEqual({ transcript_id: '1e3' });
    expect(parseJsonRecord('{"id": 1, "id": 20.0}')).toEqual({ id: '20.0' });
    expect(parseJsonRecord('{"x":"\\\\","a":"]}","b":[["}"]],"id":-1.0E+2}')).toEqual({ x: '\\', a: ']}', b: [['}']], id: '-1.0E+2' });
    expect(parseJsonRecord('{"transcript_id": null, "id": 99999999999999999999}')).toEqual({
      transcript_id: null,
      id: '99999999999999999999',
    });
    expect(parseJsonRecord('{"transcript_id": "007", "duration_seconds": 12}')).toEqual({ transcript_id: '007', duration_seconds: 12 });
    // Only an object's top-level ids are kept as text; anything else parses as JSON does.
    expect(parseJsonRecord('[12345678901234567891]')).toEqual(JSON.parse('[12345678901234567891]'));
    expect(() => parseJsonRecord('{"id": 1')).toThrow(SyntaxError);
  });

  test('skips a line with an unpaired surrogate in any key or string, naming the field', async () => {
    const file = tempFile(
      'in.jsonl',
      [
        '{"transcript_id":"a","transcript":"x\\ud800y"}',
        '{"transcript_id":"\\udc00"}',
        '{"transcript_id":"c","meta":{"notes":["ok","\\ud83d"]}}',
        '{"transcript_id":"d","x\\udfff":1}',
        '{"transcript_id":"e","transcript":"\\ud83d\\ude00 fine"}',
        '{"transcript_id":"f","channel":"\\ude00\\ud83d"}',
      ].join('\n'),
    );
    const { rows, report } = await read(file);
    expect(rows).toEqual([{ transcript_id: 'e', transcript: '\u{1f600} fine', ingested_at: AT }]);
    expect(report.problems).toEqual([
      { line: 1, message: 'transcript is not valid Unicode text (it has the unpaired surrogate \\ud800)' },
      { line: 2, message: 'transcript_id is not valid Unicode text (it has the unpaired surrogate \\udc00)' },
      { line: 3, message: 'meta.notes[1] is not valid Unicode text (it has the unpaired surrogate \\ud83d)' },
      { line: 4, message: 'the field name "x\\udfff" is not valid Unicode text (it has the unpaired surrogate \\udfff)' },
      { line: 6, message: 'channel is not valid Unicode text (it has the unpaired surrogate \\ude00)' },
    ]);
    expect(toSourceRow({ transcript_id: 'x', language: 'e\ud800' }, AT)).toBe(
      'language is not valid Unicode text (it has the unpaired surrogate \\ud800)',
    );
  });

  test('accepts a UTF-8 byte-order mark at the start of JSON Lines', async () => {
    const file = tempFile('in.jsonl', Buffer.concat([BOM, Buffer.from('{"transcript_id":"a","transcript":"t"}\n{"transcript_id":"b"}\n')]));
    const { rows, report } = await read(file);
    expect(rows.map((r) => r.transcript_id)).toEqual(['a', 'b']);
    expect(report.problems).toEqual([]);
  });

  test('accepts a UTF-8 byte-order mark at the start of CSV', async () => {
    for (const header of ['transcript_id,transcript', '"transcript_id",transcript']) {
      const { rows, report } = await read(tempFile('in.csv', Buffer.concat([BOM, Buffer.from(`${header}\n1,hello\n`)])));
      expect(rows).toEqual([{ transcript_id: '1', transcript: 'hello', ingested_at: AT }]);
      expect(report.problems).toEqual([]);
    }
  });

  test('refuses a file that is not UTF-8 text, naming it, and loads nothing', async () => {
    const jsonl = Buffer.from('{"transcript_id":"a","transcript":"t"}\n');
    const cases: Array<[string, Buffer, string]> = [
      ['calls.jsonl', zlib.gzipSync(jsonl), 'byte 2 is 0x8b, not UTF-8'],
      ['calls.csv', zlib.gzipSync(Buffer.from('transcript_id\n1\n')), 'byte 2 is 0x8b, not UTF-8'],
      ['image.jsonl', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'byte 1 is 0x89, not UTF-8'],
      ['nul.jsonl', Buffer.concat([jsonl, Buffer.from([0x7b, 0x00])]), `byte ${jsonl.length + 2} is NUL`],
      ['utf16.csv', Buffer.from('\uFEFFtranscript_id\n1\n', 'utf16le'), 'byte 1 is 0xff, not UTF-8'],
    ];
    for (const [name, bytes, why] of cases) {
      const file = tempFile(name, bytes);
      const rows: SourceRow[] = [];
      await expect(readTranscripts(file, (r) => void rows.push(r), AT)).rejects.toThrow(
        `${file} is not a UTF-8 text file of JSON Lines or CSV (${why}); nothing was loaded`,
      );
      expect(rows).toEqual([]);
    }
  });

  test('a character cut by the end of the text check does not refuse the file', async () => {
    const pad = 8192 - '{"transcript_id":"a","transcript":"'.length - 1;
    const file = tempFile('in.jsonl', `{"transcript_id":"a","transcript":"${'x'.repeat(pad)}é"}\n`);
    expect(fs.readFileSync(file)[8191]).toBe(0xc3);
    const { rows, report } = await read(file);
    expect(rows[0]!.transcript).toBe(`${'x'.repeat(pad)}é`);
    expect(report.problems).toEqual([]);
  });

  test('messages escape non-printable characters and cut long quotes', async () => {
    const file = tempFile(
      'in.jsonl',
      [
        '\u001b[2J\u009b31m',
        `{"transcript_id":"a","duration_seconds":"\\u001b]0;title\\u0007${'x'.repeat(500)}"}`,
        '{"transcript_id":{"k":"\u202e"}}',
        '{"transcript_id":"b\u0085"}',
        '{"transcript_id":"b\u0085"}',
      ].join('\n'),
    );
    const { report } = await read(file);
    expect(report.problems).toEqual([
      { line: 1, message: expect.stringMatching(/^not valid JSON: .*\\u001b/) },
      { line: 2, message: `duration_seconds must be a whole number, got "\\u001b]0;title\\u0007${'x'.repeat(70)}…"` },
      { line: 3, message: 'transcript_id must be a string, got {"k":"\\u202e"}' },
      { line: 5, message: 'duplicate transcript_id "b\\u0085" (first on line 4); kept the first' },
    ]);
    for (const { message } of report.problems) expect(message).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}]/u);
    await expect(read(tempFile('bad.csv', 'te\u001bxt\nhello\n'))).rejects.toThrow(/found: te\\u001bxt$/);
  });

  test('reads CRLF and CR line endings, numbering lines the same', async () => {
    const file = tempFile(
      'in.jsonl',
      '{"transcript_id":"a"}\r\n{bad\r\n{"transcript_id":"b"}\r{"transcript_id":"c"}\r\n\r\n{"transcript_id":"d"}\r\n',
    );
    const { rows, report } = await read(file);
    expect(rows.map((r) => r.transcript_id)).toEqual(['a', 'b', 'c', 'd']);
    expect(report.problems).toEqual([{ line: 2, message: expect.stringMatching(/^not valid JSON/) }]);
    const csv = await read(tempFile('in.csv', 'transcript_id,transcript\r\n1,a\r\n2,b\r\n'));
    expect(csv.rows.map((r) => [r.transcript_id, r.transcript])).toEqual([
      ['1', 'a'],
      ['2', 'b'],
    ]);
  });

  test('an empty file loads no rows and reports no problem', async () => {
    for (const [name, content] of [
      ['empty.jsonl', ''],
      ['empty.csv', ''],
      ['blank.jsonl', '\n\r\n  \n'],
      ['bom.jsonl', BOM],
      ['bom.csv', BOM],
    ] as const) {
      const { rows, report } = await read(tempFile(name, content));
      expect([name, rows, report]).toEqual([name, [], { rows: 0, problems: [] }]);
    }
  });

  test('invalid UTF-8 past the start of a text file makes only its line a problem', async () => {
    const good = Array.from({ length: 200 }, (_, i) => `{"transcript_id":"t${i}","transcript":"fine text, fine text"}`);
    const prefix = '{"transcript_id":"bad","transcript":"caf';
    const file = tempFile(
      'in.jsonl',
      Buffer.concat([Buffer.from(good.join('\n') + '\n' + prefix), Buffer.from([0xe9]), Buffer.from('"}\n{"transcript_id":"after"}\n')]),
    );
    const { rows, report } = await read(file);
    expect(rows).toHaveLength(201);
    expect(rows[200]!.transcript_id).toBe('after');
    expect(report.problems).toEqual([{ line: 201, message: `not valid UTF-8 text (byte ${prefix.length + 1} of the line is 0xe9)` }]);

    const csvGood = Array.from({ length: 1000 }, (_, i) => `${i},fine text,phone`);
    const csvFile = tempFile(
      'in.csv',
      Buffer.concat([
        Buffer.from(`transcript_id,transcript,channel\n${csvGood.join('\n')}\nbad,"caf`),
        Buffer.from([0xe9]),
        Buffer.from('\nau lait",phone\nafter,ok,chat\n'),
      ]),
    );
    const csv = await read(csvFile);
    expect(csv.rows).toHaveLength(1001);
    expect(csv.rows[1000]).toMatchObject({ transcript_id: 'after', transcript: 'ok' });
    expect(csv.report.problems).toEqual([{ line: 1002, message: 'transcript is not valid UTF-8 text (it has the byte 0xe9)' }]);
  });

  test('lines and characters split across read chunks are read whole', async () => {
    // fs read streams hand over 64 KiB chunks: the CRLF after line 1 and an "é" in line 2 straddle them.
    const chunk = 64 * 1024;
    const head = '{"transcript_id":"a","transcript":"';
    const first = `${head}${'x'.repeat(chunk - 1 - head.length - 2)}"}`;
    const secondHead = '{"transcript_id":"b","transcript":"';
    const lead = secondHead.length % 2 === 0 ? '' : 'x';
    const text = `${lead}${'é'.repeat(40_000)}`;
    const bytes = Buffer.from(`${first}\r\n${secondHead}${text}"}\r\n`);
    expect(bytes.subarray(chunk - 1, chunk + 1).toString()).toBe('\r\n');
    expect(bytes.subarray(2 * chunk - 1, 2 * chunk + 1).toString()).toBe('é');
    const { rows, report } = await read(tempFile('in.jsonl', bytes));
    expect(rows.map((r) => r.transcript_id)).toEqual(['a', 'b']);
    expect(rows[1]!.transcript).toBe(text);
    expect(report.problems).toEqual([]);
  });
});

describe('reading CSV transcripts', () => {
  /** A CSV field as a spreadsheet writes it: quoted, inner quotes doubled. */
  const field = (value: unknown): string => (value === null || value === undefined ? '' : `"${String(value).replace(/"/g, '""')}"`);

  test('takes the columns from a header in any order and drops columns the source table lacks', async () => {
    const file = tempFile('in.csv', 'notes,channel,transcript,transcript_id,duration_seconds\nfree text,phone,hello,a,12\n,chat,,b,\n');
    const { rows, report } = await read(file);
    expect(rows).toEqual([
      { transcript_id: 'a', transcript: 'hello', channel: 'phone', duration_seconds: 12, ingested_at: AT },
      { transcript_id: 'b', transcript: '', channel: 'chat', duration_seconds: null, ingested_at: AT },
    ]);
    expect(report.problems).toEqual([]);
  });

  test('keeps every field as the text written, so ids beyond 2^53 and leading zeros survive', async () => {
    const file = tempFile(
      'in.csv',
      'transcript_id,customer_id,transcript\n12345678901234567890,007,a\n12345678901234567891,1e3,b\n"1.50",-0,c\n 42 ,00,d\n',
    );
    const { rows, report } = await read(file);
    expect(rows.map((r) => [r.transcript_id, r.customer_id])).toEqual([
      ['12345678901234567890', '007'],
      ['12345678901234567891', '1e3'],
      ['1.50', '-0'],
      ['42', '00'],
    ]);
    expect(report.problems).toEqual([]);
  });

  test('reports each bad row at the physical line where its record starts and loads the good rows', async () => {
    const file = tempFile(
      'in.csv',
      [
        'channel,transcript_id,transcript,duration_seconds\n',
        'phone,a,"Agent: hi, there\r\nCustomer: ""hello""",12\n',
        '\n',
        'chat,,no id,3\n',
        'chat,b,"one\rtwo\nthree",4\r\n',
        'chat,a,dup,5\n',
        'chat,c,too few\r',
        'chat,d,x,1,extra\n',
        'chat,e,x,long\n',
        'chat,f,,7',
      ].join(''),
    );
    const { rows, report } = await read(file);
    expect(rows).toEqual([
      { transcript_id: 'a', transcript: 'Agent: hi, there\r\nCustomer: "hello"', channel: 'phone', duration_seconds: 12, ingested_at: AT },
      { transcript_id: 'b', transcript: 'one\rtwo\nthree', channel: 'chat', duration_seconds: 4, ingested_at: AT },
      { transcript_id: 'f', transcript: '', channel: 'chat', duration_seconds: 7, ingested_at: AT },
    ]);
    expect(report).toEqual({
      rows: 3,
      problems: [
        { line: 5, message: 'missing transcript_id' },
        { line: 9, message: 'duplicate transcript_id "a" (first on line 2); kept the first' },
        { line: 10, message: 'expected 4 fields as in the header, found 3' },
        { line: 11, message: 'expected 4 fields as in the header, found 5' },
        { line: 12, message: 'duration_seconds must be a whole number, got "long"' },
      ],
    });
  });

  test('a CSV copy of example transcripts loads the same rows and problems as the JSON Lines', async () => {
    // The first 40 examples, two later ones, and the two lines further on that repeat their ids.
    const all = fs.readFileSync(path.join(__dirname, '../../../examples/transcripts.jsonl'), 'utf8').split('\n');
    const lines = [...all.slice(0, 40), all[63]!, all[89]!, all[178]!, all[190]!];
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const names = Object.keys(records[0]!).reverse();
    const rowsCsv = records.map((record) => names.map((name) => field(record[name])).join(','));
    // Line n of the JSON Lines is the record starting on line csvLine[n - 1] of the CSV.
    const csvLine: number[] = [];
    let next = 2;
    for (const row of rowsCsv) {
      csvLine.push(next);
      next += 1 + (row.match(/\r\n|\r|\n/g)?.length ?? 0);
    }
    expect(next).toBeGreaterThan(lines.length * 2); // transcripts span lines, so the numbers differ from the JSON Lines'
    const fromJsonl = await read(tempFile('transcripts.jsonl', lines.join('\n')));
    const fromCsv = await read(tempFile('transcripts.csv', [names.join(','), ...rowsCsv].join('\r\n')));
    expect(fromJsonl.report.problems).toHaveLength(2);
    expect(fromCsv.rows).toEqual(fromJsonl.rows);
    expect(fromCsv.report).toEqual({
      rows: fromJsonl.report.rows,
      problems: fromJsonl.report.problems.map(({ line, message }) => ({
        line: csvLine[line - 1],
        message: message.replace(/first on line (\d+)/, (_, first: string) => `first on line ${csvLine[Number(first) - 1]}`),
      })),
    });
  });

  test('hands rows over while the file is still being read', async () => {
    // The last row is rewritten in place once the first row is handed over: a reader that streams
    // the file reads the new text, one that read the whole file first still has the old.
    const count = 5_000;
    const lines = Array.from({ length: count }, (_, i) => `${100000 + i},"Agent: call ${i}, thanks.\nCustomer: bye.",phone`);
    const text = `transcript_id,transcript,channel\n${lines.join('\n')}\n`;
    const file = tempFile('big.csv', text);
    const last = Buffer.byteLength(text) - Buffer.byteLength(`${lines[count - 1]}\n`);
    let handed = 0;
    const ids: string[] = [];
    const report = await readTranscripts(
      file,
      (row) => {
        if (handed++ === 0) {
          const fd = fs.openSync(file, 'r+');
          fs.writeSync(fd, '9', last);
          fs.closeSync(fd);
        }
        if (handed > count - 2) ids.push(row.transcript_id as string);
      },
      AT,
    );
    expect(report).toEqual({ rows: count, problems: [] });
    expect(ids).toEqual([String(100000 + count - 2), `9${String(100000 + count - 1).slice(1)}`]);
  });
});
