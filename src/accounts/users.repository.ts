import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notifyKeyChange } from './api-keys.repository.js';
import { type User, type UserRow, userFromRow } from './user.js';

export interface NewUser {
  name: string;
  email: string;
  plan: string;
  quotaSeconds: number;
  usedSeconds?: number;
  isAdmin?: boolean;
}

export interface UserChanges {
  name?: string;
  plan?: string;
  quotaSeconds?: number;
  usedSeconds?: number;
  isActive?: boolean;
  isAdmin?: boolean;
}

const COLUMNS = { name: 'name', plan: 'plan', isActive: 'is_active', isAdmin: 'is_admin' } as const;

/** TypeORM answers UPDATE … RETURNING with [rows, count] and other statements with rows. */
export function returnedRows<T>(result: T[] | [T[], number]): T[] {
  return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number'
    ? result[0]
    : (result as T[]);
}

/** The users table. Every value travels as a bound parameter; column names come from a fixed map. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts the user; null when the email is taken. */
  async insert(user: NewUser): Promise<User | null> {
    const rows = await this.dataSource.query<UserRow[]>(
      `INSERT INTO users (name, email, plan, quota_seconds, used_seconds, is_admin)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (email) DO NOTHING
       RETURNING *`,
      [
        user.name,
        user.email,
        user.plan,
        user.quotaSeconds,
        Math.min(user.usedSeconds ?? 0, user.quotaSeconds),
        user.isAdmin ?? false,
      ],
    );
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async findById(id: number): Promise<User | null> {
    const rows = await this.dataSource.query<UserRow[]>(`SELECT * FROM users WHERE id = $1`, [id]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async findByEmail(email: string): Promise<User | null> {
    const rows = await this.dataSource.query<UserRow[]>(`SELECT * FROM users WHERE email = $1`, [email]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async list(limit: number, offset: number): Promise<User[]> {
    const rows = await this.dataSource.query<UserRow[]>(
      `SELECT * FROM users ORDER BY id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
    return rows.map(userFromRow);
  }

  async listActive(): Promise<User[]> {
    const rows = await this.dataSource.query<UserRow[]>(`SELECT * FROM users WHERE is_active ORDER BY id`);
    return rows.map(userFromRow);
  }

  async hasActiveAdmin(excludingEmail: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM users WHERE is_admin AND is_active AND email <> $1 LIMIT 1`,
      [excludingEmail],
    );
    return rows.length > 0;
  }

  /** Applies the changes; used seconds are capped at the (new) quota so the invariant holds. */
  async update(id: number, changes: UserChanges): Promise<User | null> {
    const sets: string[] = [];
    const values: unknown[] = [id];
    for (const [key, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, string]>) {
      if (changes[key] === undefined) continue;
      values.push(changes[key]);
      sets.push(`${column} = $${values.length}`);
    }
    if (changes.quotaSeconds !== undefined || changes.usedSeconds !== undefined) {
      values.push(changes.quotaSeconds ?? null, changes.usedSeconds ?? null);
      const quota = `COALESCE($${values.length - 1}::numeric, quota_seconds)`;
      sets.push(`quota_seconds = ${quota}`);
      // A new used_seconds counts what is settled; seconds held by running requests stay on
      // top of it, so their later release cannot give back more than was set.
      const held = `(SELECT COALESCE(sum(seconds), 0) FROM quota_reservations r WHERE r.user_id = users.id)`;
      sets.push(
        `used_seconds = LEAST(COALESCE($${values.length}::numeric + ${held}, used_seconds), ${quota})`,
      );
    }
    if (sets.length === 0) return this.findById(id);
    const result = await this.dataSource.query<UserRow[] | [UserRow[], number]>(
      // Plan, admin and active state are part of a verified key: every node's key cache hears of it.
      `WITH changed AS (UPDATE users SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING *)
       SELECT changed.*, ${notifyKeyChange(`json_build_object('userId', id)`)} AS notified FROM changed`,
      values,
    );
    const row = returnedRows(result)[0];
    return row ? userFromRow(row) : null;
  }
}
