import { AppError } from '../common/app-error.js';

// C0/C1 control characters except tab, line feed and carriage return, plus bidi overrides.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Text as engines should see it: control characters removed, line endings unified, and
 * the length limit enforced on what is left (400 TEXT_TOO_LONG names the limit).
 */
export function sanitizeText(text: string, maxLength: number): string {
  const cleaned = text.replace(/\r\n?/g, '\n').replace(CONTROL_CHARACTERS, '').trim();
  if (cleaned.length === 0) {
    throw new AppError('VALIDATION_FAILED', 'The text is empty.', {
      fields: [{ field: 'text', errors: ['text is empty'] }],
    });
  }
  if (cleaned.length > maxLength) {
    throw new AppError(
      'TEXT_TOO_LONG',
      `The text has ${cleaned.length} characters; this server accepts at most ${maxLength} (routers.core.tts.max_text_length).`,
      { length: cleaned.length, max_text_length: maxLength },
    );
  }
  return cleaned;
}
