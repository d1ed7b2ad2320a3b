// Payments (list with filters and cursor paging; detail with the attempt timeline, routing
// reason and the actions the role allows) and refunds.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, get, IdempotencyKeys, post } from '../api';
import { setQuery, useLocation } from '../router';
import { can, merchantPath } from '../session';
import type { Attempt, List, Payment, Refund } from '../types';
import { PAYMENT_STATUSES } from '../types';
import {
  Badge,
  dateToUnix,
  Dialog,
  Empty,
  Field,
  FormError,
  formatMoney,
  inputValue,
  Link,
  Loading,
  PageHead,
  Pager,
  parseMoney,
  Time,
  unixToDate,
  useForm,
  useResource,
} from '../ui';

function listQuery(query: URLSearchParams, mode: string, extra: string[]) {
  const q: Record<string, string | undefined> = { mode, limit: '20' };
  for (const k of ['starting_after', 'ending_before', 'created[gte]', 'created[lte]', ...extra]) {
    const v = query.get(k);
    if (v) q[k] = v;
  }
  return q;
}

function DateFilters(props: { query: URLSearchParams }) {
  return (
    <>
      <label class="inline">
        From{' '}
        <input
          type="date"
          value={unixToDate(props.query.get('created[gte]'))}
          onChange={(e) =>
            setQuery({ 'created[gte]': String(dateToUnix(inputValue(e)) ?? ''), starting_after: undefined, ending_before: undefined })
          }
        />
      </label>
      <label class="inline">
        To{' '}
        <input
          type="date"
          value={unixToDate(props.query.get('created[lte]'))}
          onChange={(e) =>
            setQuery({ 'created[lte]': String(dateToUnix(inputValue(e), true) ?? ''), starting_after: undefined, ending_before: undefined })
          }
        />
      </label>
    </>
  );
}

export function Payments(props: { mode: string }) {
  const { query } = useLocation();
  const key = query.toString();
  const r = useResource(() => get<List<Payment>>(merchantPath('/payments'), listQuery(query, props.mode, ['status'])), [props.mode, key]);
  return (
    <section>
      <PageHead title="Payments" />
      <div class="filters" role="search">
        <label class="inline">
          Status{' '}
          <select
            value={query.get('status') ?? ''}
            onChange={(e) =>
              setQuery({ status: (e.currentTarget as HTMLSelectElement).value, starting_after: undefined, ending_before: undefined })
            }
          >
            <option value="">All</option>
            {PAYMENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <DateFilters query={query} />
      </div>
      <Loading r={r}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No payments match.</Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Amount</th>
                      <th scope="col">Status</th>
                      <th scope="col">Description</th>
                      <th scope="col">Payment method</th>
                      <th scope="col">Connector</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((p) => (
                      <tr key={p.id}>
                        <td>
                          <Link href={`/${props.mode}/payments/${encodeURIComponent(p.id)}`}>{formatMoney(p.amount, p.currency)}</Link>
                        </td>
                        <td>
                          <Badge status={p.status} />
                        </td>
                        <td class="wrap">{p.description ?? <span class="muted">—</span>}</td>
                        <td>{p.payment_method ?? '—'}</td>
                        <td>{p.connector ?? '—'}</td>
                        <td>
                          <Time unix={p.created} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager data={list.data} hasMore={list.has_more} query={query} />
            </>
          )
        }
      </Loading>
    </section>
  );
}

const ROUTING_REASONS: Record<string, string> = {
  explicit: 'named by the request (routing.connector_account)',
  default_order: 'first active account that takes the payment method',
  authorization: 'the account that authorized the payment',
  payment: "the payment's account",
};

function Timeline(props: { attempts: Attempt[]; currency: string }) {
  if (props.attempts.length === 0) return <Empty>No PSP calls yet.</Empty>;
  return (
    <ol class="timeline">
      {props.attempts.map((a) => (
        <li key={a.id} class={'tl-' + a.status}>
          <div class="tl-head">
            <strong>{a.operation}</strong> <Badge status={a.status} /> {formatMoney(a.amount, props.currency)}
            <span class="muted small">
              {' '}
              <Time unix={a.created} />
            </span>
          </div>
          <dl class="kv small">
            <dt>Connector</dt>
            <dd>
              {a.connector} · <code>{a.connector_account}</code>
            </dd>
            <dt>Routing</dt>
            <dd>
              {a.routing_reason} — {ROUTING_REASONS[a.routing_reason] ?? ''}
            </dd>
            {a.psp_reference && (
              <>
                <dt>PSP reference</dt>
                <dd>
                  <code>{a.psp_reference}</code>
                </dd>
              </>
            )}
            {(a.decline_code || a.error_code) && (
              <>
                <dt>Outcome</dt>
                <dd>{[a.decline_code, a.error_code].filter(Boolean).join(' · ')}</dd>
              </>
            )}
            <dt>PSP latency</dt>
            <dd>{a.latency_ms === null ? '—' : a.latency_ms.toFixed(1) + ' ms'}</dd>
          </dl>
        </li>
      ))}
    </ol>
  );
}

type Action = 'capture' | 'cancel' | 'refund' | null;

function ActionDialog(props: { action: Action; payment: Payment; mode: string; onClose: () => void; onDone: () => void }) {
  const p = props.payment;
  const form = useForm();
  const [idem] = useState(() => new IdempotencyKeys());
  const refundable = p.amount_received - p.amount_refunded;
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const q = { mode: props.mode };
      const minor = amount.trim() ? parseMoney(amount, p.currency) : undefined;
      if (minor !== undefined && Number.isNaN(minor)) {
        throw new ApiError(400, {
          type: 'invalid_request_error',
          code: 'parameter_invalid',
          message: 'Enter an amount such as 10.50.',
          param: props.action === 'capture' ? 'amount_to_capture' : 'amount',
        });
      }
      if (props.action === 'capture') {
        await post(merchantPath(`/payments/${encodeURIComponent(p.id)}/capture`), minor ? { amount_to_capture: minor } : {}, {
          query: q,
          idempotency: idem,
        });
      } else if (props.action === 'cancel') {
        await post(merchantPath(`/payments/${encodeURIComponent(p.id)}/cancel`), {}, { query: q, idempotency: idem });
      } else {
        const body: Record<string, unknown> = { payment: p.id };
        if (minor) body.amount = minor;
        if (reason) body.reason = reason;
        await post(merchantPath('/refunds'), body, { query: q, idempotency: idem });
      }
      props.onDone();
    });
  };
  const titles = { capture: 'Capture payment', cancel: 'Cancel payment', refund: 'Refund payment' };
  return (
    <Dialog title={props.action ? titles[props.action] : ''} open={props.action !== null} onClose={props.onClose}>
      <form onSubmit={submit} noValidate>
        {props.action === 'capture' && (
          <Field form={form} name="amount_to_capture" label={`Amount to capture (${p.currency})`} hint={`Up to ${formatMoney(p.amount_capturable, p.currency)}; empty captures all. The rest is released.`}>
            {(a) => <input {...a} inputMode="decimal" value={amount} onInput={(e) => setAmount(inputValue(e))} />}
          </Field>
        )}
        {props.action === 'cancel' && <p>The payment will be cancelled{p.status === 'requires_capture' ? ' and its authorization released' : ''}.</p>}
        {props.action === 'refund' && (
          <>
            <Field form={form} name="amount" label={`Amount (${p.currency})`} hint={`Up to ${formatMoney(refundable, p.currency)}; empty refunds all of it.`}>
              {(a) => <input {...a} inputMode="decimal" value={amount} onInput={(e) => setAmount(inputValue(e))} />}
            </Field>
            <Field form={form} name="reason" label="Reason">
              {(a) => (
                <select {...a} value={reason} onChange={(e) => setReason((e.currentTarget as HTMLSelectElement).value)}>
                  <option value="">None</option>
                  <option value="requested_by_customer">Requested by customer</option>
                  <option value="duplicate">Duplicate</option>
                  <option value="fraudulent">Fraudulent</option>
                </select>
              )}
            </Field>
          </>
        )}
        <FormError form={form} />
        <div class="row">
          <button type="submit" class={props.action === 'capture' ? 'primary' : 'danger'} disabled={form.busy}>
            {props.action === 'refund' ? 'Refund' : props.action === 'capture' ? 'Capture' : 'Cancel payment'}
          </button>
          <button type="button" class="secondary" onClick={props.onClose}>
            Back
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function PaymentDetail(props: { mode: string; id: string }) {
  const r = useResource(() => get<Payment>(merchantPath(`/payments/${encodeURIComponent(props.id)}`), { mode: props.mode }), [props.mode, props.id]);
  const refunds = useResource(
    () => get<List<Refund>>(merchantPath('/refunds'), { mode: props.mode, payment: props.id, limit: 100 }),
    [props.mode, props.id],
  );
  const [action, setAction] = useState<Action>(null);
  return (
    <section>
      <p class="crumbs">
        <Link href={`/${props.mode}/payments`}>← Payments</Link>
      </p>
      <Loading r={r}>
        {(p) => {
          const canCapture = can('payments:write') && p.status === 'requires_capture';
          const canCancel =
            can('payments:write') && ['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture'].includes(p.status);
          const canRefund = can('refunds:write') && p.status === 'succeeded' && p.amount_received - p.amount_refunded > 0;
          return (
            <>
              <PageHead title={formatMoney(p.amount, p.currency)}>
                {canCapture && (
                  <button type="button" class="primary" onClick={() => setAction('capture')}>
                    Capture
                  </button>
                )}
                {canRefund && (
                  <button type="button" class="secondary" onClick={() => setAction('refund')}>
                    Refund
                  </button>
                )}
                {canCancel && (
                  <button type="button" class="danger" onClick={() => setAction('cancel')}>
                    Cancel
                  </button>
                )}
              </PageHead>
              <p>
                <Badge status={p.status} /> <code>{p.id}</code>
              </p>
              {p.last_error && (
                <p class="error-note">
                  {p.last_error.code}
                  {p.last_error.decline_code ? ' · ' + p.last_error.decline_code : ''}
                  {p.last_error.message ? ' — ' + p.last_error.message : ''}
                </p>
              )}
              <dl class="kv">
                <dt>Description</dt>
                <dd class="wrap" data-testid="description">
                  {p.description ?? '—'}
                </dd>
                <dt>Captured</dt>
                <dd>{formatMoney(p.amount_received, p.currency)}</dd>
                <dt>Refunded</dt>
                <dd>{formatMoney(p.amount_refunded, p.currency)}</dd>
                <dt>Capturable</dt>
                <dd>{formatMoney(p.amount_capturable, p.currency)}</dd>
                <dt>Capture method</dt>
                <dd>{p.capture_method}</dd>
                <dt>Payment method</dt>
                <dd>{p.payment_method ?? '—'}</dd>
                <dt>Connector</dt>
                <dd>
                  {p.connector ?? '—'} {p.connector_account && <code>{p.connector_account}</code>}
                </dd>
                <dt>Created</dt>
                <dd>
                  <Time unix={p.created} />
                </dd>
                {Object.entries(p.metadata).map(([k, v]) => (
                  <Fragment key={k}>
                    <dt>metadata.{k}</dt>
                    <dd class="wrap">{v}</dd>
                  </Fragment>
                ))}
              </dl>
              <h2>Attempts</h2>
              <Timeline attempts={p.attempts ?? []} currency={p.currency} />
              <h2>Refunds</h2>
              <Loading r={refunds}>{(l) => <RefundTable refunds={l.data} mode={props.mode} />}</Loading>
              <ActionDialog
                action={action}
                payment={p}
                mode={props.mode}
                onClose={() => setAction(null)}
                onDone={() => {
                  setAction(null);
                  r.reload();
                  refunds.reload();
                }}
              />
            </>
          );
        }}
      </Loading>
    </section>
  );
}

function RefundTable(props: { refunds: Refund[]; mode: string }) {
  if (props.refunds.length === 0) return <Empty>No refunds.</Empty>;
  return (
    <div class="table-wrap">
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Amount</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Payment</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.refunds.map((r) => (
            <tr key={r.id}>
              <td>{formatMoney(r.amount, r.currency)}</td>
              <td>
                <Badge status={r.status} />
                {r.failure_code && <span class="muted small"> {r.failure_code}</span>}
              </td>
              <td>{r.reason ?? '—'}</td>
              <td>
                <Link href={`/${props.mode}/payments/${encodeURIComponent(r.payment)}`}>
                  <code>{r.payment}</code>
                </Link>
              </td>
              <td>
                <Time unix={r.created} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Refunds(props: { mode: string }) {
  const { query } = useLocation();
  const key = query.toString();
  const r = useResource(() => get<List<Refund>>(merchantPath('/refunds'), listQuery(query, props.mode, ['status', 'payment'])), [props.mode, key]);
  return (
    <section>
      <PageHead title="Refunds" />
      <div class="filters" role="search">
        <label class="inline">
          Status{' '}
          <select
            value={query.get('status') ?? ''}
            onChange={(e) => setQuery({ status: (e.currentTarget as HTMLSelectElement).value, starting_after: undefined, ending_before: undefined })}
          >
            <option value="">All</option>
            <option value="pending">pending</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <DateFilters query={query} />
      </div>
      <Loading r={r}>
        {(list) => (
          <>
            <RefundTable refunds={list.data} mode={props.mode} />
            {list.data.length > 0 && <Pager data={list.data} hasMore={list.has_more} query={query} />}
          </>
        )}
      </Loading>
    </section>
  );
}
