// The dashboard's shell: boot (who is signed in), routes, navigation, the test-mode banner and
// the step-up dialog.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { post, request, setHooks } from './api';
import { currentPath, match, navigate, useLocation } from './router';
import { can, currentMe, loadMe, membership, selectMerchant, setMe, useMe } from './session';
import type { SessionStatus } from './types';
import { Dialog, Field, FormError, inputValue, Link, useForm } from './ui';
import { AcceptInvite, MfaChallenge, MfaEnroll, SignIn } from './pages/auth';
import { Home } from './pages/home';
import { PaymentDetail, Payments, Refunds } from './pages/payments';
import { EventDetail, Events } from './pages/events';
import { ApiKeys, Connectors, WebhookDetail, Webhooks } from './pages/developers';
import { Account, AuditLog, Security, Team } from './pages/settings';
import './styles.css';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Page = (p: any) => preact.JSX.Element;
interface RouteDef {
  pattern: string;
  page: Page;
  title: string;
  permission?: string;
}

const PUBLIC: RouteDef[] = [
  { pattern: '/sign-in', page: SignIn, title: 'Sign in' },
  { pattern: '/mfa', page: MfaChallenge, title: 'Two-step verification' },
  { pattern: '/mfa/enroll', page: MfaEnroll, title: 'Set up two-step verification' },
  { pattern: '/invite', page: AcceptInvite, title: 'Join a team' },
];

const APP: RouteDef[] = [
  { pattern: '/settings/team', page: Team, title: 'Team', permission: 'users:read' },
  { pattern: '/settings/security', page: Security, title: 'Security', permission: 'settings:read' },
  { pattern: '/settings/audit', page: AuditLog, title: 'Audit log', permission: 'audit:read' },
  { pattern: '/account', page: Account, title: 'Your account' },
  { pattern: '/:mode', page: Home, title: 'Home' },
  { pattern: '/:mode/payments', page: Payments, title: 'Payments', permission: 'payments:read' },
  { pattern: '/:mode/payments/:id', page: PaymentDetail, title: 'Payment', permission: 'payments:read' },
  { pattern: '/:mode/refunds', page: Refunds, title: 'Refunds', permission: 'payments:read' },
  { pattern: '/:mode/events', page: Events, title: 'Events', permission: 'events:read' },
  { pattern: '/:mode/events/:id', page: EventDetail, title: 'Event', permission: 'events:read' },
  { pattern: '/:mode/api-keys', page: ApiKeys, title: 'API keys', permission: 'api_keys:read' },
  { pattern: '/:mode/webhooks', page: Webhooks, title: 'Webhooks', permission: 'webhooks:read' },
  { pattern: '/:mode/webhooks/:id', page: WebhookDetail, title: 'Webhook endpoint', permission: 'webhooks:read' },
  { pattern: '/:mode/connectors', page: Connectors, title: 'Connector accounts', permission: 'connectors:read' },
];

function find(routes: RouteDef[], path: string): { def: RouteDef; params: Record<string, string> } | null {
  for (const def of routes) {
    const params = match(def.pattern, path);
    if (!params) continue;
    if (params.mode !== undefined && params.mode !== 'test' && params.mode !== 'live') continue;
    return { def, params };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Step-up: one dialog, resolved by the request that needed it.

let reauthResolve: ((ok: boolean) => void) | null = null;
let openReauth: (() => void) | null = null;

function ReauthDialog() {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const form = useForm();
  const me = currentMe();
  useEffect(() => {
    openReauth = () => {
      setPassword('');
      setCode('');
      setOpen(true);
    };
  }, []);
  const close = (ok: boolean) => {
    setOpen(false);
    reauthResolve?.(ok);
    reauthResolve = null;
  };
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const body: Record<string, string> = { password };
      if (me?.user.mfa.enrolled) body.code = code.replace(/\s/g, '');
      await post<SessionStatus>('/sessions/current/reauthenticate', body, { noSessionHooks: true });
      close(true);
    });
  };
  return (
    <Dialog title="Confirm it's you" open={open} onClose={() => close(false)}>
      <p>This action needs your password{me?.user.mfa.enrolled ? ' and a code' : ''} again.</p>
      <form onSubmit={submit} noValidate>
        <Field form={form} name="password" label="Password">
          {(a) => <input {...a} type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(inputValue(e))} />}
        </Field>
        {me?.user.mfa.enrolled && (
          <Field form={form} name="code" label="Authentication code">
            {(a) => <input {...a} inputMode="numeric" autoComplete="one-time-code" value={code} onInput={(e) => setCode(inputValue(e))} />}
          </Field>
        )}
        <FormError form={form} />
        <div class="row">
          <button type="submit" class="primary" disabled={form.busy}>
            Confirm
          </button>
          <button type="button" class="secondary" onClick={() => close(false)}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

setHooks({
  onSessionLost() {
    if (currentMe() === null && currentPath().startsWith('/sign-in')) return;
    setMe(null);
    const here = currentPath();
    navigate('/sign-in?expired=1&next=' + encodeURIComponent(here), true);
  },
  onMfaGate(kind) {
    const here = currentPath();
    navigate((kind === 'required' ? '/mfa' : '/mfa/enroll') + '?next=' + encodeURIComponent(here), true);
  },
  onReauthenticate() {
    return new Promise<boolean>((resolve) => {
      reauthResolve?.(false);
      reauthResolve = resolve;
      openReauth ? openReauth() : resolve(false);
    });
  },
});

// ---------------------------------------------------------------------------------------------
// The signed-in layout

function Nav(props: { mode: string; path: string }) {
  const m = props.mode;
  const items: [string, string, string | undefined][] = [
    [`/${m}`, 'Home', undefined],
    [`/${m}/payments`, 'Payments', 'payments:read'],
    [`/${m}/refunds`, 'Refunds', 'payments:read'],
    [`/${m}/events`, 'Events', 'events:read'],
    [`/${m}/api-keys`, 'API keys', 'api_keys:read'],
    [`/${m}/webhooks`, 'Webhooks', 'webhooks:read'],
    [`/${m}/connectors`, 'Connectors', 'connectors:read'],
    ['/settings/team', 'Team', 'users:read'],
    ['/settings/security', 'Security', 'settings:read'],
    ['/settings/audit', 'Audit log', 'audit:read'],
    ['/account', 'Your account', undefined],
  ];
  return (
    <nav class="side" aria-label="Main">
      <ul>
        {items
          .filter(([, , perm]) => !perm || can(perm))
          .map(([href, label]) => {
            const active = href === `/${m}` ? props.path === href : props.path === href || props.path.startsWith(href + '/');
            return (
              <li key={href}>
                <Link href={href} class={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            );
          })}
      </ul>
    </nav>
  );
}

function switchMode(path: string, to: string): string {
  const parts = path.split('/');
  if (parts[1] === 'test' || parts[1] === 'live') {
    // Object pages do not exist in the other mode: go to the list.
    return '/' + to + (parts[2] ? '/' + parts[2] : '');
  }
  return '/' + to;
}

function Shell(props: { mode: string; path: string; children: preact.ComponentChildren }) {
  const me = useMe();
  const mem = membership();
  const live = props.mode === 'live';
  const doSignOut = async () => {
    try {
      await request('DELETE', '/sessions/current', { noSessionHooks: true });
    } catch {
      // gone either way
    }
    setMe(null);
    navigate('/sign-in');
  };
  return (
    <div class={'shell' + (live ? ' live' : ' test')}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {!live && (
        <div class="test-banner" role="note">
          Test mode — you are viewing test data. Nothing here moves real money.
        </div>
      )}
      <header class="top">
        <div class="brand">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>LiasonPay</span>
        </div>
        {me && me.memberships.length > 1 ? (
          <select aria-label="Merchant" value={mem?.merchant.id} onChange={(e) => selectMerchant((e.currentTarget as HTMLSelectElement).value)}>
            {me.memberships.map((x) => (
              <option key={x.merchant.id} value={x.merchant.id}>
                {x.merchant.name}
              </option>
            ))}
          </select>
        ) : (
          <span class="merchant-name">{mem?.merchant.name}</span>
        )}
        <div class="mode-switch" role="group" aria-label="Mode">
          <button type="button" class={!live ? 'on' : ''} aria-pressed={!live} onClick={() => navigate(switchMode(props.path, 'test'))}>
            Test
          </button>
          <button type="button" class={live ? 'on' : ''} aria-pressed={live} onClick={() => navigate(switchMode(props.path, 'live'))}>
            Live
          </button>
        </div>
        <div class="user">
          <span class="muted small">{me?.user.email}</span>
          {mem && <span class="role-chip">{mem.role.name}</span>}
          <button type="button" class="secondary" onClick={doSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <div class="body">
        <Nav mode={props.mode} path={props.path} />
        <main id="main" tabIndex={-1}>
          {mem?.pii_masked && <p class="notice small">Personal data is masked for your role.</p>}
          {props.children}
        </main>
      </div>
    </div>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at this address. <Link href="/test">Go to the home page</Link>.
      </p>
    </section>
  );
}

function Forbidden() {
  return (
    <section>
      <h1>Not available for your role</h1>
      <p>Your role does not include this page. Ask an owner or admin of your team if you need it.</p>
    </section>
  );
}

let lastMode = 'test';

function App() {
  const { path } = useLocation();
  const me = useMe();
  const [booted, setBooted] = useState(false);
  const pub = find(PUBLIC, path);

  useEffect(() => {
    if (pub) {
      setBooted(true);
      return;
    }
    if (currentMe()) {
      setBooted(true);
      return;
    }
    loadMe().then(
      (m) => {
        if (!m) {
          navigate('/sign-in?next=' + encodeURIComponent(currentPath()), true);
        } else if (m.session.mfa !== 'satisfied') {
          navigate((m.session.mfa === 'required' ? '/mfa' : '/mfa/enroll') + '?next=' + encodeURIComponent(currentPath()), true);
        }
        setBooted(true);
      },
      () => {
        navigate('/sign-in?next=' + encodeURIComponent(currentPath()), true);
        setBooted(true);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, !!pub]);

  useEffect(() => {
    const f = pub ?? find(APP, path);
    document.title = (f ? f.def.title : 'Not found') + ' · LiasonPay';
  }, [path]);

  if (pub) {
    const P = pub.def.page;
    return <P {...pub.params} />;
  }
  if (path === '/') {
    navigate('/test', true);
    return null;
  }
  if (!booted || !me) return <p class="muted boot" role="status">Loading…</p>;
  const f = find(APP, path);
  if (f?.params.mode) lastMode = f.params.mode;
  let content: preact.JSX.Element;
  if (!f) {
    content = <NotFound />;
  } else if (f.def.permission && !can(f.def.permission)) {
    content = <Forbidden />;
  } else {
    const P = f.def.page;
    content = <P {...f.params} />;
  }
  return (
    <>
      <Shell mode={f?.params.mode ?? lastMode} path={path}>
        {content}
      </Shell>
      <ReauthDialog />
    </>
  );
}

render(<App />, document.getElementById('app')!);
