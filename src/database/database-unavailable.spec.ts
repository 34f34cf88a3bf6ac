import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryFailedError } from 'typeorm';
import { AppError } from '../common/app-error.js';
import { databaseUnavailableError, isDatabaseUnavailable } from './database-unavailable.js';

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDatabaseUnavailable', () => {
  it('recognises a database that cannot be reached or went away', () => {
    const cases: unknown[] = [
      coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'connect failed'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout', { cause: coded('ETIMEDOUT') }),
      new QueryFailedError('SELECT 1', [], new Error('Connection terminated')),
      new QueryFailedError('SELECT 1', [], coded('ECONNRESET', 'read ECONNRESET')),
      new QueryFailedError(
        'SELECT 1',
        [],
        coded('57P01', 'terminating connection due to administrator command'),
      ),
      coded('08006', 'connection failure'),
      Object.assign(new Error('Driver not connected'), { name: 'CannotExecuteNotConnectedError' }),
    ];
    for (const error of cases) assert.equal(isDatabaseUnavailable(error), true, String(error));
  });

  it('leaves other failures alone', () => {
    const cases: unknown[] = [
      new Error('boom'),
      coded('EPIPE', 'write EPIPE'), // an encoder's pipe, not the database
      coded('ECONNRESET', 'read ECONNRESET'), // outside a query: an engine or a client socket
      new QueryFailedError('INSERT', [], coded('23505', 'duplicate key value')),
      new AppError('SERVICE_NOT_READY', 'not ready'),
      'Connection terminated',
      null,
    ];
    for (const error of cases) assert.equal(isDatabaseUnavailable(error), false, String(error));
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After', () => {
    const error = databaseUnavailableError();
    assert.equal(error.status, 503);
    assert.equal(error.code, 'DATABASE_UNAVAILABLE');
    assert.ok(Number(error.headers?.['Retry-After']) > 0);
  });
});
