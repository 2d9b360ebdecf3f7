/**
 * Redaction: which kinds of personal data are taken out of a transcript before any request is
 * written, and what they are replaced with. Shared by the construct (its `redaction` prop), the jobs
 * (the generator redacts; the version hashes the settings) and the laptop redactor.
 *
 * Info type names are Sensitive Data Protection's (Cloud DLP) built-in ones, so that the same
 * settings drive the laptop redactor and `projects.locations.content.deidentify` in the cloud.
 * @see https://cloud.google.com/sensitive-data-protection/docs/infotypes-reference
 */

/** The info types the pipeline redacts by default, and the laptop redactor detects. */
export const INFO_TYPES = {
  personName: 'PERSON_NAME',
  phoneNumber: 'PHONE_NUMBER',
  emailAddress: 'EMAIL_ADDRESS',
  creditCardNumber: 'CREDIT_CARD_NUMBER',
  iban: 'IBAN_CODE',
  /** A national id: the United States' social security number. */
  nationalId: 'US_SOCIAL_SECURITY_NUMBER',
  streetAddress: 'STREET_ADDRESS',
  dateOfBirth: 'DATE_OF_BIRTH',
} as const;

export type KnownInfoType = (typeof INFO_TYPES)[keyof typeof INFO_TYPES];

export const DEFAULT_INFO_TYPES: readonly KnownInfoType[] = Object.values(INFO_TYPES);

/** What an info type name looks like (Sensitive Data Protection's names: upper case, digits, `_`). */
export const INFO_TYPE_NAME = /^[A-Z][A-Z0-9_]{1,63}$/;

/** The replacement that puts each finding's info type in brackets: `[PHONE_NUMBER]`. */
export const REPLACE_WITH_INFO_TYPE = 'info_type';

/** How transcripts are redacted. */
export interface RedactionSettings {
  /**
   * The kinds of personal data to redact, by Sensitive Data Protection info type name.
   * @default DEFAULT_INFO_TYPES (names, phone numbers, emails, card numbers, IBANs, national ids, street addresses, dates of birth)
   */
  readonly infoTypes?: readonly string[];
  /**
   * What a finding becomes: `info_type` for its type in brackets (`[PHONE_NUMBER]`), or a fixed text.
   * @default 'info_type'
   */
  readonly replacement?: string;
  /**
   * A Sensitive Data Protection inspect template (`projects/P/locations/L/inspectTemplates/T`), used
   * in the cloud in place of `infoTypes`.
   * @default - none: the info types above
   */
  readonly inspectTemplate?: string;
  /**
   * A Sensitive Data Protection de-identify template (`projects/P/locations/L/deidentifyTemplates/T`),
   * used in the cloud in place of `replacement`.
   * @default - none: the replacement above
   */
  readonly deidentifyTemplate?: string;
}

/** The settings with every default filled in. */
export interface ResolvedRedaction {
  readonly infoTypes: readonly string[];
  readonly replacement: string;
  readonly inspectTemplate?: string;
  readonly deidentifyTemplate?: string;
}

/** The text that replaces one finding of a type. */
export function replacementFor(settings: ResolvedRedaction, infoType: string): string {
  return settings.replacement === REPLACE_WITH_INFO_TYPE ? `[${infoType}]` : settings.replacement;
}

/** The problems of a redaction setting, each naming the value and what is allowed; empty when it is fine. */
export function redactionProblems(settings: RedactionSettings): string[] {
  const problems: string[] = [];
  const types = settings.infoTypes ?? DEFAULT_INFO_TYPES;
  if (types.length === 0) problems.push('redaction.infoTypes is empty: name at least one info type, or leave it out for the defaults');
  for (const t of types) {
    if (!INFO_TYPE_NAME.test(t))
      problems.push(
        `redaction.infoTypes holds "${t}", which is not an info type name (upper case letters, digits and _, e.g. PHONE_NUMBER)`,
      );
  }
  if (new Set(types).size !== types.length) problems.push(`redaction.infoTypes names a type twice: ${types.join(', ')}`);
  if (settings.replacement !== undefined && (settings.replacement.length === 0 || settings.replacement.length > 100)) {
    problems.push(
      `redaction.replacement must be 1 to 100 characters ('${REPLACE_WITH_INFO_TYPE}' for [TYPE] tags), got "${settings.replacement}"`,
    );
  }
  const templates: [string, string | undefined, string][] = [
    ['inspectTemplate', settings.inspectTemplate, 'inspectTemplates'],
    ['deidentifyTemplate', settings.deidentifyTemplate, 'deidentifyTemplates'],
  ];
  for (const [name, value, kind] of templates) {
    if (value !== undefined && !new RegExp(`^(projects|organizations)/[^/]+/(locations/[^/]+/)?${kind}/[^/]+$`).test(value)) {
      problems.push(`redaction.${name} must be a template resource name like projects/P/locations/L/${kind}/T, got "${value}"`);
    }
  }
  return problems;
}

/** Fills in the defaults; throws naming every problem. */
export function resolveRedaction(settings: RedactionSettings): ResolvedRedaction {
  const problems = redactionProblems(settings);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return {
    infoTypes: [...(settings.infoTypes ?? DEFAULT_INFO_TYPES)],
    replacement: settings.replacement ?? REPLACE_WITH_INFO_TYPE,
    ...(settings.inspectTemplate !== undefined ? { inspectTemplate: settings.inspectTemplate } : {}),
    ...(settings.deidentifyTemplate !== undefined ? { deidentifyTemplate: settings.deidentifyTemplate } : {}),
  };
}

/**
 * Sensitive Data Protection's limits on one `content.deidentify` request, and its default quota
 * ("Quotas and limits", https://cloud.google.com/sensitive-data-protection/limits): the default
 * request size limit is 0.5 MB; a table item holds at most 50,000 values; a request reports at most
 * 3,000 findings; a project makes 600 requests a minute per region to the global endpoint.
 */
export const SENSITIVE_DATA_PROTECTION = {
  maxRequestBytes: 500_000,
  maxTableValues: 50_000,
  maxFindingsPerRequest: 3_000,
  requestsPerMinute: 600,
  /** The service to enable, and the least role that may call `content.deidentify` ("IAM roles"). */
  service: 'dlp.googleapis.com',
  userRole: 'roles/dlp.user',
  /** Read a named inspect or de-identify template. */
  inspectTemplatesReaderRole: 'roles/dlp.inspectTemplatesReader',
  deidentifyTemplatesReaderRole: 'roles/dlp.deidentifyTemplatesReader',
} as const;

/** Findings per info type in one record: counts, never values. */
export type RedactionCounts = Readonly<Record<string, number>>;
