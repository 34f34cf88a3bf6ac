/** One metered request as usage_logs stores it. error_code is a code, never a message. */
export interface UsageLogEntry {
  userId: number;
  keyId: string | null;
  endpoint: string;
  voice?: string | null;
  engine?: string | null;
  model?: string | null;
  textLength?: number | null;
  audioSeconds: number;
  status: 'success' | 'error';
  errorCode?: string | null;
  latencyMs: number;
  requestId: string;
  /** Tokens a chat engine counted for the turn (chat rows only). */
  promptTokens?: number | null;
  completionTokens?: number | null;
}
