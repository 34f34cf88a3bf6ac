import { AppError } from '../common/app-error.js';
import { type Account, RequestContextStore } from '../common/request-context.js';
import type { FileCaller } from './stored-file.js';

/** The caller of a files route: an admin key (admin user, admin scope) sees every owner's files. */
export function fileCaller(): FileCaller & { account: Account } {
  const account = RequestContextStore.current()?.account;
  if (!account) throw new AppError('INVALID_API_KEY', 'An API key is required.');
  return { userId: account.userId, seesAll: account.isAdmin && account.scopes.includes('admin'), account };
}
