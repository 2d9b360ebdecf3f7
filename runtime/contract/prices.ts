/**
 * Batch prediction prices per million tokens, for estimates and the report's cost line.
 *
 * Source: Google Cloud's Vertex AI generative AI pricing page, "Gemini 2.5" section, batch column
 * (50 % of the online price), read 2026-11-28. Prices change: pass your own with the reporter's
 * TAP_PRICE variable or `tapctl estimate --price`.
 */
export interface ModelPrice {
  /** USD per 1,000,000 input tokens, batch. */
  readonly inputPerMillion: number;
  /** USD per 1,000,000 output tokens (thinking included), batch. */
  readonly outputPerMillion: number;
}

export const PRICES_AS_OF = '2026-11-28';

export const BATCH_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gemini-2.5-flash': { inputPerMillion: 0.15, outputPerMillion: 1.25 },
  'gemini-2.5-flash-lite': { inputPerMillion: 0.05, outputPerMillion: 0.2 },
  'gemini-2.5-pro': { inputPerMillion: 0.625, outputPerMillion: 5.0 },
  'gemini-2.0-flash': { inputPerMillion: 0.075, outputPerMillion: 0.3 },
};

/** The price of a model, by id or resource name; unknown models cost as the default Flash model. */
export function priceOf(model: string): ModelPrice {
  const id = model.split('/').pop() ?? model;
  return BATCH_PRICES[id] ?? BATCH_PRICES['gemini-2.5-flash']!;
}

export function estimateCostUsd(price: ModelPrice, tokensIn: number, tokensOut: number): number {
  return (tokensIn * price.inputPerMillion + tokensOut * price.outputPerMillion) / 1_000_000;
}
