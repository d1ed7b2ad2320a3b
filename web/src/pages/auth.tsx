// Sign-in, MFA challenge, MFA enrolment (QR code, recovery codes), invitation acceptance.
import { useEffect, useState } from 'preact/hooks';
import { post, request, setCsrfToken } from '../api';
import { navigate, useLocation } from '../router';
import { currentMe, loadMe } from '../session';
import type { SessionStatus } from '../types';
import { CopyButton, ErrorNote, Field, FormError, inputValue, useForm } from '../ui';

// Only a path of this site may follow sign-in (no open redirect).
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/test';
  if (next.startsWith('/sign-in') || next.startsWith('/mfa')) return '/test';
  return next;
}

function withNext(path: string, next: string | null): string {
  return next ? path + '?next=' + encodeURIComponent(next) : path;
}

// Where a session in state `mfa` goes next.
export async function afterSessionStep(status: SessionStatus, next: string | null): Promise<void> {
  setCsrfToken(status.csrf_token);
  if (status.mfa === 'required') {
    navigate(withNext('/mfa', next));
  } else if (status.mfa === 'enroll') {
    navigate(withNext('/mfa/enroll', next));
  } else {
    await loadMe();
    navigate(safeNext(next));
  }
}

function AuthCard(props: { title: string; children: preact.ComponentChildren }) {
  return (
    <main class="auth">
      <div class="auth-card">
        <div class="brand auth-brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>LiasonPay</span>
        </div>
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </main>
  );
}

export function SignIn() {
  const { query } = useLocation();
  const next = query.get('next');
  const form = useForm();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const s = await post<SessionStatus>('/sessions', { email, password }, { noSessionHooks: true });
      await afterSessionStep(s, next);
    });
  };
  return (
    <AuthCard title="Sign in to your account">
      {query.get('expired') && <p class="notice">Your session ended. Sign in again to continue where you were.</p>}
      <form onSubmit={submit} noValidate>
        <Field form={form} name="email" label="Email">
          {(a) => <input {...a} type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(inputValue(e))} />}
        </Field>
        <Field form={form} name="password" label="Password">
          {(a) => (
            <input {...a} type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(inputValue(e))} />
          )}
        </Field>
        <FormError form={form} />
        <button type="submit" class="primary wide" disabled={form.busy}>
          {form.busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="muted small">Invited to a team? Open the invite link you were given.</p>
    </AuthCard>
  );
}

export function MfaChallenge() {
  const { query } = useLocation();
  const next = query.get('next');
  const form = useForm();
  const [useRecovery, setUseRecovery] = useState(false);
  const [value, setValue] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const body = useRecovery ? { recovery_code: value.trim() } : { code: value.replace(/\s/g, '') };
      const s = await post<SessionStatus>('/sessions/mfa', body, { noSessionHooks: true });
      await afterSessionStep(s, next);
    });
  };
  return (
    <AuthCard title="Two-step verification">
      <p>{useRecovery ? 'Enter one of your recovery codes. Each works once.' : 'Enter the 6-digit code from your authenticator app.'}</p>
      <form onSubmit={submit} noValidate>
        <Field form={form} name={useRecovery ? 'recovery_code' : 'code'} label={useRecovery ? 'Recovery code' : 'Authentication code'}>
          {(a) => (
            <input
              {...a}
              autoComplete="one-time-code"
              inputMode={useRecovery ? 'text' : 'numeric'}
              required
              value={value}
              onInput={(e) => setValue(inputValue(e))}
            />
          )}
        </Field>
        <FormError form={form} />
        <button type="submit" class="primary wide" disabled={form.busy}>
          Verify
        </button>
      </form>
      <button type="button" class="link" onClick={() => (setUseRecovery(!useRecovery), setValue(''))}>
        {useRecovery ? 'Use an authenticator code instead' : 'Use a recovery code instead'}
      </button>
      <SignOutLink />
    </AuthCard>
  );
}

function SignOutLink() {
  const out = async () => {
    try {
      await request('DELETE', '/sessions/current', { noSessionHooks: true });
    } catch {
      // signed out either way
    }
    navigate('/sign-in');
  };
  return (
    <button type="button" class="link" onClick={out}>
      Sign out
    </button>
  );
}

function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let bin = '';
  bytes.forEach((b) => (bin += String.fromCharCode(b)));
  return 'data:image/svg+xml;base64,' + btoa(bin);
}

function secretOf(uri: string): string {
  try {
    return new URL(uri).searchParams.get('secret') ?? '';
  } catch {
    return '';
  }
}

export function RecoveryCodes(props: { codes: string[]; onDone: () => void }) {
  const text = props.codes.join('\n');
  const download = () => {
    const url = URL.createObjectURL(new Blob([text + '\n'], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'liasonpay-recovery-codes.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const [saved, setSaved] = useState(false);
  return (
    <div>
      <p>
        Save these recovery codes somewhere safe. Each one signs you in once if you lose your authenticator. They are shown only
        now.
      </p>
      <ol class="codes" data-testid="recovery-codes">
        {props.codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div class="row">
        <CopyButton text={text} label="Copy codes" />
        <button type="button" class="secondary" onClick={download}>
          Download
        </button>
      </div>
      <label class="check">
        <input type="checkbox" checked={saved} onChange={(e) => setSaved((e.currentTarget as HTMLInputElement).checked)} /> I have
        saved my recovery codes
      </label>
      <button type="button" class="primary wide" disabled={!saved} onClick={props.onDone}>
        Continue
      </button>
    </div>
  );
}

export function MfaEnroll() {
  const { query } = useLocation();
  const next = query.get('next');
  const form = useForm();
  const [enrollment, setEnrollment] = useState<{ otpauth_uri: string; qr_svg: string } | null>(null);
  const [startError, setStartError] = useState<Error | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const me = currentMe();
  const forced = !me || me.session.mfa === 'enroll';
  useEffect(() => {
    post<{ otpauth_uri: string; qr_svg: string }>('/mfa/enroll', undefined, { noSessionHooks: true }).then(setEnrollment, setStartError);
  }, []);
  const confirm = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const r = await post<{ recovery_codes: string[]; csrf_token?: string }>(
        '/mfa/enroll/confirm',
        { code: code.replace(/\s/g, '') },
        { noSessionHooks: true },
      );
      if (r.csrf_token) setCsrfToken(r.csrf_token);
      setCodes(r.recovery_codes);
    });
  };
  if (codes) {
    return (
      <AuthCard title="Recovery codes">
        <RecoveryCodes
          codes={codes}
          onDone={async () => {
            await loadMe();
            navigate(safeNext(next));
          }}
        />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Set up two-step verification">
      {forced && <p class="notice">Your role requires two-step verification. Set it up to continue.</p>}
      {startError && <ErrorNote error={startError as never} />}
      {enrollment && (
        <>
          <ol class="steps">
            <li>Scan this QR code with an authenticator app (1Password, Google Authenticator, Aegis…).</li>
            <li>
              Or enter this key by hand: <code class="secret">{secretOf(enrollment.otpauth_uri)}</code>{' '}
              <CopyButton text={secretOf(enrollment.otpauth_uri)} />
            </li>
            <li>Enter the 6-digit code the app shows.</li>
          </ol>
          <img class="qr" src={svgDataUrl(enrollment.qr_svg)} alt="QR code for your authenticator app" width="200" height="200" />
          <form onSubmit={confirm} noValidate>
            <Field form={form} name="code" label="Authentication code">
              {(a) => <input {...a} autoComplete="one-time-code" inputMode="numeric" required value={code} onInput={(e) => setCode(inputValue(e))} />}
            </Field>
            <FormError form={form} />
            <button type="submit" class="primary wide" disabled={form.busy}>
              Turn on two-step verification
            </button>
          </form>
        </>
      )}
      <SignOutLink />
    </AuthCard>
  );
}

// /invite#<token>: the token stays in the fragment, which is never sent to a server.
export function AcceptInvite() {
  const token = location.hash.slice(1);
  const form = useForm();
  const [preview, setPreview] = useState<{ email: string; merchant: { name: string }; role: { name: string }; account_exists: boolean } | null>(
    null,
  );
  const [password, setPassword] = useState('');
  useEffect(() => {
    if (!token) return;
    form.run(async () => {
      setPreview(await post('/invitations/lookup', { token }, { noSessionHooks: true }));
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token]);
  const accept = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const s = await post<SessionStatus>('/invitations/accept', { token, password }, { noSessionHooks: true });
      history.replaceState(null, '', '/invite'); // drop the used token from the address bar
      await afterSessionStep(s, '/test');
    });
  };
  return (
    <AuthCard title="Join a team">
      {!token && <p>This invite link is incomplete. Ask the person who invited you for a new one.</p>}
      {preview && (
        <p>
          <strong>{preview.email}</strong> is invited to <strong>{preview.merchant.name}</strong> as <strong>{preview.role.name}</strong>.
        </p>
      )}
      {token && (
        <form onSubmit={accept} noValidate>
          <Field
            form={form}
            name="password"
            label={preview?.account_exists ? 'Your password' : 'Choose a password'}
            hint={preview?.account_exists ? undefined : '15 to 128 characters. A long passphrase is best.'}
          >
            {(a) => (
              <input
                {...a}
                type="password"
                autoComplete={preview?.account_exists ? 'current-password' : 'new-password'}
                required
                value={password}
                onInput={(e) => setPassword(inputValue(e))}
              />
            )}
          </Field>
          <FormError form={form} />
          <button type="submit" class="primary wide" disabled={form.busy}>
            Accept invitation
          </button>
        </form>
      )}
    </AuthCard>
  );
}
