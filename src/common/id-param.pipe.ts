import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from './app-error.js';

/** Largest value of PostgreSQL's `integer` (serial ids): larger ids cannot exist. */
export const MAX_DATABASE_ID = 2_147_483_647;

const DIGITS = /^[0-9]{1,64}$/;

/**
 * Every numeric id in a path (`/admin/users/:id`): anything but digits is 400
 * VALIDATION_FAILED naming the parameter; an id no row can have (0, or beyond the integer
 * range of the database) is 404 NOT_FOUND, as for any id that does not exist — it never
 * reaches a query, where PostgreSQL would refuse it.
 */
@Injectable()
export class IdParamPipe implements PipeTransform<string | number, number> {
  /** `what` names the resource in the 404 message: "No user 99999999999." */
  constructor(private readonly what: string) {}

  transform(value: string | number, metadata: ArgumentMetadata): number {
    const name = metadata.data ?? 'id';
    // The global ValidationPipe (transform: true) may already have made it a number.
    const id = typeof value === 'number' ? value : DIGITS.test(value) ? Number(value) : Number.NaN;
    if (!Number.isInteger(id) || id < 0) {
      throw new AppError('VALIDATION_FAILED', `${name} must be a positive whole number.`, {
        fields: [{ field: name, errors: [`${name} must be a positive whole number`] }],
      });
    }
    if (id < 1 || id > MAX_DATABASE_ID) throw new AppError('NOT_FOUND', `No ${this.what} ${String(value)}.`);
    return id;
  }
}
