/**
 * An in-process fake of Sensitive Data Protection's `projects.locations.content.deidentify`, in the
 * documented REST shapes (https://cloud.google.com/sensitive-data-protection/docs/reference/rest/v2/projects.locations.content/deidentify):
 *
 * - `POST /v2/{parent=projects/*\/locations/*}/content:deidentify` with a body of `inspectConfig`
 *   (`infoTypes[].name`) or `inspectTemplateName`, `deidentifyConfig.infoTypeTransformations
 *   .transformations[].primitiveTransformation.replaceWithInfoTypeConfig` or
 *   `deidentifyTemplateName`, and `item` (`value`, or `table` with `headers[].name` and
 *   `rows[].values[].stringValue`).
 * - It answers a `DeidentifyContentResponse`: `item` in the shape sent, each finding replaced by its
 *   info type in brackets, and `overview` (`transformedBytes`, `transformationSummaries[]` of
 *   `infoType.name`, `transformation`, `results[]` of `count` and `code` SUCCESS); int64 fields are
 *   strings in JSON.
 * - Limits ("Quotas and limits"): a body over 0.5 MB is refused with 400 INVALID_ARGUMENT, a table
 *   over 50,000 values too; at most 3,000 findings are transformed and reported, the rest of the
 *   content is left as it was. Errors have Google's JSON error shape.
 *
 * Detection is a stand-in for the service's (the fake knows e-mail addresses and runs of ten or more
 * digits); what is tested is the client's use of the API, not detection.
 */
import type { ServerResponse } from 'node:http';
import { SENSITIVE_DATA_PROTECTION } from '../../runtime/contract/redaction';
import { FakeServer, Request, sendError, sendJson, startServer } from './http';

const DETECTORS: Readonly<Record<string, RegExp>> = {
  EMAIL_ADDRESS: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
  PHONE_NUMBER: /\+?\d[\d -]{8,}\d/g,
};

export interface FakeDlp extends FakeServer {
  readonly state: FakeDlpState;
}

/** What the fake has seen and will do next. */
export interface FakeDlpState {
  /** Every request body, parsed. */
  readonly requests: Record<string, unknown>[];
  /** HTTP statuses to answer the next requests with, one each, before answering normally. */
  readonly failWith: number[];
}

const STATUS: Readonly<Record<number, string>> = {
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
  403: 'PERMISSION_DENIED',
  400: 'INVALID_ARGUMENT',
};
/** gRPC codes of those statuses, as a client reports them. */
export const GRPC_CODES: Readonly<Record<string, number>> = {
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
};

export function newState(): FakeDlpState {
  return { requests: [], failWith: [] };
}

type Answer = { readonly status: number; readonly json: unknown };

const error = (status: number, message: string): Answer => ({
  status,
  json: { error: { code: status, message, status: STATUS[status] ?? 'UNKNOWN' } },
});

/** The answer to one `content:deidentify` body (raw bytes, as sent). */
export function answerDeidentify(state: FakeDlpState, raw: Buffer): Answer {
  const failure = state.failWith.shift();
  if (failure !== undefined) return error(failure, `fake failure ${failure}`);
  if (raw.length > SENSITIVE_DATA_PROTECTION.maxRequestBytes) {
    return error(400, `Request payload size exceeds the limit: ${SENSITIVE_DATA_PROTECTION.maxRequestBytes} bytes.`);
  }
  const body = JSON.parse(raw.toString('utf8')) as {
    inspectConfig?: { infoTypes?: { name: string }[] };
    inspectTemplateName?: string;
    deidentifyConfig?: {
      infoTypeTransformations?: { transformations?: { primitiveTransformation?: { replaceWithInfoTypeConfig?: object } }[] };
    };
    deidentifyTemplateName?: string;
    item?: { value?: string; table?: { headers?: { name: string }[]; rows?: { values?: { stringValue?: string }[] }[] } };
  };
  state.requests.push(body as Record<string, unknown>);
  const replaces =
    body.deidentifyTemplateName !== undefined ||
    body.deidentifyConfig?.infoTypeTransformations?.transformations?.some((t) => t.primitiveTransformation?.replaceWithInfoTypeConfig);
  if (!replaces) return error(400, 'the fake supports replaceWithInfoTypeConfig only');
  const types = body.inspectTemplateName ? Object.keys(DETECTORS) : (body.inspectConfig?.infoTypes ?? []).map((t) => t.name);
  if (types.length === 0) return error(400, 'inspectConfig.infoTypes or inspectTemplateName is required');
  const rows = body.item?.table?.rows ?? [];
  if (rows.reduce((n, r) => n + (r.values?.length ?? 0), 0) > SENSITIVE_DATA_PROTECTION.maxTableValues) {
    return error(400, `Too many table values: at most ${SENSITIVE_DATA_PROTECTION.maxTableValues}.`);
  }
  const counts: Record<string, number> = {};
  let budget: number = SENSITIVE_DATA_PROTECTION.maxFindingsPerRequest;
  let transformedBytes = 0;
  const redact = (text: string) => {
    let out = text;
    for (const type of types) {
      const detector = DETECTORS[type];
      if (!detector) continue;
      out = out.replace(detector, (whole) => {
        if (budget === 0) return whole;
        budget--;
        counts[type] = (counts[type] ?? 0) + 1;
        transformedBytes += Buffer.byteLength(whole);
        return `[${type}]`;
      });
    }
    return out;
  };
  const item = body.item?.table
    ? {
        table: {
          headers: body.item.table.headers,
          rows: rows.map((r) => ({ values: (r.values ?? []).map((v) => ({ stringValue: redact(v.stringValue ?? '') })) })),
        },
      }
    : { value: redact(body.item?.value ?? '') };
  return {
    status: 200,
    json: {
      item,
      overview: {
        transformedBytes: String(transformedBytes),
        transformationSummaries: Object.entries(counts).map(([name, count]) => ({
          infoType: { name },
          transformation: { replaceWithInfoTypeConfig: {} },
          results: [{ count: String(count), code: 'SUCCESS' }],
          transformedBytes: String(transformedBytes),
        })),
      },
    },
  };
}

export async function startFakeDlp(options: { token?: string } = {}): Promise<FakeDlp> {
  const state = newState();
  const deidentify = (req: Request, res: ServerResponse) => {
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      sendError(res, 401, 'UNAUTHENTICATED', 'unauthorized', 'Request had invalid authentication credentials.');
      return;
    }
    const answer = answerDeidentify(state, req.body);
    sendJson(res, answer.status, answer.json);
  };
  const server = await startServer([
    { method: 'POST', pattern: /^\/v2\/projects\/[^/]+\/locations\/[^/]+\/content:deidentify$/, handler: deidentify },
  ]);
  return { ...server, state };
}
