/**
 * The generator's redactor in the cloud: Sensitive Data Protection's
 * `projects.locations.content.deidentify` through the official `@google-cloud/dlp` client.
 *
 * Transcripts go several to a request, as the rows of a one-column table `ContentItem`, within the
 * request size limit, the table value limit and the findings limit; a request answered "too many
 * requests" or "unavailable" is sent again after a growing wait, and requests are spaced to stay
 * within the requests-per-minute quota. What a row lost is counted from its `[INFO_TYPE]` tags: the
 * API's own overview sums findings over the whole request, not per row.
 * @see https://cloud.google.com/sensitive-data-protection/docs/reference/rest/v2/projects.locations.content/deidentify
 * @see https://cloud.google.com/sensitive-data-protection/docs/reference/rest/v2/DeidentifyContentResponse
 * @see https://cloud.google.com/sensitive-data-protection/limits
 */
import { REPLACE_WITH_INFO_TYPE, RedactionCounts, ResolvedRedaction, SENSITIVE_DATA_PROTECTION } from '../../contract/redaction';
import type { Logger, RedactedText, Redactor } from '../../core/ports';

/** The one method of `DlpServiceClient` the redactor calls, with the REST JSON shapes it sends and reads. */
export interface DeidentifyClient {
  deidentifyContent(request: DeidentifyRequest): Promise<[DeidentifyResponse, ...unknown[]]>;
}

export interface DeidentifyRequest {
  readonly parent: string;
  readonly inspectConfig?: { readonly infoTypes: ReadonlyArray<{ readonly name: string }> };
  readonly deidentifyConfig?: {
    readonly infoTypeTransformations: {
      readonly transformations: ReadonlyArray<{ readonly primitiveTransformation: { readonly replaceWithInfoTypeConfig: object } }>;
    };
  };
  readonly inspectTemplateName?: string;
  readonly deidentifyTemplateName?: string;
  readonly item: { readonly table: Table };
}

interface Table {
  readonly headers: ReadonlyArray<{ readonly name: string }>;
  readonly rows: ReadonlyArray<{ readonly values: ReadonlyArray<{ readonly stringValue: string }> }>;
}

export interface DeidentifyResponse {
  readonly item?: {
    readonly table?: { readonly rows?: ReadonlyArray<{ readonly values?: ReadonlyArray<{ readonly stringValue?: string | null }> }> };
  };
  readonly overview?: {
    readonly transformationSummaries?: ReadonlyArray<{
      readonly infoType?: { readonly name?: string } | null;
      readonly results?: ReadonlyArray<{ readonly count?: number | string | null; readonly code?: string | number | null }>;
    }>;
  };
}

export interface DlpRedactorOptions {
  readonly projectId: string;
  /** Where the API processes the content: the pipeline's region. */
  readonly location: string;
  readonly client: DeidentifyClient;
  readonly log?: Logger;
  /** @default SENSITIVE_DATA_PROTECTION.requestsPerMinute */
  readonly requestsPerMinute?: number;
  /** @default SENSITIVE_DATA_PROTECTION.maxRequestBytes */
  readonly maxRequestBytes?: number;
  /** Tries of one request before the job fails. @default 8 */
  readonly maxAttempts?: number;
  /** Waits; tests pass one that only records. @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** gRPC codes (as the client reports them) and HTTP statuses worth another try, after a wait. */
const RETRYABLE_CODES = new Set([4, 8, 13, 14, 429, 500, 503, 504]);
/** Bytes of a request besides its rows' text: the configuration, field names, JSON punctuation. */
const REQUEST_OVERHEAD_BYTES = 16 * 1024;
const TAG = /\[([A-Z][A-Z0-9_]{1,63})\]/g;

export class DlpRedactor implements Redactor {
  readonly batchChars: number;
  private readonly maxRowBytes: number;
  private nextSlot = 0;

  constructor(private readonly options: DlpRedactorOptions) {
    const maxRequestBytes = options.maxRequestBytes ?? SENSITIVE_DATA_PROTECTION.maxRequestBytes;
    this.maxRowBytes = maxRequestBytes - REQUEST_OVERHEAD_BYTES;
    if (this.maxRowBytes < 1024) throw new Error(`maxRequestBytes must leave room for the request's configuration, got ${maxRequestBytes}`);
    this.batchChars = Math.floor(this.maxRowBytes * 0.8);
  }

  async redact(texts: readonly string[], settings: ResolvedRedaction): Promise<RedactedText[]> {
    // A transcript longer than one request goes in pieces, cut at line ends, and is joined again.
    const pieces: { text: string; owner: number }[] = [];
    texts.forEach((text, owner) => {
      for (const piece of cut(text, this.maxRowBytes)) pieces.push({ text: piece, owner });
    });
    const out = texts.map(() => ({ text: '', counts: {} as Record<string, number> }));
    for (const group of requests(pieces, this.maxRowBytes)) {
      const redacted = await this.deidentify(
        group.map((p) => p.text),
        settings,
      );
      group.forEach((p, k) => {
        const target = out[p.owner]!;
        target.text += redacted[k]!.text;
        for (const [type, n] of Object.entries(redacted[k]!.counts)) target.counts[type] = (target.counts[type] ?? 0) + n;
      });
    }
    return out;
  }

  /** One or more requests for rows that fit one: a request that reached the findings limit is split and sent again. */
  private async deidentify(rows: readonly string[], settings: ResolvedRedaction): Promise<RedactedText[]> {
    const response = await this.send(rows, settings);
    const outRows = response.item?.table?.rows ?? [];
    if (outRows.length !== rows.length) {
      throw new Error(`Sensitive Data Protection answered ${outRows.length} rows for the ${rows.length} sent`);
    }
    const findings = (response.overview?.transformationSummaries ?? [])
      .flatMap((s) => s.results ?? [])
      .reduce((sum, r) => sum + Number(r.count ?? 0), 0);
    // Beyond its findings limit the API may leave the rest of a request untouched: never send that on.
    if (findings >= SENSITIVE_DATA_PROTECTION.maxFindingsPerRequest) {
      if (rows.length === 1) {
        // One transcript with that many findings: in two halves, cut at a line end.
        const pieces = cut(rows[0]!, Math.ceil(bytes(rows[0]!) / 2) + 64);
        if (pieces.length < 2) throw new Error(`a text of ${rows[0]!.length} characters has too many findings to redact`);
        return [joined(await this.deidentify(pieces, settings))];
      }
      const half = Math.ceil(rows.length / 2);
      return [...(await this.deidentify(rows.slice(0, half), settings)), ...(await this.deidentify(rows.slice(half), settings))];
    }
    return rows.map((original, k) => finish(original, outRows[k]?.values?.[0]?.stringValue ?? '', settings));
  }

  private async send(rows: readonly string[], settings: ResolvedRedaction): Promise<DeidentifyResponse> {
    const request: DeidentifyRequest = {
      parent: `projects/${this.options.projectId}/locations/${this.options.location}`,
      ...(settings.inspectTemplate
        ? { inspectTemplateName: settings.inspectTemplate }
        : { inspectConfig: { infoTypes: settings.infoTypes.map((name) => ({ name })) } }),
      // Counting per row reads the tags, so the API always replaces with the info type; a fixed
      // replacement is put in here afterwards. A de-identify template decides for itself.
      ...(settings.deidentifyTemplate
        ? { deidentifyTemplateName: settings.deidentifyTemplate }
        : {
            deidentifyConfig: {
              infoTypeTransformations: { transformations: [{ primitiveTransformation: { replaceWithInfoTypeConfig: {} } }] },
            },
          }),
      item: { table: { headers: [{ name: 'transcript' }], rows: rows.map((text) => ({ values: [{ stringValue: text }] })) } },
    };
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      await this.pace();
      try {
        const [response] = await this.options.client.deidentifyContent(request);
        return response;
      } catch (error) {
        const code = errorCode(error);
        if (!RETRYABLE_CODES.has(code) || attempt >= maxAttempts) throw error;
        const wait = Math.min(64_000, 1000 * 2 ** (attempt - 1));
        this.options.log?.log('WARNING', `Sensitive Data Protection answered ${code}; trying again in ${wait / 1000} s`, {
          code,
          attempt,
        });
        await this.sleep(wait);
      }
    }
  }

  /** Spaces requests to stay within the per-minute quota. */
  private async pace(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const spacing = 60_000 / (this.options.requestsPerMinute ?? SENSITIVE_DATA_PROTECTION.requestsPerMinute);
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + spacing;
    if (at > now) await this.sleep(at - now);
  }

  private sleep(ms: number): Promise<void> {
    return this.options.sleep ? this.options.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }
}

function joined(parts: readonly RedactedText[]): RedactedText {
  const counts: Record<string, number> = {};
  for (const part of parts) for (const [type, n] of Object.entries(part.counts)) counts[type] = (counts[type] ?? 0) + n;
  return { text: parts.map((p) => p.text).join(''), counts };
}

function errorCode(error: unknown): number {
  const e = error as { code?: unknown; status?: unknown };
  const code = typeof e?.code === 'number' ? e.code : typeof e?.status === 'number' ? e.status : NaN;
  return code;
}

/** Counts a row's new tags by type and puts in a fixed replacement where one is asked for. */
function finish(original: string, redacted: string, settings: ResolvedRedaction): RedactedText {
  const before = tagCounts(original);
  const after = tagCounts(redacted);
  const counts: Record<string, number> = {};
  for (const [type, n] of Object.entries(after)) {
    const added = n - (before[type] ?? 0);
    if (added > 0) counts[type] = added;
  }
  let text = redacted;
  if (settings.replacement !== REPLACE_WITH_INFO_TYPE && !settings.deidentifyTemplate) {
    text = text.replace(TAG, (whole, type: string) => (counts[type] ? settings.replacement : whole));
  }
  return { text, counts };
}

function tagCounts(text: string): RedactionCounts {
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(TAG)) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  return counts;
}

const bytes = (text: string) => Buffer.byteLength(JSON.stringify(text), 'utf8');

/** A text in pieces of at most `max` bytes (as JSON), cut after a line end where there is one. */
export function cut(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (bytes(rest) > max) {
    let lo = 1;
    let hi = rest.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (bytes(rest.slice(0, mid)) <= max) lo = mid;
      else hi = mid - 1;
    }
    // Never between the two halves of a surrogate pair.
    if (/[\uD800-\uDBFF]/.test(rest[lo - 1] ?? '')) lo--;
    const newline = rest.lastIndexOf('\n', lo - 1);
    const at = newline > lo / 2 ? newline + 1 : lo;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  pieces.push(rest);
  return pieces;
}

/** Consecutive pieces in groups that each fit one request's bytes and table values. */
function requests<T extends { text: string }>(pieces: readonly T[], maxBytes: number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let size = 0;
  for (const piece of pieces) {
    const b = bytes(piece.text) + 16;
    if (group.length > 0 && (size + b > maxBytes || group.length >= SENSITIVE_DATA_PROTECTION.maxTableValues)) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(piece);
    size += b;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
