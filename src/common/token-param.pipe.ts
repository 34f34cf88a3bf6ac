import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from './app-error.js';

/**
 * A path parameter that is an opaque token (an API key's public id): letters, digits, `_`
 * and `-`, 1–64 characters. Anything else is 400 VALIDATION_FAILED naming the parameter,
 * before any lookup.
 */
@Injectable()
export class TokenParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    const name = metadata.data ?? 'id';
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
      throw new AppError('VALIDATION_FAILED', `${name} must be 1–64 letters, digits, '_' or '-'.`, {
        fields: [{ field: name, errors: [`${name} must be 1–64 letters, digits, '_' or '-'`] }],
      });
    }
    return value;
  }
}
