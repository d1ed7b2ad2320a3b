// The one client of /dashboard/api (docs/dashboard-api.md). Keeps the CSRF token in memory only
// (never in web storage), sends it on every state-changing request, turns error bodies into
// ApiError (with `param` for the form field), and hands session loss, MFA gates and step-up
// requests to the app through hooks.

export interface ErrorBody {
  type: string;
  code: string;
  message: string;
  param?: string;
  request_id?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param?: string;
  readonly requestId?: string;
  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.status = status;
    this.type = body.type;
    this.code = body.code;
    this.param = body.param;
    this.requestId = body.request_id;
  }
}

export type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  // Keys for POSTs that must not run twice (refund, capture, key creation): a form keeps one
  // IdempotencyKeys for its life and passes it with every submission (see the class).
  idempotency?: IdempotencyKeys;
  // Sign-in and MFA routes handle their own 401s.
  noSessionHooks?: boolean;
}

export interface Hooks {
  // The session is gone (401 authentication_required / session_expired): back to sign-in.
  onSessionLost(): void;
  // 401 mfa_required / 403 mfa_enrollment_required.
  onMfaGate(kind: 'required' | 'enroll'): void;
  // 401 reauthentication_required: ask for the password (and code); true when done.
  onReauthenticate(): Promise<boolean>;
}

export const API_BASE = '/dashboard/api';

let csrfToken: string | null = null;
let hooks: Hooks | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setHooks(h: Hooks): void {
  hooks = h;
}

export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'dash_' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// One Idempotency-Key per form submission (docs/dashboard-api.md §1, Requests). A submission
// reuses the previous key only when it sends exactly the same request as the previous one AND
// that one's outcome is unknown: the network failed (no answer), the server answered 5xx, or it
// was still running it (409 idempotency_in_progress). Retrying it is then replayed by the
// server, never done twice. Any other submission gets a new key: a second refund after a first
// one succeeded, or a corrected amount after an error (reusing the key there would be
// 400 idempotency_error). A double click cannot send twice: forms disable their button while
// busy, and the step-up and CSRF retries inside request() keep the same key.
export class IdempotencyKeys {
  private open: { fingerprint: string; key: string } | null = null;

  keyFor(fingerprint: string): string {
    if (!this.open || this.open.fingerprint !== fingerprint) this.open = { fingerprint, key: newIdempotencyKey() };
    return this.open.key;
  }

  // Called once a submission is over; `unknown` keeps its key for a retry of the same request.
  settle(fingerprint: string, unknown: boolean): void {
    if (!unknown && this.open && this.open.fingerprint === fingerprint) this.open = null;
  }

  static outcomeUnknown(e: unknown): boolean {
    return !(e instanceof ApiError) || e.status === 0 || e.status >= 500 || e.code === 'idempotency_in_progress';
  }
}

export function buildQuery(query?: Query): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? '?' + s : '';
}

async function parseError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: ErrorBody };
    if (body && body.error && typeof body.error.code === 'string') {
      return new ApiError(res.status, body.error);
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, {
    type: 'api_error',
    code: 'http_' + res.status,
    message: `The server answered HTTP ${res.status}.`,
  });
}

async function send(method: string, path: string, opts: RequestOptions, idempotencyKey?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const res = await fetch(API_BASE + path + buildQuery(opts.query), {
    method,
    headers,
    body,
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const rotated = res.headers.get('X-CSRF-Token');
  if (rotated) csrfToken = rotated;
  return res;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const keys = opts.idempotency;
  if (!keys) return requestOnce<T>(method, path, opts);
  const fingerprint = JSON.stringify([method, path, buildQuery(opts.query), opts.body ?? null]);
  const key = keys.keyFor(fingerprint);
  try {
    const out = await requestOnce<T>(method, path, opts, key);
    keys.settle(fingerprint, false);
    return out;
  } catch (e) {
    keys.settle(fingerprint, IdempotencyKeys.outcomeUnknown(e));
    throw e;
  }
}

async function requestOnce<T>(method: string, path: string, opts: RequestOptions, idempotencyKey?: string): Promise<T> {
  let retriedCsrf = false;
  let retriedReauth = false;
  for (;;) {
    let res: Response;
    try {
      res = await send(method, path, opts, idempotencyKey);
    } catch {
      throw new ApiError(0, {
        type: 'api_error',
        code: 'network_error',
        message: 'The dashboard could not reach the server. Check your connection and retry.',
      });
    }
    if (res.ok) {
      const text = await res.text();
      return (text ? JSON.parse(text) : {}) as T;
    }
    const err = await parseError(res);
    if (!opts.noSessionHooks && hooks) {
      if (err.status === 401 && (err.code === 'authentication_required' || err.code === 'session_expired')) {
        hooks.onSessionLost();
      } else if (err.status === 401 && err.code === 'mfa_required') {
        hooks.onMfaGate('required');
      } else if (err.status === 403 && err.code === 'mfa_enrollment_required') {
        hooks.onMfaGate('enroll');
      } else if (err.status === 401 && err.code === 'reauthentication_required' && !retriedReauth) {
        retriedReauth = true;
        if (await hooks.onReauthenticate()) continue;
      } else if (err.status === 403 && err.code === 'csrf_failed' && !retriedCsrf && method !== 'GET') {
        retriedCsrf = true;
        try {
          const me = await request<{ csrf_token?: string }>('GET', '/me', { noSessionHooks: true });
          if (me.csrf_token) {
            csrfToken = me.csrf_token;
            continue;
          }
        } catch {
          // report the original error
        }
      }
    }
    throw err;
  }
}

export const get = <T>(path: string, query?: Query) => request<T>('GET', path, { query });
export const post = <T>(path: string, body?: unknown, opts: RequestOptions = {}) =>
  request<T>('POST', path, { ...opts, body });
export const patch = <T>(path: string, body: unknown, opts: RequestOptions = {}) =>
  request<T>('PATCH', path, { ...opts, body });
export const del = <T>(path: string, opts: RequestOptions = {}) => request<T>('DELETE', path, opts);
