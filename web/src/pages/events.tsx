// Events and their webhook deliveries, with redelivery.
import { useState } from 'preact/hooks';
import { get, IdempotencyKeys, post } from '../api';
import { setQuery, useLocation } from '../router';
import { can, merchantPath } from '../session';
import type { ApiEvent, List, WebhookDelivery } from '../types';
import { EVENT_TYPES } from '../types';
import { Badge, Empty, ErrorNote, Link, Loading, PageHead, Pager, Time, useForm, useResource } from '../ui';

export function Events(props: { mode: string }) {
  const { query } = useLocation();
  const key = query.toString();
  const r = useResource(() => {
    const q: Record<string, string> = { mode: props.mode, limit: '20' };
    for (const k of ['type', 'starting_after', 'ending_before']) {
      const v = query.get(k);
      if (v) q[k] = v;
    }
    return get<List<ApiEvent>>(merchantPath('/events'), q);
  }, [props.mode, key]);
  return (
    <section>
      <PageHead title="Events" />
      <div class="filters" role="search">
        <label class="inline">
          Type{' '}
          <select
            value={query.get('type') ?? ''}
            onChange={(e) => setQuery({ type: (e.currentTarget as HTMLSelectElement).value, starting_after: undefined, ending_before: undefined })}
          >
            <option value="">All</option>
            {EVENT_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      </div>
      <Loading r={r}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No events.</Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Event</th>
                      <th scope="col">Object</th>
                      <th scope="col">Created</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((ev) => (
                      <tr key={ev.id}>
                        <td>
                          <Link href={`/${props.mode}/events/${encodeURIComponent(ev.id)}`}>{ev.type}</Link>
                        </td>
                        <td>
                          <code>{String(ev.data.object.id ?? '')}</code>
                        </td>
                        <td>
                          <Time unix={ev.created} />
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

export function Deliveries(props: { deliveries: WebhookDelivery[]; showEndpoint?: boolean; showEvent?: boolean; mode: string }) {
  if (props.deliveries.length === 0) return <Empty>No deliveries.</Empty>;
  return (
    <ul class="deliveries">
      {props.deliveries.map((d) => (
        <li key={d.id}>
          <div>
            <Badge status={d.status} /> <code>{d.id}</code>
            {props.showEndpoint && (
              <>
                {' '}
                to{' '}
                <Link href={`/${props.mode}/webhooks/${encodeURIComponent(d.endpoint)}`}>
                  <code>{d.endpoint}</code>
                </Link>
              </>
            )}
            {props.showEvent && (
              <>
                {' '}
                of{' '}
                <Link href={`/${props.mode}/events/${encodeURIComponent(d.event)}`}>
                  <code>{d.event}</code>
                </Link>
              </>
            )}
            <span class="muted small">
              {' '}
              {d.attempt_count} attempt{d.attempt_count === 1 ? '' : 's'}
              {d.next_attempt_at ? ' · next ' : ''}
              {d.next_attempt_at ? <Time unix={d.next_attempt_at} /> : null}
            </span>
          </div>
          {d.attempts.length > 0 && (
            <table class="table compact">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {d.attempts.map((a) => (
                  <tr key={a.attempt}>
                    <td>{a.attempt}</td>
                    <td>
                      <Time unix={a.time} />
                    </td>
                    <td>{a.status_code ?? '—'}</td>
                    <td>{a.latency_ms === null ? '—' : a.latency_ms.toFixed(0) + ' ms'}</td>
                    <td>{a.error ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </li>
      ))}
    </ul>
  );
}

export function EventDetail(props: { mode: string; id: string }) {
  const path = `/events/${encodeURIComponent(props.id)}`;
  const ev = useResource(() => get<ApiEvent>(merchantPath(path), { mode: props.mode }), [props.mode, props.id]);
  const deliveries = useResource(() => get<List<WebhookDelivery>>(merchantPath(path + '/deliveries'), { mode: props.mode }), [props.mode, props.id]);
  const form = useForm();
  const [idem] = useState(() => new IdempotencyKeys());
  const redeliver = () =>
    form.run(async () => {
      await post(merchantPath(path + '/redeliver'), {}, { query: { mode: props.mode }, idempotency: idem });
      deliveries.reload();
    });
  return (
    <section>
      <p class="crumbs">
        <Link href={`/${props.mode}/events`}>← Events</Link>
      </p>
      <Loading r={ev}>
        {(e) => (
          <>
            <PageHead title={e.type}>
              {can('webhooks:write') && (
                <button type="button" class="secondary" onClick={redeliver} disabled={form.busy}>
                  Redeliver
                </button>
              )}
            </PageHead>
            <ErrorNote error={form.error} />
            <p>
              <code>{e.id}</code> · <Time unix={e.created} />
            </p>
            <h2>Payload</h2>
            <pre class="json">{JSON.stringify(e, null, 2)}</pre>
          </>
        )}
      </Loading>
      <h2>Deliveries</h2>
      <Loading r={deliveries}>{(l) => <Deliveries deliveries={l.data} showEndpoint mode={props.mode} />}</Loading>
    </section>
  );
}
