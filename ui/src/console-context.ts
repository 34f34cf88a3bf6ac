import type { ApiClient } from './api-client.js';

export type Scope = 'tts' | 'stt' | 'conversation' | 'files' | 'ops' | 'admin';

/** GET /me. */
export interface Me {
  user: { id: number; name: string; email: string; is_admin: boolean };
  key: { key_id: string | null; scopes: Scope[] };
  scopes: Scope[];
  plan: Record<string, string | number | boolean> & { name: string };
  quota: { quota_seconds: number; used_seconds: number; remaining_seconds: number };
}

/** What every view gets: the API with the signed-in key, who that key is, and which routers are on. */
export interface ConsoleContext {
  api: ApiClient;
  me: Me;
  can(scope: Scope): boolean;
  /** From GET /health at sign-in; a router the answer does not name (or no answer) counts as on. */
  routerOn(router: string): boolean;
}

/** One page of the console. `unmount` stops its timers, recorders and players. */
export interface ConsoleView {
  readonly id: string;
  readonly title: string;
  mount(root: HTMLElement): void;
  unmount(): void;
}
