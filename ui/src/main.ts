import { ApiClient, ApiError, describeError } from './api-client.js';
import type { ConsoleContext, ConsoleView, Me, Scope } from './console-context.js';
import { ConversationView } from './conversation-view.js';
import { field, h, say, show, statusLine } from './dom.js';
import { OverviewView } from './overview-view.js';
import { JobsView } from './jobs-view.js';
import { forgetKey, storedKey, storeKey } from './session.js';
import { SttView } from './stt-view.js';
import { TtsView } from './tts-view.js';
import { UsageView } from './usage-view.js';

const app = document.getElementById('app') as HTMLElement;
const account = document.getElementById('account') as HTMLElement;

/** Why a key was refused, in words a person can act on. */
function signInMessage(error: unknown): string {
  if (error instanceof ApiError && error.status === 401)
    return `That API key was not accepted: ${error.message} (${error.code}). Check for a typo, or ask an admin for a new key.`;
  if (error instanceof ApiError && error.code === 'RATE_LIMITED')
    return `Too many failed sign-ins from this address; wait a minute. (${error.code})`;
  return `Could not sign in: ${describeError(error)}`;
}

function showSignIn(message?: string): void {
  account.replaceChildren();
  const key = h('input', {
    id: 'api-key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'sgk_…',
  });
  const status = statusLine('sign-in-status');
  const form = h(
    'form',
    { id: 'sign-in-form', class: 'stack card' },
    h('h2', {}, 'Sign in'),
    field('API key', key, 'Kept in this tab only (sessionStorage); signing out forgets it.'),
    h('button', { type: 'submit', id: 'sign-in' }, 'Sign in'),
    status,
  );
  if (message) say(status, message, 'error');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = key.value.trim();
    if (!value) return;
    say(status, 'Checking the key…');
    void signIn(value).catch((error: unknown) => {
      say(status, signInMessage(error), 'error');
      key.focus();
      key.select();
    });
  });
  show(app, form);
  key.focus();
}

async function signIn(key: string): Promise<void> {
  const api = new ApiClient(key);
  const [me, routers] = await Promise.all([api.get<Me>('/me'), routerSwitches(api)]);
  storeKey(key);
  startConsole(api, me, routers);
}

/** Which routers are on (GET /health, public); null when that cannot be read. */
async function routerSwitches(api: ApiClient): Promise<Record<string, boolean> | null> {
  try {
    const health = await api.get<{ architecture?: { routers?: Record<string, boolean> } }>('/health');
    return health.architecture?.routers ?? null;
  } catch {
    return null;
  }
}

function signOut(): void {
  forgetKey();
  current?.unmount();
  current = null;
  location.hash = '';
  showSignIn();
}

let current: ConsoleView | null = null;

function startConsole(api: ApiClient, me: Me, routers: Record<string, boolean> | null): void {
  const ctx: ConsoleContext = {
    api,
    me,
    can: (scope: Scope) => me.scopes.includes(scope),
    routerOn: (router: string) => routers?.[router] !== false,
  };
  const views: ConsoleView[] = [new OverviewView(ctx)];
  if (ctx.can('tts')) views.push(new TtsView(ctx));
  if (ctx.can('stt')) views.push(new SttView(ctx));
  if (ctx.can('conversation')) views.push(new ConversationView(ctx));
  if ((ctx.can('tts') || ctx.can('stt')) && ctx.routerOn('core.jobs')) views.push(new JobsView(ctx));
  views.push(new UsageView(ctx));

  const signOutButton = h('button', { type: 'button', id: 'sign-out' }, 'Sign out');
  signOutButton.addEventListener('click', signOut);
  show(
    account,
    h('span', { id: 'signed-in-as' }, `${me.user.email} · ${me.scopes.join(', ') || 'no scopes'}`),
    signOutButton,
  );

  const tabs = views.map((view) => h('a', { href: `#${view.id}`, id: `nav-${view.id}` }, view.title));
  const main = h('div', { id: 'view', tabindex: -1 });
  show(
    app,
    h('nav', { 'aria-label': 'Console sections' }, h('ul', {}, ...tabs.map((tab) => h('li', {}, tab)))),
    main,
  );

  const open = (focus: boolean) => {
    const wanted = location.hash.slice(1);
    const view = views.find((v) => v.id === wanted) ?? views[0];
    if (view === current) return;
    current?.unmount();
    current = view;
    for (const tab of tabs) {
      if (tab.id === `nav-${view.id}`) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    document.title = `${view.title} · speech-gateway console`;
    view.mount(main);
    if (focus) main.focus();
  };
  window.onhashchange = () => open(true);
  open(false);
}

const saved = storedKey();
if (saved) {
  signIn(saved).catch((error: unknown) => {
    forgetKey();
    showSignIn(signInMessage(error));
  });
} else {
  showSignIn();
}
