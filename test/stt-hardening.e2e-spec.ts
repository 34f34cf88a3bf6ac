import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeWav } from '../src/audio/wav.js';
import { bearer, createUserWithKey, startSecuredGateway } from './support/accounts.js';
import { flood } from './support/flood.js';
import { GO_FORWARD_GRAMMAR, GO_FORWARD_RAW, POCKETSPHINX_TEST_CONFIG } from './support/speech-fixtures.js';
import { deepMerge, requestJson, type TestGateway, waitFor } from './support/test-gateway.js';

const ROUTES = ['/stt', '/v1/audio/transcriptions'] as const;
type Route = (typeof ROUTES)[number];
const FORM = 'multipart/form-data; boundary=B';

interface Answer {
  status?: string;
  message?: string;
  data?: { fields?: Array<{ field: string; errors: string[] }>; text?: string } | null;
  metadata?: { error_code?: string | null };
  error?: { message?: string; type?: string; code?: string | null };
  text?: string;
}

function part(disposition: string, value: string, type?: string): string {
  return `--B\r\nContent-Disposition: ${disposition}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n${value}\r\n`;
}

function filePart(bytes = 'RIFF0000WAVEfmt '): string {
  return part('form-data; name="file"; filename="a.wav"', bytes, 'audio/wav');
}

/** Requests a careless or hostile client sends: each must be a 4xx, never a crash or a 5xx. */
const MALFORMED: Array<{ name: string; contentType: string; body: string; code?: string }> = [
  {
    name: 'a nameless part',
    contentType: FORM,
    body: '--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n',
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a nameless file part',
    contentType: FORM,
    body: `${part('form-data; filename="a.wav"', 'x', 'audio/wav')}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a part named ""',
    contentType: FORM,
    body: `${filePart()}${part('form-data; name=""', 'x')}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'many parts',
    contentType: FORM,
    body: `${Array.from({ length: 200 }, (_, n) => part(`form-data; name="f${n}"`, 'x')).join('')}${filePart()}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a wrong boundary',
    contentType: 'multipart/form-data; boundary=OTHER',
    body: `${filePart()}--B--\r\n`,
  },
  {
    name: 'no boundary',
    contentType: 'multipart/form-data',
    body: `${filePart()}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
  { name: 'a boundary that never closes', contentType: FORM, body: filePart(), code: 'VALIDATION_FAILED' },
  { name: 'an empty body', contentType: FORM, body: '', code: 'VALIDATION_FAILED' },
  {
    name: 'a file part without a filename',
    contentType: FORM,
    body: `${part('form-data; name="file"', 'x')}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'two file parts',
    contentType: FORM,
    body: `${filePart()}${filePart()}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a field named __proto__',
    contentType: FORM,
    body: `${part('form-data; name="__proto__"', 'x')}${part('form-data; name="__proto__[]"', 'y')}${filePart()}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a field named constructor',
    contentType: FORM,
    body: `${part('form-data; name="constructor"', 'x')}${filePart()}--B--\r\n`,
    code: 'VALIDATION_FAILED',
  },
];

/** `<a0> = the | news; <aN> = <aN-1> <aN-1>; …`: 408 characters, ~2^18 decoder states. */
function grammarBomb(levels = 17): string {
  let text = '#JSGF V1.0; grammar g; <a0> = the | news ;';
  for (let n = 1; n <= levels; n++) text += ` <a${n}> = <a${n - 1}> <a${n - 1}> ;`;
  return `${text} public <s> = <a${levels}> ;`;
}

describe('STT input hardening', () => {
  let t: TestGateway;
  let adminKey: string;
  let sttOnly: Record<string, string>;
  let wav: Buffer;

  before(async () => {
    ({ t, adminKey } = await startSecuredGateway({
      config: deepMerge(POCKETSPHINX_TEST_CONFIG, { routers: { core: { stt: { max_file_size_mb: 1 } } } }),
    }));
    const user = await createUserWithKey(t.url, adminKey, {
      email: 'stt-only@example.com',
      plan: 'enterprise',
      quota_seconds: 3600,
      scopes: ['stt'],
    });
    sttOnly = bearer(user.key);
    const raw = await readFile(GO_FORWARD_RAW);
    wav = encodeWav(new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2), 16000);
  });

  after(async () => {
    // Every upload was removed however its request ended.
    await waitFor(async () => (await readdir(join(t.dir, 'tmp'))).length === 0, 'temp folder empty', 5000);
    await t.close();
  });

  async function assertAlive(after: string): Promise<void> {
    const live = await fetch(`${t.url}/health/live`);
    assert.equal(live.status, 200, `the server answers after ${after}`);
  }

  /** A 4xx in the route's error shape: the envelope on /stt, OpenAI's on /v1/. */
  function assertRefusal(route: Route, status: number, body: Answer, what: string, code?: string): void {
    assert.ok(status >= 400 && status < 500, `${what} on ${route}: ${status} ${JSON.stringify(body)}`);
    if (route === '/stt') {
      assert.equal(body.status, 'error', what);
      assert.equal(typeof body.metadata?.error_code, 'string', what);
      if (code) assert.equal(body.metadata?.error_code, code, `${what}: ${JSON.stringify(body)}`);
    } else {
      assert.equal(typeof body.error?.message, 'string', `${what}: ${JSON.stringify(body)}`);
      if (code) assert.equal(body.error?.code, code.toLowerCase(), `${what}: ${JSON.stringify(body)}`);
    }
  }

  for (const route of ROUTES) {
    it(`${route}: malformed multipart bodies are 4xx and the server stays up (key with the stt scope only)`, async () => {
      for (const request of MALFORMED) {
        const response = await requestJson<Answer>(`${t.url}${route}`, {
          method: 'POST',
          headers: { ...sttOnly, 'Content-Type': request.contentType },
          body: request.body,
        });
        assertRefusal(route, response.status, response.body, request.name, request.code);
        await assertAlive(request.name);
      }
    });
  }

  it('refuses __proto__ and constructor fields by name, polluting nothing', async () => {
    const response = await requestJson<Answer>(`${t.url}/stt`, {
      method: 'POST',
      headers: { ...sttOnly, 'Content-Type': FORM },
      body: `${part('form-data; name="__proto__"', 'x')}${part('form-data; name="constructor"', 'y')}${filePart()}--B--\r\n`,
    });
    assert.equal(response.status, 400);
    assert.deepEqual(
      response.body.data?.fields?.map((field) => field.field),
      ['__proto__', 'constructor'],
    );
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  for (const route of ROUTES) {
    it(`${route}: a grammar bomb is refused with 400 before any decoder runs`, async () => {
      const body = new FormData();
      body.append('grammar', grammarBomb());
      body.append('file', new Blob([wav], { type: 'audio/wav' }), 'go.wav');
      const response = await requestJson<Answer>(`${t.url}${route}`, {
        method: 'POST',
        headers: sttOnly,
        body,
      });
      assertRefusal(route, response.status, response.body, 'grammar bomb', 'VALIDATION_FAILED');
      assert.equal(response.status, 400);
      const message = route === '/stt' ? response.body.message : response.body.error?.message;
      assert.match(message ?? '', /routers\.core\.stt\.grammar\.max_expansion/);
      if (route === '/stt') assert.equal(response.body.data?.fields?.[0]?.field, 'grammar');
    });
  }

  it('refuses a vocabulary with more words than the expansion limit', async () => {
    const body = new FormData();
    // 1000 distinct four-word phrases: 4000 words in the decoder's graph.
    const letters = (n: number): string => n.toString(10).replace(/\d/g, (d) => 'abcdefghij'[Number(d)]);
    body.append(
      'vocabulary',
      Array.from({ length: 1000 }, (_, n) => `go forward ten ${letters(n)}`).join(','),
    );
    body.append('file', new Blob([wav], { type: 'audio/wav' }), 'go.wav');
    const response = await requestJson<Answer>(`${t.url}/stt`, { method: 'POST', headers: sttOnly, body });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.data?.fields?.[0]?.field, 'vocabulary');
    assert.match(response.body.message ?? '', /max_expansion/);
  });

  it('keeps serving ordinary grammars, and applies the grammar limits from the config', async () => {
    const grammar = await readFile(GO_FORWARD_GRAMMAR, 'utf8');
    const send = async (): Promise<{ status: number; body: Answer }> => {
      const body = new FormData();
      body.append('grammar', grammar);
      body.append('file', new Blob([wav], { type: 'audio/wav' }), 'go.wav');
      return requestJson<Answer>(`${t.url}/stt`, { method: 'POST', headers: sttOnly, body });
    };
    const served = await send();
    assert.equal(served.status, 200, JSON.stringify(served.body));
    assert.equal(served.body.data?.text, 'go forward ten meters');

    const patch = async (grammarLimits: Record<string, number>): Promise<void> => {
      const answer = await fetch(`${t.url}/config`, {
        method: 'PATCH',
        headers: { ...bearer(adminKey), 'Content-Type': 'application/json' },
        body: JSON.stringify({ routers: { core: { stt: { grammar: grammarLimits } } } }),
      });
      assert.equal(answer.status, 200, await answer.text());
    };
    await patch({ max_rules: 2 });
    try {
      const refused = await waitFor(async () => {
        const answer = await send();
        return answer.status === 400 ? answer : undefined;
      }, 'the new limit to apply');
      assert.match(refused.body.message ?? '', /more than 2 rules.*routers\.core\.stt\.grammar\.max_rules/);
      assert.equal(refused.body.data?.fields?.[0]?.field, 'grammar');
    } finally {
      await patch({ max_rules: 256 });
    }
  });

  describe('a body refused before its end is left unread', () => {
    const total = 256 * 1024 * 1024;
    const cases: Array<{
      name: string;
      path: Route;
      contentType: string;
      prefix?: string;
      contentLength?: number;
      /** The answer's status and error code (413 FILE_TOO_LARGE unless said). */
      status?: number;
      code?: string;
    }> = [
      { name: 'raw, chunked', path: '/stt', contentType: 'application/octet-stream' },
      {
        name: 'multipart, chunked',
        path: '/stt',
        contentType: FORM,
        prefix: '--B\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n',
      },
      {
        name: 'OpenAI multipart, chunked',
        path: '/v1/audio/transcriptions',
        contentType: FORM,
        prefix: '--B\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n',
      },
      {
        name: 'raw, with a large Content-Length',
        path: '/stt',
        contentType: 'audio/wav',
        contentLength: total,
      },
      {
        name: 'a URL-encoded form',
        path: '/stt',
        contentType: 'application/x-www-form-urlencoded',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
    ];
    for (const {
      name,
      path,
      contentType,
      prefix,
      contentLength,
      status = 413,
      code = 'FILE_TOO_LARGE',
    } of cases) {
      it(`${name} (${path}): ${status}, the connection closed, the rest never read`, async () => {
        const result = await flood(
          t.url,
          path,
          { ...sttOnly, 'Content-Type': contentType },
          {
            total,
            ...(prefix !== undefined ? { prefix, suffix: '\r\n--B--\r\n' } : {}),
            ...(contentLength !== undefined ? { contentLength } : {}),
          },
        );
        assert.ok(result.received.startsWith(`HTTP/1.1 ${status} `), result.received.slice(0, 200));
        assert.match(result.received, /\r\nconnection: close\r\n/i);
        assert.ok(
          result.received.includes(code) || result.received.includes(code.toLowerCase()),
          result.received.slice(0, 600),
        );
        // Kernel buffers on both sides hold a few MB; a server draining the body would take all 256.
        assert.ok(result.closedEarly, `the server read all ${total} bytes`);
        assert.ok(result.sent < 64 * 1024 * 1024, `${result.sent} bytes were taken`);
        await assertAlive(name);
      });
    }
  });
});
