import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What a key may be used for; a key used outside its scopes is refused. `ops` reads the
 * operator status routes (circuit breakers, resilience, interceptor state); an admin key
 * has it implicitly.
 */
export const API_SCOPES = ['tts', 'stt', 'conversation', 'files', 'ops', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Scopes a key gets when none are named: the product's, not the operator's. */
export const DEFAULT_KEY_SCOPES: readonly ApiScope[] = API_SCOPES.filter(
  (scope) => scope !== 'admin' && scope !== 'ops',
);

/** The caller once its API key (or the keyless development user) is accepted. */
export interface Account {
  userId: number;
  /** The key's public id; null for the keyless development user. */
  keyId: string | null;
  plan: string;
  isAdmin: boolean;
  scopes: readonly ApiScope[];
}

/**
 * What the server knows about the request being served. Lives in AsyncLocalStorage so
 * log lines, interceptors and services see it without passing it around.
 */
export interface RequestContext {
  requestId: string;
  startedAt: bigint;
  /** Who is calling: a user id once authenticated, else the client address. */
  principal?: string;
  /** Set by feature services so analytics can record them. */
  engine?: string;
  voice?: string;
  /** Set once an engine first returned audio for this request (time-to-first-audio metric). */
  firstAudioObserved?: boolean;
  /** Seconds of audio the request produced or consumed. */
  audioSeconds?: number;
  /** Set by the API-key guard. */
  account?: Account;
  /** The matched route pattern (set by the API-key guard), for usage logs. */
  endpoint?: string;
  /** Quota seconds left after this request's charge; sent as X-Quota-Remaining. */
  quotaRemainingSeconds?: number;
  /**
   * 'charging' once metering starts charging for the request's audio (a shutdown then lets
   * it finish sending); 'cut' when a shutdown cut it first (metering then charges nothing).
   * Whichever comes first wins: a request is never both cut and charged.
   */
  chargeState?: 'charging' | 'cut';
  /**
   * True while a multi-stage request (a conversation turn) holds the user's concurrency
   * slot for all its stages: metered calls inside it take no slot of their own.
   */
  holdsConcurrencySlot?: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const RequestContextStore = {
  run<T>(context: RequestContext, fn: () => T): T {
    return storage.run(context, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
};

/** Client-supplied ids are echoed only when they are short and safe to log. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function acceptOrGenerateRequestId(candidate: unknown): string {
  if (typeof candidate === 'string' && REQUEST_ID_PATTERN.test(candidate)) {
    return candidate;
  }
  return randomUUID();
}
