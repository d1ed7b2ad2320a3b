// Shared pieces: links, forms with errors next to their field, dialogs, tables, paging, money
// and time. Everything renders user data as text (JSX escapes it); nothing uses innerHTML.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { navigate, setQuery } from './router';

export function Link(props: { href: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' | undefined }) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return (
    <a href={props.href} class={props.class} onClick={onClick} aria-current={props['aria-current']}>
      {props.children}
    </a>
  );
}

// ---------------------------------------------------------------------------------------------
// Loading data

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

export function useResource<T>(load: () => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => alive && setState({ data, error: null, loading: false }),
      (error: unknown) =>
        alive &&
        setState({
          data: null,
          error: error instanceof ApiError ? error : new ApiError(0, { type: 'api_error', code: 'client_error', message: String(error) }),
          loading: false,
        }),
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function Loading<T>(props: { r: Resource<T>; children: (data: T) => ComponentChildren }) {
  if (props.r.loading && !props.r.data) return <p class="muted" role="status">Loading…</p>;
  if (props.r.error) return <ErrorNote error={props.r.error} />;
  if (!props.r.data) return null;
  return <>{props.children(props.r.data)}</>;
}

export function ErrorNote(props: { error: ApiError | null }) {
  if (!props.error) return null;
  return (
    <div class="error-note" role="alert">
      <strong>{props.error.message}</strong>
      {props.error.requestId && <span class="muted"> (request {props.error.requestId})</span>}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Forms: an ApiError whose `param` names a field is shown next to that field; any other error
// above the buttons.

export interface FormState {
  busy: boolean;
  error: ApiError | null;
  fieldError: (name: string) => string | undefined;
  run: (action: () => Promise<void>) => Promise<void>;
  fields: Set<string>;
}

export function useForm(): FormState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const fields = useRef(new Set<string>()).current;
  const fieldError = (name: string) => {
    fields.add(name);
    if (!error || !error.param) return undefined;
    if (error.param === name || error.param.startsWith(name + '[') || error.param.startsWith(name + '.')) return error.message;
    return undefined;
  };
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, { type: 'api_error', code: 'client_error', message: String(e) }));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, fieldError, run, fields };
}

// The form-level error: shown unless a field already displays it.
export function FormError(props: { form: FormState }) {
  const e = props.form.error;
  if (!e) return null;
  if (e.param) {
    for (const f of props.form.fields) {
      if (e.param === f || e.param.startsWith(f + '[') || e.param.startsWith(f + '.')) return null;
    }
  }
  return <ErrorNote error={e} />;
}

let fieldSeq = 0;

export function Field(props: {
  form: FormState;
  name: string;
  label: string;
  hint?: string;
  children: (attrs: { id: string; name: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => JSX.Element;
}) {
  const id = useRef('f' + ++fieldSeq).current;
  const err = props.form.fieldError(props.name);
  const describedBy = [props.hint ? id + '-hint' : '', err ? id + '-err' : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={'field' + (err ? ' invalid' : '')}>
      <label for={id}>{props.label}</label>
      {props.children({ id, name: props.name, 'aria-invalid': !!err, 'aria-describedby': describedBy })}
      {props.hint && (
        <small id={id + '-hint'} class="muted">
          {props.hint}
        </small>
      )}
      {err && (
        <small id={id + '-err'} class="field-error" data-param={props.name}>
          {err}
        </small>
      )}
    </div>
  );
}

export function inputValue(e: Event): string {
  return (e.currentTarget as HTMLInputElement).value;
}

// ---------------------------------------------------------------------------------------------
// Dialogs: the native <dialog> (focus kept inside, Escape closes).

export function Dialog(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  // A close the page asked for (open became false) is not the user closing the dialog: its
  // `close` event must not call onClose, which could undo the state that closed it.
  const programmatic = useRef(false);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) {
      programmatic.current = true;
      d.close();
    }
  }, [props.open]);
  const onClose = () => {
    if (programmatic.current) {
      programmatic.current = false;
      return;
    }
    props.onClose();
  };
  return (
    <dialog ref={ref} onClose={onClose} aria-label={props.title}>
      {props.open && (
        <div class="dialog-body">
          <header class="dialog-head">
            <h2>{props.title}</h2>
            <button type="button" class="ghost" onClick={props.onClose} aria-label="Close">
              ✕
            </button>
          </header>
          {props.children}
        </div>
      )}
    </dialog>
  );
}

export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone(true);
      setTimeout(() => setDone(false), 2000);
    } catch {
      setDone(false);
    }
  };
  return (
    <button type="button" class="secondary" onClick={copy}>
      {done ? 'Copied' : props.label ?? 'Copy'}
    </button>
  );
}

// A secret shown once (API key, webhook signing secret, invite link).
export function SecretOnce(props: { label: string; value: string; note?: string }) {
  return (
    <div class="secret-once" role="group" aria-label={props.label}>
      <p>
        <strong>{props.label}</strong> — {props.note ?? 'shown only this once. Copy it now and store it safely.'}
      </p>
      <div class="secret-row">
        <code class="secret" data-testid="secret">
          {props.value}
        </code>
        <CopyButton text={props.value} />
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Formatting

const digitsCache = new Map<string, number>();
export function minorDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

export function formatMoney(minor: number, currency: string): string {
  const d = minorDigits(currency);
  const major = minor / 10 ** d;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: d, maximumFractionDigits: d }).format(major);
  } catch {
    return `${major.toFixed(d)} ${currency}`;
  }
}

// "10.50" in the currency's major units → minor units; NaN when malformed.
export function parseMoney(text: string, currency: string): number {
  const d = minorDigits(currency);
  const m = /^\s*(\d+)(?:[.,](\d+))?\s*$/.exec(text);
  if (!m || (m[2] && m[2].length > d)) return NaN;
  return Number(m[1]) * 10 ** d + Number((m[2] ?? '').padEnd(d, '0') || '0');
}

export function formatTime(unix: number | null | undefined): string {
  if (unix === null || unix === undefined) return '—';
  return new Date(unix * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function Time(props: { unix: number | null | undefined }) {
  if (props.unix === null || props.unix === undefined) return <span class="muted">—</span>;
  return <time dateTime={new Date(props.unix * 1000).toISOString()}>{formatTime(props.unix)}</time>;
}

export function Badge(props: { status: string }) {
  const tone =
    /succeeded|active|enabled|satisfied|accepted|success/.test(props.status)
      ? 'ok'
      : /failed|revoked|disabled|failing|expired|cancelled|denied|failure/.test(props.status)
        ? 'bad'
        : 'wait';
  return <span class={'badge ' + tone}>{props.status.replace(/_/g, ' ')}</span>;
}

// "2025-01-31" (local date) ↔ Unix seconds, for date filters.
export function dateToUnix(date: string, endOfDay = false): number | undefined {
  if (!date) return undefined;
  const d = new Date(date + (endOfDay ? 'T23:59:59' : 'T00:00:00'));
  return Number.isNaN(d.getTime()) ? undefined : Math.floor(d.getTime() / 1000);
}

export function unixToDate(unix: string | null): string {
  if (!unix) return '';
  const d = new Date(Number(unix) * 1000);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// ---------------------------------------------------------------------------------------------
// Cursor paging (/v1 semantics): the cursor lives in the page's query string.

export function Pager<T extends { id: string }>(props: { data: T[]; hasMore: boolean; query: URLSearchParams }) {
  const backward = props.query.has('ending_before');
  const forward = props.query.has('starting_after');
  const hasPrev = backward ? props.hasMore : forward;
  const hasNext = backward ? true : props.hasMore;
  const first = props.data[0];
  const last = props.data[props.data.length - 1];
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        class="secondary"
        disabled={!hasPrev || !first}
        onClick={() => first && setQuery({ ending_before: first.id, starting_after: undefined })}
      >
        ← Newer
      </button>
      <button
        type="button"
        class="secondary"
        disabled={!hasNext || !last}
        onClick={() => last && setQuery({ starting_after: last.id, ending_before: undefined })}
      >
        Older →
      </button>
    </nav>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty muted">{props.children}</p>;
}

export function PageHead(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1>{props.title}</h1>
      <div class="page-actions">{props.children}</div>
    </div>
  );
}
