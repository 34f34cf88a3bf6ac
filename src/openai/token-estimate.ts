/**
 * Tokens of text when the chat engine counts none (the local intents engine): OpenAI's rule
 * of thumb for English, one token per four characters, rounded up. An estimate for clients
 * that budget by usage. usage_logs records only tokens an engine counted (null otherwise).
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
