import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import { abortedError, type EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import { type RemoteErrorBody, readRemoteErrorBody } from './remote-error-body.js';
import { parseRetryAfter, RemoteEngineError } from './remote-engine-error.js';
import { scrubSecret } from './secret-scrubber.js';

/** health() probes give the server this long to answer. */
export const HEALTH_TIMEOUT_MS = 5_000;
/** Longest piece of a server's text quoted in an EngineError message. */
const MAX_QUOTED_CHARS = 300;
/** Largest answer body read into memory; beyond it the call fails rather than exhausting the heap. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
/** Largest error body read from a streamed call (errors are short JSON). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Bearer tokens in server text (a server may echo the request's header). */
const BEARER_TOKEN = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
/** Axios codes that mean the answer arrived but cannot be used: retrying will not help. */
const UNUSABLE_ANSWER_CODES = new Set(['ERR_BAD_RESPONSE', 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED']);

export interface RemoteHttpClientOptions {
  /** The engine id, for EngineErrors. */
  engineId: string;
  /** The API root, without a trailing slash; paths are appended to it. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. Never logged, never put in a message. */
  apiKey?: string;
  /** Name of the environment variable the key came from, for hints in messages. */
  apiKeyEnv?: string;
  /** Whole-call deadline (connect, send, wait, download), in milliseconds. */
  timeoutMs: number;
}

/** A non-2xx answer, as an adapter's `refineError` sees it. `message` is already scrubbed. */
export interface RemoteHttpFailure {
  status: number;
  remote: RemoteErrorBody;
  /** "POST /path answered HTTP 400: what the server said" (scrubbed; for the log, not for clients). */
  message: string;
  retryAfterSeconds?: number;
  body: Uint8Array;
}

export interface RemoteCall {
  method: 'GET' | 'POST';
  /** Appended to base_url, e.g. '/audio/speech'. */
  path: string;
  query?: Readonly<Record<string, string>>;
  /** A JSON body. */
  json?: unknown;
  /** A multipart body (the global FormData). */
  form?: FormData;
  signal: AbortSignal;
  /** Overrides the client's deadline for this call. */
  timeoutMs?: number;
  /**
   * The adapter's reading of an HTTP error the generic mapping would get wrong (an unknown
   * voice, a refused response_format); undefined keeps the generic mapping. Not consulted
   * for 401/403, whose bodies are never quoted.
   */
  refineError?: (failure: RemoteHttpFailure) => EngineError | undefined;
}

export interface RemoteReply {
  status: number;
  /** The media type, lower case, without parameters ('' when absent). */
  contentType: string;
  body: Uint8Array;
  header(name: string): string | undefined;
}

/** A 2xx answer whose body is read as it arrives (server-sent events). */
export interface RemoteStreamReply {
  status: number;
  /** The media type, lower case, without parameters ('' when absent). */
  contentType: string;
  header(name: string): string | undefined;
  /**
   * The body's chunks as they arrive. Iterating throws an EngineError when the connection
   * fails (`transient`), stays silent longer than the deadline (`transient`) or the caller
   * aborts (`aborted`); stopping early closes the connection.
   */
  body: AsyncIterable<Uint8Array>;
}

function headerOf(response: AxiosResponse<unknown>, name: string): string | undefined {
  const value: unknown = response.headers[name.toLowerCase()];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.join(', ');
  return undefined;
}

/** The socket-level code of a failed call (ECONNRESET, ECONNREFUSED…), if any. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current === 'object' && 'code' in current && typeof current.code === 'string') {
      return current.code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The one HTTP client of the remote adapters: an axios instance over keep-alive agents (so
 * consecutive calls reuse sockets), a whole-call deadline joined with the caller's
 * AbortSignal, bodies read as bytes, and every failure turned into an EngineError:
 * network errors, timeouts, 429 (with Retry-After) and 5xx are `transient`, 401/403
 * `unavailable`, other 4xx `invalid_input`, all as RemoteEngineErrors. Server text is quoted
 * only after the key (in every form) and any bearer token are removed from it, messages name
 * the path but never base_url, and no error carries the request (whose headers hold the key)
 * as its cause.
 */
export class RemoteHttpClient {
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  private readonly http: AxiosInstance;

  constructor(private readonly options: RemoteHttpClientOptions) {
    this.http = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      responseType: 'arraybuffer',
      // Statuses are mapped below; axios must not throw for them.
      validateStatus: () => true,
      // A redirect could carry the key elsewhere; remote APIs answer where they are asked.
      maxRedirects: 0,
      // Like the fetch it replaces: no *_PROXY environment variables change where keys go.
      proxy: false,
      maxContentLength: MAX_RESPONSE_BYTES,
      maxBodyLength: MAX_RESPONSE_BYTES,
      // The deadline is an AbortSignal (it covers a slow download too); axios' own is idle-only.
      timeout: 0,
    });
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** Sends the call; resolves with any 2xx answer, throws an EngineError for everything else. */
  async send(call: RemoteCall): Promise<RemoteReply> {
    if (call.signal.aborted) throw abortedError(this.options.engineId);
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    let response: AxiosResponse<ArrayBuffer>;
    try {
      response = await this.http.request<ArrayBuffer>({
        method: call.method,
        url: `${this.options.baseUrl}${call.path}`,
        params: call.query,
        data: call.form ?? (call.json === undefined ? undefined : JSON.stringify(call.json)),
        headers: {
          ...this.authHeaders(),
          ...(call.json === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        signal: AbortSignal.any([call.signal, deadline]),
      });
    } catch (error) {
      throw this.callError(error, call, deadline, timeoutMs);
    }
    const body = new Uint8Array(response.data);
    const reply: RemoteReply = {
      status: response.status,
      contentType: (headerOf(response, 'content-type') ?? '').split(';')[0].trim().toLowerCase(),
      body,
      header: (name) => headerOf(response, name),
    };
    if (response.status < 200 || response.status >= 300) throw this.httpError(call, reply);
    return reply;
  }

  /**
   * Sends the call and hands back the body as it arrives. The deadline bounds the wait for
   * the answer's headers and then every silence between chunks (not the whole body: a
   * streamed reply may take longer than any one pause). Non-2xx answers are read whole and
   * throw the same EngineErrors as send().
   */
  async sendStreaming(call: RemoteCall): Promise<RemoteStreamReply> {
    const { engineId } = this.options;
    if (call.signal.aborted) throw abortedError(engineId);
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs;
    const silence = new AbortController();
    let timer = setTimeout(() => silence.abort(), timeoutMs);
    const signal = AbortSignal.any([call.signal, silence.signal]);
    let response: AxiosResponse<Readable>;
    try {
      response = await this.http.request<Readable>({
        method: call.method,
        url: `${this.options.baseUrl}${call.path}`,
        params: call.query,
        data: call.json === undefined ? undefined : JSON.stringify(call.json),
        headers: {
          ...this.authHeaders(),
          ...(call.json === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        responseType: 'stream',
        signal,
      });
    } catch (error) {
      clearTimeout(timer);
      throw this.callError(error, call, silence.signal, timeoutMs);
    }
    const stream = response.data;
    const close = (): void => {
      clearTimeout(timer);
      stream.destroy();
    };
    signal.addEventListener('abort', close, { once: true });
    const contentType = (headerOf(response, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    const header = (name: string): string | undefined => headerOf(response, name);
    if (response.status < 200 || response.status >= 300) {
      try {
        const body = await this.readAll(stream, call, silence.signal, timeoutMs);
        throw this.httpError(call, { status: response.status, contentType, body, header });
      } finally {
        signal.removeEventListener('abort', close);
        close();
      }
    }
    const rearm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => silence.abort(), timeoutMs);
    };
    const chunks = async function* (this: RemoteHttpClient): AsyncGenerator<Uint8Array> {
      rearm();
      try {
        for await (const chunk of stream) {
          rearm();
          yield chunk as Uint8Array;
        }
        if (signal.aborted) throw new Error('aborted');
      } catch (error) {
        throw this.callError(error, call, silence.signal, timeoutMs, 'stopped sending');
      } finally {
        signal.removeEventListener('abort', close);
        close();
      }
    };
    return { status: response.status, contentType, header, body: chunks.call(this) };
  }

  /** A whole (error) body, at most MAX_ERROR_BODY_BYTES of it. */
  private async readAll(
    stream: Readable,
    call: RemoteCall,
    silence: AbortSignal,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        const part = chunk as Buffer;
        if (size + part.byteLength > MAX_ERROR_BODY_BYTES) break;
        parts.push(part);
        size += part.byteLength;
      }
    } catch (error) {
      throw this.callError(error, call, silence, timeoutMs);
    }
    return new Uint8Array(Buffer.concat(parts));
  }

  /** send(), then the body parsed as JSON; a body that is not JSON is `failed`. */
  async sendJson(call: RemoteCall): Promise<unknown> {
    return this.readJson(call, await this.send(call));
  }

  /** A reply's body parsed as JSON; a body that is not JSON is `failed`. */
  readJson(call: RemoteCall, reply: RemoteReply): unknown {
    const text = Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength).toString(
      'utf8',
    );
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw this.failure(
        `${call.method} ${this.where(call.path)} answered ${reply.contentType || 'no content type'} ` +
          `(${reply.body.byteLength} bytes) that is not JSON${this.quote(text.slice(0, 80))}`,
        error,
      );
    }
  }

  /** GET path within HEALTH_TIMEOUT_MS: available on any 2xx, else unavailable with a reason. */
  async probe(path: string): Promise<EngineHealth> {
    try {
      await this.send({
        method: 'GET',
        path,
        signal: new AbortController().signal,
        timeoutMs: HEALTH_TIMEOUT_MS,
        // The reason is shown by /health, which anyone may read: the status, not the server's text.
        refineError: ({ status }) =>
          new RemoteEngineError('unavailable', `GET ${path} answered HTTP ${status}.`, this.options.engineId),
      });
      return { available: true };
    } catch (error) {
      return { available: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Server text made safe to log: one line, shortened, without the key (in any case, base64
   * or percent-encoded) or bearer tokens; '' or ': text'. Messages that quote it are for the
   * log: RemoteEngineErrors are never shown to clients (engine-app-error.ts).
   */
  quote(text: string | undefined): string {
    if (!text) return '';
    let safe = text.replace(/\s+/g, ' ').trim();
    safe = scrubSecret(safe, this.options.apiKey);
    safe = safe.replace(BEARER_TOKEN, '$1[redacted]');
    if (safe.length > MAX_QUOTED_CHARS) safe = `${safe.slice(0, MAX_QUOTED_CHARS)}…`;
    return safe ? `: ${safe}` : '';
  }

  /** An EngineError of kind `failed` (an answer the adapter cannot use); the cause is kept only as its code. */
  failure(message: string, cause?: unknown): EngineError {
    return new RemoteEngineError(
      'failed',
      `${message}.`,
      this.options.engineId,
      undefined,
      this.safeCause(cause),
    );
  }

  /**
   * The path of a call, for messages. Never base_url: it is often an internal address, and
   * messages reach /health and logs; the engine id says which server is meant.
   */
  where(path: string): string {
    return path;
  }

  /** A hint on where the key comes from, for 401/403 messages. */
  credentialsHint(): string {
    if (this.options.apiKeyEnv) return `check the key in ${this.options.apiKeyEnv}`;
    if (this.options.apiKey) return 'check options.api_key';
    return 'the server needs a key: set options.api_key_env';
  }

  /**
   * Destroys the keep-alive sockets, in use or idle: the registry disposes an engine only
   * after its calls have finished.
   */
  dispose(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private authHeaders(): Record<string, string> {
    return this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  /** A plain Error with the failure's code and scrubbed message: never the axios error with its request config. */
  private safeCause(error: unknown): { cause?: unknown } {
    if (error === undefined) return {};
    const code = networkErrorCode(error);
    const message = error instanceof Error ? this.quote(error.message).replace(/^: /, '') : '';
    return { cause: new Error([code, message].filter(Boolean).join(': ') || 'unknown error') };
  }

  private callError(
    error: unknown,
    call: RemoteCall,
    deadline: AbortSignal,
    timeoutMs: number,
    midStream?: 'stopped sending',
  ): EngineError {
    const { engineId } = this.options;
    if (call.signal.aborted) return abortedError(engineId);
    const target = `${call.method} ${this.where(call.path)}`;
    if (deadline.aborted) {
      return new RemoteEngineError(
        'transient',
        midStream
          ? `${target} timed out: the answer ${midStream} for ${timeoutMs / 1000} s.`
          : `${target} timed out: no complete answer within ${timeoutMs / 1000} s.`,
        engineId,
        undefined,
        this.safeCause(error),
      );
    }
    const code = networkErrorCode(error);
    if (code && UNUSABLE_ANSWER_CODES.has(code)) {
      return this.failure(
        `${target} answered unusably (${this.quote(isAxiosError(error) ? error.message : code).slice(2)})`,
        error,
      );
    }
    const detail = code ?? this.quote(error instanceof Error ? error.message : String(error)).slice(2);
    return new RemoteEngineError(
      'transient',
      midStream ? `${target} failed mid-answer (${detail}).` : `${target} failed (${detail}).`,
      engineId,
      undefined,
      this.safeCause(error),
    );
  }

  private httpError(call: RemoteCall, reply: RemoteReply): EngineError {
    const { engineId } = this.options;
    const { status } = reply;
    const target = `${call.method} ${this.where(call.path)}`;
    if (status === 401 || status === 403) {
      // Deliberately not quoting the server here: some echo the presented credentials.
      return new RemoteEngineError(
        'unavailable',
        `${target} refused the credentials (HTTP ${status}); ${this.credentialsHint()}.`,
        engineId,
      );
    }
    const remote = readRemoteErrorBody(reply.body);
    const failure: RemoteHttpFailure = {
      status,
      remote,
      message: `${target} answered HTTP ${status}${this.quote(remote.message)}`,
      retryAfterSeconds: parseRetryAfter(reply.header('retry-after') ?? null),
      body: reply.body,
    };
    const refined = call.refineError?.(failure);
    if (refined) return refined;
    if (status === 429 || status === 408 || status >= 500) {
      return new RemoteEngineError('transient', failure.message, engineId, failure.retryAfterSeconds);
    }
    if (status === 404)
      return new RemoteEngineError('unavailable', `${failure.message} (is base_url right?)`, engineId);
    if (status >= 400) return new RemoteEngineError('invalid_input', failure.message, engineId);
    return new RemoteEngineError('failed', failure.message, engineId);
  }
}
