import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../common/app-error.js';
import { parseChatMessages } from './chat-messages.js';

const LIMITS = { maxTextLength: 20 };

/** The field OpenAI's `param` will name, and the error code. */
function refusal(messages: unknown[]): { field: unknown; code: string } {
  try {
    parseChatMessages(messages, LIMITS);
  } catch (error) {
    assert.ok(error instanceof AppError);
    const fields = (error.details as { fields: Array<{ field: string }> }).fields;
    return { field: fields[0]?.field, code: error.code };
  }
  assert.fail('the messages were accepted');
}

describe('parseChatMessages', () => {
  it('reads string content, text parts, developer as system, and input audio', () => {
    const wav = Buffer.from('RIFF....WAVEfmt ');
    const messages = parseChatMessages(
      [
        { role: 'developer', content: 'Be brief.' },
        { role: 'assistant', content: [{ type: 'text', text: 'Hi' }], refusal: null, annotations: [] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Listen:' },
            { type: 'input_audio', input_audio: { data: wav.toString('base64'), format: 'wav' } },
          ],
        },
      ],
      LIMITS,
    );
    assert.deepEqual(
      messages.map((m) => m.role),
      ['system', 'assistant', 'user'],
    );
    const audio = messages[2]?.parts[1];
    assert.ok(audio?.kind === 'audio');
    assert.ok(audio.audio.equals(wav));
    assert.equal(audio.field, 'messages[2].content[1].input_audio.data');
  });

  it('names the field of each kind of refusal', () => {
    const user = (content: unknown) => [{ role: 'user', content }];
    const audio = (data: unknown, format: unknown = 'wav') =>
      user([{ type: 'input_audio', input_audio: { data, format } }]);
    const cases: Array<[unknown[], string, string]> = [
      [audio('not base64!'), 'messages[0].content[0].input_audio.data', 'VALIDATION_FAILED'],
      [audio('QUJD='), 'messages[0].content[0].input_audio.data', 'VALIDATION_FAILED'],
      [audio('QUI'), 'messages[0].content[0].input_audio.data', 'VALIDATION_FAILED'],
      [audio('data:audio/wav;base64,QUJD'), 'messages[0].content[0].input_audio.data', 'VALIDATION_FAILED'],
      [audio(''), 'messages[0].content[0].input_audio.data', 'VALIDATION_FAILED'],
      [audio('QUJD', 'ogg'), 'messages[0].content[0].input_audio.format', 'VALIDATION_FAILED'],
      [user('x'.repeat(21)), 'messages[0].content', 'TEXT_TOO_LONG'],
      [
        user([
          { type: 'text', text: 'x'.repeat(11) },
          { type: 'text', text: 'y'.repeat(10) },
        ]),
        'messages[0].content',
        'TEXT_TOO_LONG',
      ],
      [
        user([{ type: 'image_url', image_url: { url: 'x' } }]),
        'messages[0].content[0].type',
        'VALIDATION_FAILED',
      ],
      [user([]), 'messages[0].content', 'VALIDATION_FAILED'],
      [user(null), 'messages[0].content', 'VALIDATION_FAILED'],
      [[{ role: 'tool', content: 'x', tool_call_id: 'a' }], 'messages[0].tool_call_id', 'VALIDATION_FAILED'],
      [[{ role: 'tool', content: 'x' }], 'messages[0].role', 'VALIDATION_FAILED'],
      [[{ role: 'robot', content: 'x' }], 'messages[0].role', 'VALIDATION_FAILED'],
      [[{ role: 'constructor', content: 'x' }], 'messages[0].role', 'VALIDATION_FAILED'],
      [
        [{ role: 'assistant', content: null, tool_calls: [{ id: 'a' }] }, ...user('x')],
        'messages[0].tool_calls',
        'VALIDATION_FAILED',
      ],
      [
        [
          {
            role: 'system',
            content: [{ type: 'input_audio', input_audio: { data: 'QUJD', format: 'wav' } }],
          },
          ...user('x'),
        ],
        'messages[0].content[0].type',
        'VALIDATION_FAILED',
      ],
      [
        [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
        'messages[1].role',
        'VALIDATION_FAILED',
      ],
      [['hello'], 'messages[0]', 'VALIDATION_FAILED'],
    ];
    for (const [messages, field, code] of cases) {
      assert.deepEqual(refusal(messages), { field, code }, JSON.stringify(messages).slice(0, 120));
    }
  });

  it('decodes a megabyte of base64 audio', () => {
    const bytes = Buffer.alloc(1_000_000, 7);
    const data = bytes.toString('base64');
    const [message] = parseChatMessages(
      [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data, format: 'mp3' } }] }],
      LIMITS,
    );
    const part = message?.parts[0];
    assert.ok(part?.kind === 'audio' && part.audio.equals(bytes));
  });
});
