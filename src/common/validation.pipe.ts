import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError } from './app-error.js';

export interface FieldError {
  field: string;
  errors: string[];
}

export function fieldErrorsOf(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldError[] = error.constraints ? [{ field, errors: Object.values(error.constraints) }] : [];
    return [...own, ...fieldErrorsOf(error.children ?? [], field)];
  });
}

/** DTO validation: unknown fields are refused, failures become 400 VALIDATION_FAILED with a field list. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) =>
      new AppError('VALIDATION_FAILED', 'The request is invalid.', { fields: fieldErrorsOf(errors) }),
  });
}
