/**
 * The generator's redaction step: gathers the transcripts of the records it is about to send until
 * they fill one call of the redactor, redacts them together, and hands each record on, in the order
 * it came, with its redacted text and its counts. With no redaction settings each record is handed on
 * at once, unchanged. A transcript that will not be sent (empty, or longer than the limit) is handed
 * on as it is, without being redacted: it becomes an error row that holds no text.
 */
import { RedactionCounts, RedactionSettings, resolveRedaction, ResolvedRedaction } from '../contract/redaction';
import type { Redactor } from './ports';

export type Send<T> = (item: T, text: string | null, counts: RedactionCounts | undefined) => Promise<void>;

export class RedactionQueue<T> {
  private pending: { item: T; text: string | null }[] = [];
  private chars = 0;
  private readonly settings: ResolvedRedaction | undefined;

  constructor(
    /** The analysis's redaction; defaults are filled in for a declaration written without them. */
    settings: RedactionSettings | undefined,
    private readonly redactor: Redactor | undefined,
    /** Transcripts longer than this are not sent, so not redacted either. */
    private readonly maxTranscriptChars: number,
    private readonly send: Send<T>,
  ) {
    this.settings = settings && resolveRedaction(settings);
    if (settings && !redactor) {
      throw new Error(
        'the analysis asks for redaction but this process has no redactor: transcripts are never sent unredacted, so no request was written',
      );
    }
  }

  async add(item: T, text: string | null): Promise<void> {
    if (!this.settings) return this.send(item, text, undefined);
    this.pending.push({ item, text });
    this.chars += text?.length ?? 0;
    if (this.chars >= this.redactor!.batchChars) await this.flush();
  }

  /** Redacts and hands on what is gathered. Call once more at the end. */
  async flush(): Promise<void> {
    if (!this.settings || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.chars = 0;
    const sendable = (text: string | null): text is string => text !== null && text.trim() !== '' && text.length <= this.maxTranscriptChars;
    const texts = batch.map((b) => b.text).filter(sendable);
    const redacted = texts.length > 0 ? await this.redactor!.redact(texts, this.settings) : [];
    if (redacted.length !== texts.length) throw new Error(`the redactor answered ${redacted.length} texts for ${texts.length}`);
    let k = 0;
    for (const { item, text } of batch) {
      if (!sendable(text)) {
        await this.send(item, text, undefined);
        continue;
      }
      const r = redacted[k++]!;
      await this.send(item, r.text, r.counts);
    }
  }
}
