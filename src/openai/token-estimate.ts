/**
 * Tokens of text when the chat engine counts none (the local intents engine): OpenAI's rule
 * of thumb for English, one token per four characters, rounded up. An estimate for clients
 * that budget by usage; it is what usage_logs records for such engines.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
