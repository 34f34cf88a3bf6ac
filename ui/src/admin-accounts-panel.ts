import { type ApiClient, describeError } from './api-client.js';
import { field, h, option, say, seconds, show, statusLine, table } from './dom.js';

interface User {
  id: number;
  name: string;
  email: string;
  plan: string;
  quota_seconds: number;
  used_seconds: number;
  is_admin: boolean;
  is_active: boolean;
}
interface Key {
  key_id: string;
  prefix: string;
  name: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}
interface IssuedKey extends Key {
  api_key: string;
}

const SCOPES = ['tts', 'stt', 'conversation', 'files', 'ops', 'admin'];
const DEFAULT_SCOPES = new Set(['tts', 'stt', 'conversation', 'files']);

/** Users, their keys (create, rotate, revoke; a new key is shown once) and plan limits. */
export class AdminAccountsPanel {
  readonly element: HTMLElement;
  private readonly usersBox = h('div', { id: 'admin-users' });
  private readonly keysBox = h('div', { id: 'admin-keys' });
  private readonly plansBox = h('div', { id: 'admin-plans' });
  private readonly newKeyBox = h('div', { id: 'new-key', class: 'new-key', hidden: true });
  private readonly status = statusLine('admin-status');
  private readonly userName = h('input', {
    id: 'new-user-name',
    type: 'text',
    required: true,
    maxlength: 200,
  });
  private readonly userEmail = h('input', {
    id: 'new-user-email',
    type: 'email',
    required: true,
    maxlength: 320,
  });
  private readonly userPlan = h('select', { id: 'new-user-plan' });
  private selectedUser: User | null = null;

  constructor(private readonly api: ApiClient) {
    const createUser = h(
      'form',
      { id: 'create-user-form', class: 'row' },
      field('Name', this.userName),
      field('Email', this.userEmail),
      field('Plan', this.userPlan),
      h('button', { type: 'submit' }, 'Create user'),
    );
    createUser.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.createUser();
    });
    this.element = h(
      'section',
      { 'aria-labelledby': 'admin-title', id: 'admin' },
      h('h3', { id: 'admin-title' }, 'Users and keys'),
      this.status,
      this.newKeyBox,
      createUser,
      this.usersBox,
      this.keysBox,
      h('h3', {}, 'Plans'),
      this.plansBox,
    );
  }

  async load(): Promise<void> {
    await Promise.all([this.loadUsers(), this.loadPlans()]);
  }

  private async loadPlans(): Promise<void> {
    try {
      const settings = await this.api.get<{
        default_plan: string;
        plans: Record<string, Record<string, unknown>>;
      }>('/rate-limit/config');
      const plans = Object.entries(settings.plans);
      const columns = [...new Set(plans.flatMap(([, limits]) => Object.keys(limits)))];
      this.userPlan.replaceChildren(
        ...plans.map(([name]) => option(name, name, name === settings.default_plan)),
      );
      show(
        this.plansBox,
        table(
          ['Plan', ...columns.map((c) => c.replace(/_/g, ' '))],
          plans.map(([name, limits]) => [name, ...columns.map((c) => formatLimit(limits[c]))]),
          `Per-plan limits (default: ${settings.default_plan})`,
        ),
      );
    } catch (error) {
      show(this.plansBox, h('p', { class: 'error' }, describeError(error)));
    }
  }

  private async loadUsers(): Promise<void> {
    try {
      const { users } = await this.api.get<{ users: User[] }>('/admin/users?limit=200');
      show(
        this.usersBox,
        table(
          ['Id', 'Name', 'Email', 'Plan', 'Used / quota', 'Admin', 'Active', ''],
          users.map((user) => {
            const keys = h('button', { type: 'button', 'aria-label': `Keys of ${user.email}` }, 'Keys');
            keys.addEventListener('click', () => {
              this.selectedUser = user;
              void this.loadKeys();
            });
            return [
              String(user.id),
              user.name,
              user.email,
              user.plan,
              `${seconds(user.used_seconds)} / ${seconds(user.quota_seconds)}`,
              user.is_admin ? 'yes' : 'no',
              user.is_active ? 'yes' : 'no',
              keys,
            ];
          }),
          'Users',
        ),
      );
    } catch (error) {
      show(this.usersBox, h('p', { class: 'error' }, describeError(error)));
    }
  }

  private async loadKeys(): Promise<void> {
    const user = this.selectedUser;
    if (!user) return;
    try {
      const { keys } = await this.api.get<{ keys: Key[] }>(`/admin/users/${user.id}/keys`);
      const name = h('input', { id: 'new-key-name', type: 'text', value: 'console', maxlength: 100 });
      const scopeBoxes = SCOPES.map((scope) =>
        h('input', {
          type: 'checkbox',
          id: `new-key-scope-${scope}`,
          value: scope,
          checked: DEFAULT_SCOPES.has(scope),
        }),
      );
      const create = h(
        'form',
        { id: 'create-key-form', class: 'stack' },
        field('Key name', name),
        h(
          'fieldset',
          { class: 'row' },
          h('legend', {}, 'Scopes'),
          ...scopeBoxes.map((box) =>
            h('div', { class: 'check' }, box, h('label', { for: box.id }, box.value)),
          ),
        ),
        h('button', { type: 'submit' }, `Create a key for ${user.email}`),
      );
      create.addEventListener('submit', (event) => {
        event.preventDefault();
        const scopes = scopeBoxes.filter((box) => box.checked).map((box) => box.value);
        void this.issue(`/admin/users/${user.id}/keys`, 'POST', { name: name.value || 'console', scopes });
      });
      show(
        this.keysBox,
        h('h4', {}, `Keys of ${user.email}`),
        keys.length > 0
          ? table(
              ['Key', 'Name', 'Scopes', 'Created', 'Last used', 'State', ''],
              keys.map((key) => [
                key.prefix,
                key.name,
                key.scopes.join(', '),
                new Date(key.created_at).toLocaleString(),
                key.last_used_at ? new Date(key.last_used_at).toLocaleString() : 'never',
                key.revoked_at ? `revoked ${new Date(key.revoked_at).toLocaleString()}` : 'active',
                key.revoked_at ? '' : this.keyActions(user, key),
              ]),
            )
          : h('p', {}, 'No keys yet.'),
        create,
      );
    } catch (error) {
      show(this.keysBox, h('p', { class: 'error' }, describeError(error)));
    }
  }

  private keyActions(user: User, key: Key): HTMLElement {
    const rotate = h('button', { type: 'button', 'aria-label': `Rotate key ${key.prefix}` }, 'Rotate');
    const revoke = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Revoke key ${key.prefix}` },
      'Revoke',
    );
    rotate.addEventListener(
      'click',
      () => void this.issue(`/admin/users/${user.id}/keys/${key.key_id}/rotate`, 'POST', {}),
    );
    revoke.addEventListener('click', () => {
      if (!window.confirm(`Revoke ${key.prefix} now? Clients using it stop working.`)) return;
      void this.api
        .json('DELETE', `/admin/users/${user.id}/keys/${key.key_id}`)
        .then(() => {
          say(this.status, `Key ${key.prefix} revoked.`, 'ok');
          return this.loadKeys();
        })
        .catch((error: unknown) => say(this.status, describeError(error), 'error'));
    });
    return h('span', { class: 'row' }, rotate, revoke);
  }

  /** Creates or rotates a key and shows the secret this one time, with a copy button. */
  private async issue(path: string, method: string, body: unknown): Promise<void> {
    try {
      const issued = await this.api.json<IssuedKey>(method, path, body);
      const secret = h('code', { id: 'new-key-value' }, issued.api_key);
      const copy = h('button', { type: 'button', id: 'new-key-copy' }, 'Copy');
      copy.addEventListener('click', () => {
        void navigator.clipboard
          .writeText(issued.api_key)
          .then(() => say(this.status, 'Key copied.', 'ok'))
          .catch(() => {
            getSelection()?.selectAllChildren(secret);
            say(this.status, 'Copy was refused: the key is selected, press Ctrl+C.', 'error');
          });
      });
      const hide = h('button', { type: 'button' }, 'I stored it');
      hide.addEventListener('click', () => {
        this.newKeyBox.hidden = true;
        this.newKeyBox.replaceChildren();
      });
      show(this.newKeyBox, h('p', {}, 'New key — shown only now, store it:'), secret, copy, hide);
      this.newKeyBox.hidden = false;
      say(this.status, `Key ${issued.prefix} issued.`, 'ok');
      copy.focus();
      await this.loadKeys();
    } catch (error) {
      say(this.status, describeError(error), 'error');
    }
  }

  private async createUser(): Promise<void> {
    try {
      const user = await this.api.json<User>('POST', '/admin/users', {
        name: this.userName.value,
        email: this.userEmail.value,
        plan: this.userPlan.value || undefined,
      });
      say(this.status, `User ${user.email} created.`, 'ok');
      this.userName.value = '';
      this.userEmail.value = '';
      this.selectedUser = user;
      await Promise.all([this.loadUsers(), this.loadKeys()]);
    } catch (error) {
      say(this.status, describeError(error), 'error');
    }
  }
}

function formatLimit(value: unknown): string {
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : 'all';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return value === undefined ? '—' : JSON.stringify(value);
}
