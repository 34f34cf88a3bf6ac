import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentMetadata } from '@nestjs/common';
import { AppError } from './app-error.js';
import { IdParamPipe } from './id-param.pipe.js';
import { TokenParamPipe } from './token-param.pipe.js';

const ID: ArgumentMetadata = { type: 'param', data: 'id' };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof AppError ? error.code : 'OTHER';
  }
}

describe('IdParamPipe', () => {
  const pipe = new IdParamPipe('user');

  it('passes ids a row can have, as strings or as numbers already', () => {
    assert.equal(pipe.transform('42', ID), 42);
    assert.equal(pipe.transform(42, ID), 42);
    assert.equal(pipe.transform('2147483647', ID), 2_147_483_647);
  });

  it('answers 404 for ids no row can have', () => {
    for (const value of ['0', '2147483648', '99999999999', '99999999999999999999', 1e20]) {
      assert.equal(
        codeOf(() => pipe.transform(value, ID)),
        'NOT_FOUND',
        String(value),
      );
    }
  });

  it('answers 400 naming the parameter for anything but a whole number', () => {
    for (const value of ['abc', '1.5', '-1', '', '1 ', Number.NaN, -3, 2.5]) {
      assert.equal(
        codeOf(() => pipe.transform(value, ID)),
        'VALIDATION_FAILED',
        String(value),
      );
    }
    try {
      pipe.transform('x', ID);
    } catch (error) {
      assert.deepEqual((error as AppError).details, {
        fields: [{ field: 'id', errors: ['id must be a positive whole number'] }],
      });
    }
  });
});

describe('TokenParamPipe', () => {
  const pipe = new TokenParamPipe();
  const KEY_ID: ArgumentMetadata = { type: 'param', data: 'keyId' };

  it('passes key ids and refuses anything else with 400', () => {
    assert.equal(pipe.transform('AbC123xyz789', KEY_ID), 'AbC123xyz789');
    for (const value of ['', 'a b', 'x'.repeat(65), 'a\u0000', '../x']) {
      assert.equal(
        codeOf(() => pipe.transform(value, KEY_ID)),
        'VALIDATION_FAILED',
        value,
      );
    }
  });
});
