import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeWav } from '../../src/audio/wav.js';
import {
  type LocalHttpServer,
  playTransportFault,
  sendJson,
  sineTone,
  startLocalHttpServer,
  type TransportFault,
} from '../../src/engines/adapters/remote/testing/local-http-server.js';

/** What the fake answers POST /v1/audio/speech with; `ok` is the documented success. */
export type SpeechFault =
  | 'ok'
  | 'error500'
  | 'rate_limited'
  | 'malformed'
  | 'bad_request'
  | 'leaky_bad_request'
  | 'leaky_error500'
  | TransportFault;

/**
 * What a careless server puts in an error: its own URL and the presented key as sent, in
 * upper and lower case, base64 and percent-encoded (none of it may reach a client).
 */
export function leakyErrorText(url: string, authorization: string | undefined): string {
  const key = (authorization ?? '').replace(/^Bearer\s+/i, '');
  return [
    `upstream ${url}/v1/audio/speech refused key ${key}`,
    `upper ${key.toUpperCase()} lower ${key.toLowerCase()}`,
    `base64 ${Buffer.from(key).toString('base64')} urlencoded ${encodeURIComponent(key)}`,
  ].join('; ');
}

/** Seconds of tone per input character. */
const SECONDS_PER_CHAR = 0.05;
const RATE = 24_000;

export interface FakeOpenAiSpeech {
  /** `{url}/v1`: what an engine's base_url is set to. */
  readonly baseUrl: string;
  readonly server: LocalHttpServer;
  /** How the next speech requests are answered. */
  fault: SpeechFault;
  /** A successful answer waits this long first (to hold a bulkhead slot). */
  delayMs: number;
  /** This many speech requests are answered `ok` before `fault` applies (a failure mid-text). */
  okBeforeFault: number;
  /** Inputs containing a key get its fault instead (one chunk of a text failing, another hanging). */
  faultsByText: Record<string, SpeechFault>;
  /** POST /v1/audio/speech requests received, whatever the answer. */
  readonly speechRequests: number;
  close(): Promise<void>;
}

/**
 * A local stand-in for OpenAI's documented speech API: GET /v1/models lists tts-1; POST
 * /v1/audio/speech takes JSON { model, input, voice, response_format, speed } and answers
 * a WAV (a tone as long as the text) or OpenAI's { error: { message, type, param, code } }.
 * `fault` injects 500s, 429 with Retry-After, a 200 that is not audio, a 400 about the
 * request, errors that echo the server's URL and the key (`leaky_*`), and transport faults
 * (hang, reset, slow stream).
 */
export async function startFakeOpenAiSpeech(): Promise<FakeOpenAiSpeech> {
  // The settings tests change are read by the handler on every request.
  const state = {
    fault: 'ok' as SpeechFault,
    delayMs: 0,
    okBeforeFault: 0,
    faultsByText: {} as Record<string, SpeechFault>,
    speechRequests: 0,
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'tts-1', object: 'model', owned_by: 'fake' }],
      });
    }
    if (req.method !== 'POST' || req.url !== '/v1/audio/speech') {
      return sendJson(res, 404, {
        error: { message: 'Unknown route', type: 'invalid_request_error', param: null, code: null },
      });
    }
    state.speechRequests++;
    const { input } = JSON.parse(body.toString('utf8')) as { input?: unknown };
    const text = typeof input === 'string' ? input : '';
    const wav = (): Buffer => encodeWav(sineTone(Math.max(0.2, text.length * SECONDS_PER_CHAR), RATE), RATE);
    const byText = Object.entries(state.faultsByText).find(([key]) => text.includes(key))?.[1];
    let fault = byText ?? state.fault;
    if (byText === undefined && state.okBeforeFault > 0) {
      state.okBeforeFault--;
      fault = 'ok';
    }
    switch (fault) {
      case 'error500':
        return sendJson(res, 500, {
          error: { message: 'The server had an error.', type: 'server_error', param: null, code: null },
        });
      case 'rate_limited':
        return sendJson(
          res,
          429,
          {
            error: {
              message: 'Rate limit reached.',
              type: 'requests',
              param: null,
              code: 'rate_limit_exceeded',
            },
          },
          { 'Retry-After': '1' },
        );
      case 'malformed':
        return sendJson(res, 200, { note: 'not audio' });
      case 'bad_request':
        return sendJson(res, 400, {
          error: {
            message: 'speed must be between 0.25 and 4.',
            type: 'invalid_request_error',
            param: 'speed',
            code: null,
          },
        });
      case 'leaky_bad_request':
      case 'leaky_error500':
        return sendJson(res, fault === 'leaky_error500' ? 500 : 400, {
          error: {
            message: leakyErrorText(server.url, req.headers.authorization),
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
      case 'hang':
      case 'reset':
        return playTransportFault(fault, req, res);
      case 'slow_stream':
        return playTransportFault('slow_stream', req, res, 'audio/wav', wav());
      case 'ok': {
        const answer = (): void => {
          res.writeHead(200, { 'Content-Type': 'audio/wav' });
          res.end(wav());
        };
        if (state.delayMs === 0) return answer();
        const timer = setTimeout(answer, state.delayMs);
        res.on('close', () => clearTimeout(timer));
        return;
      }
    }
  };
  const server = await startLocalHttpServer(handle);
  return Object.assign(state, { baseUrl: `${server.url}/v1`, server, close: () => server.close() });
}
