/**
 * The cloud redactor's use of `content.deidentify`: requests within the size, table and findings
 * limits, waits and retries on quota errors, counts per transcript. The client here hands the
 * request, as JSON, to the fake's handler; the official client over HTTP is run as a process in
 * test/runtime/jobs/generator-dlp.test.ts (jest's sandbox refuses the client's dynamic import).
 */
import { resolveRedaction, SENSITIVE_DATA_PROTECTION } from '../../../../runtime/contract/redaction';
import { cut, DeidentifyClient, DeidentifyResponse, DlpRedactor } from '../../../../runtime/adapters/gcp/dlp-redactor';
import { answerDeidentify, FakeDlpState, GRPC_CODES, newState } from '../../../fakes/dlp-server';

function client(state: FakeDlpState): DeidentifyClient {
  return {
    async deidentifyContent(request) {
      const answer = answerDeidentify(state, Buffer.from(JSON.stringify(request)));
      if (answer.status !== 200) {
        const error = (answer.json as { error: { message: string; status: string } }).error;
        throw Object.assign(new Error(error.message), { code: GRPC_CODES[error.status] ?? 2 });
      }
      return [answer.json as DeidentifyResponse];
    },
  };
}

/** A redactor on a virtual clock that its waits move on. */
function redactor(state: FakeDlpState, extra: { sleeps?: number[]; requestsPerMinute?: number } = {}) {
  let now = 0;
  return new DlpRedactor({
    projectId: 'p',
    location: 'europe-west4',
    client: client(state),
    sleep: async (ms) => {
      extra.sleeps?.push(ms);
      now += ms;
    },
    now: () => now,
    requestsPerMinute: extra.requestsPerMinute ?? 6000,
  });
}

const settings = resolveRedaction({});

test('sends several transcripts as the rows of one table and counts per transcript', async () => {
  const state = newState();
  const out = await redactor(state).redact(['mail me at a@b.com or call 4155550123', 'nothing here', 'x@y.org, z@w.net'], settings);
  expect(out).toEqual([
    { text: 'mail me at [EMAIL_ADDRESS] or call [PHONE_NUMBER]', counts: { EMAIL_ADDRESS: 1, PHONE_NUMBER: 1 } },
    { text: 'nothing here', counts: {} },
    { text: '[EMAIL_ADDRESS], [EMAIL_ADDRESS]', counts: { EMAIL_ADDRESS: 2 } },
  ]);
  expect(state.requests).toHaveLength(1);
  expect(state.requests[0]).toMatchObject({
    parent: 'projects/p/locations/europe-west4',
    inspectConfig: { infoTypes: settings.infoTypes.map((name) => ({ name })) },
    deidentifyConfig: { infoTypeTransformations: { transformations: [{ primitiveTransformation: { replaceWithInfoTypeConfig: {} } }] } },
    item: { table: { headers: [{ name: 'transcript' }] } },
  });
});

test('does not count a tag the transcript already held', async () => {
  const out = await redactor(newState()).redact(['the form says [EMAIL_ADDRESS]; mine is a@b.com'], settings);
  expect(out[0]!.counts).toEqual({ EMAIL_ADDRESS: 1 });
});

test('puts in a fixed replacement after counting by type', async () => {
  const out = await redactor(newState()).redact(['a@b.com and 4155550123'], resolveRedaction({ replacement: '***' }));
  expect(out).toEqual([{ text: '*** and ***', counts: { EMAIL_ADDRESS: 1, PHONE_NUMBER: 1 } }]);
});

test('names the templates instead of the configuration when given', async () => {
  const state = newState();
  const withTemplates = resolveRedaction({
    inspectTemplate: 'projects/p/locations/europe-west4/inspectTemplates/calls',
    deidentifyTemplate: 'projects/p/locations/europe-west4/deidentifyTemplates/tags',
  });
  await redactor(state).redact(['a@b.com'], withTemplates);
  expect(state.requests[0]).toMatchObject({
    inspectTemplateName: 'projects/p/locations/europe-west4/inspectTemplates/calls',
    deidentifyTemplateName: 'projects/p/locations/europe-west4/deidentifyTemplates/tags',
  });
  expect(state.requests[0]).not.toHaveProperty('inspectConfig');
  expect(state.requests[0]).not.toHaveProperty('deidentifyConfig');
});

test('keeps every request within 0.5 MB, and cuts a transcript longer than one request at line ends', async () => {
  const state = newState();
  const line = 'Customer: my email is someone@example.com and that is all.\n';
  const long = line.repeat(Math.ceil((SENSITIVE_DATA_PROTECTION.maxRequestBytes * 1.5) / line.length));
  const short = Array.from({ length: 30 }, (_, i) => `${line.repeat(400)}call ${i}`);
  const out = await redactor(state).redact([long, ...short], settings);
  expect(state.requests.length).toBeGreaterThan(2);
  for (const r of state.requests)
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(SENSITIVE_DATA_PROTECTION.maxRequestBytes);
  expect(out[0]!.text).toBe(long.replaceAll('someone@example.com', '[EMAIL_ADDRESS]'));
  expect(out[0]!.counts).toEqual({ EMAIL_ADDRESS: long.split('\n').length - 1 });
  expect(out.slice(1).map((o) => o.text.endsWith(`call ${out.indexOf(o) - 1}`))).toEqual(short.map(() => true));
});

test('splits a request whose findings reached the limit, so that none is left unredacted', async () => {
  const state = newState();
  const rows = Array.from({ length: 40 }, () => 'a@b.com '.repeat(100));
  const out = await redactor(state).redact(rows, settings);
  expect(out.every((o) => !o.text.includes('@'))).toBe(true);
  expect(out.reduce((n, o) => n + (o.counts.EMAIL_ADDRESS ?? 0), 0)).toBe(4000);
  expect(state.requests.length).toBeGreaterThan(1);
});

test('waits and tries again on RESOURCE_EXHAUSTED and UNAVAILABLE, longer each time', async () => {
  const state = newState();
  state.failWith.push(429, 503, 429);
  const sleeps: number[] = [];
  const out = await redactor(state, { sleeps }).redact(['a@b.com'], settings);
  expect(out[0]!.text).toBe('[EMAIL_ADDRESS]');
  expect(sleeps).toEqual([1000, 2000, 4000]);
});

test('fails at once on an error no wait can fix', async () => {
  const state = newState();
  state.failWith.push(403);
  await expect(redactor(state).redact(['a@b.com'], settings)).rejects.toThrow('fake failure 403');
});

test('spaces requests to stay within the requests-per-minute quota', async () => {
  const sleeps: number[] = [];
  const r = redactor(newState(), { sleeps, requestsPerMinute: 60 });
  for (let i = 0; i < 3; i++) await r.redact(['a@b.com'], settings);
  expect(sleeps).toEqual([1000, 1000]);
});

test('cut keeps every character, in order, and each piece within the bytes', () => {
  const text = 'é'.repeat(1000) + '\n' + 'x'.repeat(3000) + '😀'.repeat(500);
  const pieces = cut(text, 2000);
  expect(pieces.join('')).toBe(text);
  for (const p of pieces) expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(2000);
});
