/** An account: who calls, on which plan, with how many quota seconds. */
export interface User {
  id: number;
  name: string;
  email: string;
  plan: string;
  quotaSeconds: number;
  usedSeconds: number;
  isAdmin: boolean;
  isActive: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A row of `users` as the pg driver returns it (numeric columns arrive as strings). */
export interface UserRow {
  id: number;
  name: string;
  email: string;
  plan: string;
  quota_seconds: string;
  used_seconds: string;
  is_admin: boolean;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

export function userFromRow(row: UserRow): User {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    plan: row.plan,
    quotaSeconds: Number(row.quota_seconds),
    usedSeconds: Number(row.used_seconds),
    isAdmin: row.is_admin,
    isActive: row.is_active,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The public JSON form (admin API, CLI). */
export function userJson(user: User) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    plan: user.plan,
    quota_seconds: user.quotaSeconds,
    used_seconds: user.usedSeconds,
    remaining_seconds: Math.max(0, Math.round((user.quotaSeconds - user.usedSeconds) * 1000) / 1000),
    is_admin: user.isAdmin,
    is_active: user.isActive,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}
