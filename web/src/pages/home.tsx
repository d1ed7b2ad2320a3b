// Home: payment volume and success rate per connector account over time, decline reasons and
// webhook delivery health, from the SQL aggregates (docs/dashboard-api.md §8).
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get } from '../api';
import { can, merchantPath } from '../session';
import type { DeclineStats, PaymentStats, WebhookStats } from '../types';
import { Badge, Empty, formatMoney, Loading, minorDigits, PageHead, Time, useResource } from '../ui';

const COLORS = ['#3b4cca', '#0e9f6e', '#d97706', '#db2777', '#0891b2', '#7c3aed', '#65a30d', '#dc2626'];

// A uPlot chart sized to its container (uPlot styles its own elements through the CSSOM, which
// the CSP's style-src 'self' allows).
function Chart(props: { title: string; data: uPlot.AlignedData; series: uPlot.Series[]; yLabel: string; percent?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const width = () => Math.max(260, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        series: [{}, ...props.series],
        axes: [
          {},
          {
            label: props.yLabel,
            size: 60,
            values: props.percent ? (_u, vals) => vals.map((v) => v + '%') : undefined,
          },
        ],
        scales: props.percent ? { y: { range: [0, 100] } } : undefined,
        legend: { show: true },
      },
      props.data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.data, props.series]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={ref} role="img" aria-label={props.title} />
    </figure>
  );
}

function mainCurrency(stats: PaymentStats): string | null {
  const totals = new Map<string, number>();
  for (const ca of stats.connector_accounts) {
    for (const b of ca.buckets) {
      for (const [cur, v] of Object.entries(b.volume)) totals.set(cur, (totals.get(cur) ?? 0) + v);
    }
  }
  let best: string | null = null;
  for (const [cur, v] of totals) if (best === null || v > (totals.get(best) ?? 0)) best = cur;
  return best;
}

function PaymentCharts(props: { stats: PaymentStats }) {
  const s = props.stats;
  const [currency, setCurrency] = useState<string | null>(null);
  const cur = currency ?? mainCurrency(s);
  if (s.connector_accounts.length === 0 || !s.connector_accounts[0].buckets.length) {
    return <Empty>No payments in this period yet.</Empty>;
  }
  const xs = s.connector_accounts[0].buckets.map((b) => b.start);
  const series = s.connector_accounts.map((ca, i) => ({
    label: ca.label || ca.connector_account,
    stroke: COLORS[i % COLORS.length],
    width: 2,
  }));
  const volume: uPlot.AlignedData = [
    xs,
    ...s.connector_accounts.map((ca) => ca.buckets.map((b) => (cur ? (b.volume[cur] ?? 0) / 10 ** minorDigits(cur) : 0))),
  ];
  const rate: uPlot.AlignedData = [
    xs,
    ...s.connector_accounts.map((ca) =>
      ca.buckets.map((b) => (b.succeeded + b.failed > 0 ? Math.round((1000 * b.succeeded) / (b.succeeded + b.failed)) / 10 : null)),
    ),
  ];
  const currencies = new Set<string>();
  s.connector_accounts.forEach((ca) => ca.buckets.forEach((b) => Object.keys(b.volume).forEach((c) => currencies.add(c))));
  const totals = s.connector_accounts.map((ca) => {
    const t = ca.buckets.reduce(
      (acc, b) => ({ ok: acc.ok + b.succeeded, bad: acc.bad + b.failed, vol: acc.vol + (cur ? b.volume[cur] ?? 0 : 0) }),
      { ok: 0, bad: 0, vol: 0 },
    );
    return { ca, ...t };
  });
  return (
    <>
      {currencies.size > 1 && (
        <label class="inline">
          Currency{' '}
          <select value={cur ?? ''} onChange={(e) => setCurrency((e.currentTarget as HTMLSelectElement).value)}>
            {[...currencies].map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
      )}
      <div class="charts">
        <Chart title={`Volume of succeeded payments${cur ? ' (' + cur + ')' : ''}`} data={volume} series={series} yLabel="volume" />
        <Chart title="Success rate of authorizations" data={rate} series={series} yLabel="success" percent />
      </div>
      <div class="table-wrap">
      <table class="table" aria-label="Totals by connector account">
        <thead>
          <tr>
            <th scope="col">Connector account</th>
            <th scope="col">Succeeded</th>
            <th scope="col">Failed</th>
            <th scope="col">Success rate</th>
            <th scope="col">Volume</th>
          </tr>
        </thead>
        <tbody>
          {totals.map((t) => (
            <tr key={t.ca.connector_account}>
              <td>
                {t.ca.label} <span class="muted small">{t.ca.connector}</span>
              </td>
              <td>{t.ok}</td>
              <td>{t.bad}</td>
              <td>{t.ok + t.bad > 0 ? ((100 * t.ok) / (t.ok + t.bad)).toFixed(1) + '%' : '—'}</td>
              <td>{cur ? formatMoney(t.vol, cur) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </>
  );
}

function Declines(props: { stats: DeclineStats }) {
  if (props.stats.total === 0) return <Empty>No declines in this period.</Empty>;
  const max = Math.max(...props.stats.data.map((d) => d.count));
  return (
    <ul class="bars" aria-label="Decline reasons">
      {props.stats.data.map((d) => (
        <li key={d.decline_code ?? 'none'}>
          <span class="bar-label">{d.decline_code ?? 'no decline code'}</span>
          <meter min={0} max={max} value={d.count} aria-label={`${d.count} declines`} />
          <span class="bar-value">{d.count}</span>
        </li>
      ))}
    </ul>
  );
}

function WebhookHealth(props: { stats: WebhookStats }) {
  if (props.stats.endpoints.length === 0) return <Empty>No webhook endpoints yet.</Empty>;
  return (
    <div class="table-wrap">
      <table class="table">
      <thead>
        <tr>
          <th scope="col">Endpoint</th>
          <th scope="col">Status</th>
          <th scope="col">Delivered</th>
          <th scope="col">Failed</th>
          <th scope="col">Pending</th>
          <th scope="col">Avg latency</th>
          <th scope="col">Last failure</th>
        </tr>
      </thead>
      <tbody>
        {props.stats.endpoints.map((e) => (
          <tr key={e.endpoint}>
            <td class="wrap">{e.url}</td>
            <td>
              <Badge status={e.status} />
            </td>
            <td>{e.deliveries.succeeded}</td>
            <td>{e.deliveries.failed}</td>
            <td>{e.deliveries.pending}</td>
            <td>{e.avg_latency_ms === null ? '—' : e.avg_latency_ms.toFixed(0) + ' ms'}</td>
            <td>
              <Time unix={e.last_failure_at} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
      </div>
  );
}

const RANGES: Record<string, number> = { '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400 };

export function Home(props: { mode: string }) {
  const [range, setRange] = useState('7d');
  // The range ends at the next whole minute, so payments made a moment ago are counted ([from, to)).
  const to = Math.ceil(Date.now() / 1000 / 60) * 60;
  const q = { mode: props.mode, from: to - RANGES[range], to, interval: range === '24h' ? 'hour' : 'day' };
  const payments = useResource(
    () => (can('payments:read') ? get<PaymentStats>(merchantPath('/stats/payments'), q) : Promise.resolve(null)),
    [props.mode, range],
  );
  const declines = useResource(
    () => (can('payments:read') ? get<DeclineStats>(merchantPath('/stats/declines'), q) : Promise.resolve(null)),
    [props.mode, range],
  );
  const webhooks = useResource(
    () => (can('webhooks:read') ? get<WebhookStats>(merchantPath('/stats/webhooks'), q) : Promise.resolve(null)),
    [props.mode, range],
  );
  return (
    <section>
      <PageHead title="Home">
        <div class="seg" role="group" aria-label="Period">
          {Object.keys(RANGES).map((r) => (
            <button key={r} type="button" class={r === range ? 'on' : ''} aria-pressed={r === range} onClick={() => setRange(r)}>
              {r}
            </button>
          ))}
        </div>
      </PageHead>
      {can('payments:read') && (
        <>
          <h2>Payments by connector account</h2>
          <Loading r={payments}>{(s) => s && <PaymentCharts stats={s} />}</Loading>
          <h2>Decline reasons</h2>
          <Loading r={declines}>{(s) => s && <Declines stats={s} />}</Loading>
        </>
      )}
      {can('webhooks:read') && (
        <>
          <h2>Webhook delivery health</h2>
          <Loading r={webhooks}>{(s) => s && <WebhookHealth stats={s} />}</Loading>
        </>
      )}
    </section>
  );
}
