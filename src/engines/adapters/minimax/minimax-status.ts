import type { EngineErrorKind } from '../../ports/engine-error.js';

/**
 * What a non-zero `base_resp.status_code` means for the gateway, after MiniMax's published
 * error-code table: the codes it says to "retry later" are transient, account problems
 * (key, balance, quota window) make the engine unavailable, and content or parameter
 * problems are the client's. 1013 is not in the current table; older T2A docs list it as
 * an internal service error, so it is retried like 1024.
 */
const KIND_BY_STATUS: ReadonlyMap<number, EngineErrorKind> = new Map([
  [1000, 'transient'], // unknown error
  [1001, 'transient'], // request timeout
  [1002, 'transient'], // rate limit
  [1013, 'transient'], // internal service error (older docs)
  [1024, 'transient'], // internal error
  [1033, 'transient'], // system error / downstream failure
  [1039, 'transient'], // token (TPM) limit
  [1041, 'transient'], // connection limit
  [2045, 'transient'], // rate growth limit
  [1004, 'unavailable'], // not authorised / token does not match group
  [2049, 'unavailable'], // invalid api key
  [1008, 'unavailable'], // insufficient balance
  [2056, 'unavailable'], // usage limit exceeded for the current window
  [1026, 'invalid_input'], // input flagged as sensitive
  [1027, 'invalid_input'], // output flagged as sensitive
  [1042, 'invalid_input'], // too many invisible or illegal characters
  [2013, 'invalid_input'], // invalid params
  [20132, 'voice_not_found'], // invalid samples or voice_id
  [2042, 'voice_not_found'], // no access to this voice_id
]);

/** Codes about the account's credentials: their status_msg is not quoted. */
export const MINIMAX_CREDENTIAL_STATUSES: ReadonlySet<number> = new Set([1004, 2049]);

/** The EngineError kind of a non-zero status code; codes not in the table are `failed`. */
export function minimaxStatusKind(statusCode: number): EngineErrorKind {
  return KIND_BY_STATUS.get(statusCode) ?? 'failed';
}

export interface MiniMaxBaseResp {
  statusCode: number;
  statusMsg: string;
}

/** `base_resp` of a MiniMax answer, or undefined when the body has none (or it is malformed). */
export function readBaseResp(body: unknown): MiniMaxBaseResp | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const baseResp = (body as Record<string, unknown>).base_resp;
  if (!baseResp || typeof baseResp !== 'object') return undefined;
  const { status_code: statusCode, status_msg: statusMsg } = baseResp as Record<string, unknown>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) return undefined;
  return { statusCode, statusMsg: typeof statusMsg === 'string' ? statusMsg : '' };
}
