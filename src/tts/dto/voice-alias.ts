import { AppError } from '../../common/app-error.js';

/** Fields that name the voice: ours and the legacy APIs' spellings (OdeaDev `voice_name`, STTS `voice_id`). */
const VOICE_FIELDS = ['voice', 'voice_name', 'voice_id'] as const;

/**
 * The voice a request asks for, whichever of `voice`, `voice_name` or `voice_id` it used.
 * Several of them naming different voices is a contradiction: 400 VALIDATION_FAILED
 * naming the fields, rather than silently preferring one.
 */
export function requestedVoice(
  body: Partial<Record<(typeof VOICE_FIELDS)[number], string>>,
): string | undefined {
  const given = VOICE_FIELDS.filter((field) => body[field] !== undefined);
  const values = new Set(given.map((field) => body[field]));
  if (values.size > 1) {
    const message = `${given.join(', ')} are aliases and name different voices; send one of them`;
    throw new AppError('VALIDATION_FAILED', 'The request is invalid.', {
      fields: given.slice(1).map((field) => ({ field, errors: [message] })),
    });
  }
  return given.length > 0 ? body[given[0]] : undefined;
}
