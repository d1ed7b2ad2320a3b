// API keys, webhook endpoints and connector accounts. Secrets appear once (creation, roll,
// rotation) and are never fetched again; PSP credentials are write-only.
import { useState } from 'preact/hooks';
import { del, get, IdempotencyKeys, patch, post } from '../api';
import { navigate, useLocation } from '../router';
import { can, merchantPath } from '../session';
import type { ApiKey, ConnectorAccount, List, WebhookDelivery, WebhookEndpoint } from '../types';
import { EVENT_TYPES, KEY_SCOPES } from '../types';
import { Deliveries } from './events';
import {
  Badge,
  dateToUnix,
  Dialog,
  Empty,
  ErrorNote,
  Field,
  FormError,
  inputValue,
  Link,
  Loading,
  PageHead,
  Pager,
  SecretOnce,
  Time,
  useForm,
  useResource,
} from '../ui';

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

function Checkboxes(props: { name: string; options: string[]; value: string[]; onChange: (v: string[]) => void; legend: string }) {
  return (
    <fieldset class="checks">
      <legend>{props.legend}</legend>
      {props.options.map((o) => (
        <label key={o} class="check">
          <input
            type="checkbox"
            name={props.name}
            value={o}
            checked={props.value.includes(o)}
            onChange={(e) =>
              props.onChange((e.currentTarget as HTMLInputElement).checked ? [...props.value, o] : props.value.filter((x) => x !== o))
            }
          />{' '}
          {o}
        </label>
      ))}
    </fieldset>
  );
}

// ---------------------------------------------------------------------------------------------
// API keys

function CreateKey(props: { mode: string; onCreated: (k: ApiKey) => void }) {
  const form = useForm();
  const [idem] = useState(() => new IdempotencyKeys());
  const [type, setType] = useState<'secret' | 'restricted' | 'publishable'>('secret');
  const [scopes, setScopes] = useState<string[]>([]);
  const [cidrs, setCidrs] = useState('');
  const [expires, setExpires] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const body: Record<string, unknown> = { type };
      if (type === 'restricted') body.scopes = scopes;
      if (cidrs.trim()) body.allowed_cidrs = lines(cidrs);
      if (expires) body.expires_at = dateToUnix(expires, true);
      props.onCreated(await post<ApiKey>(merchantPath('/api_keys'), body, { query: { mode: props.mode }, idempotency: idem }));
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Field form={form} name="type" label="Type">
        {(a) => (
          <select {...a} value={type} onChange={(e) => setType((e.currentTarget as HTMLSelectElement).value as typeof type)}>
            <option value="secret">Secret (sk_) — every API route</option>
            <option value="restricted">Restricted (rk_) — chosen scopes</option>
            <option value="publishable">Publishable (pk_) — client-side identification</option>
          </select>
        )}
      </Field>
      {type === 'restricted' && (
        <div class={form.fieldError('scopes') ? 'field invalid' : 'field'}>
          <Checkboxes name="scopes" legend="Scopes" options={KEY_SCOPES} value={scopes} onChange={setScopes} />
          {form.fieldError('scopes') && (
            <small class="field-error" data-param="scopes">
              {form.fieldError('scopes')}
            </small>
          )}
        </div>
      )}
      <Field form={form} name="allowed_cidrs" label="Allowed IP addresses (optional)" hint="One IPv4/IPv6 address or CIDR per line; empty allows any address.">
        {(a) => <textarea {...a} rows={3} value={cidrs} onInput={(e) => setCidrs(inputValue(e))} />}
      </Field>
      <Field form={form} name="expires_at" label="Expires (optional)">
        {(a) => <input {...a} type="date" value={expires} onInput={(e) => setExpires(inputValue(e))} />}
      </Field>
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        Create key
      </button>
    </form>
  );
}

function RollKey(props: { mode: string; apiKey: ApiKey; onRolled: (k: ApiKey) => void }) {
  const form = useForm();
  const [idem] = useState(() => new IdempotencyKeys());
  const [hours, setHours] = useState('24');
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const h = Number(hours);
      props.onRolled(
        await post<ApiKey>(
          merchantPath(`/api_keys/${encodeURIComponent(props.apiKey.id)}/roll`),
          { grace_period_hours: Number.isInteger(h) ? h : hours },
          { query: { mode: props.mode }, idempotency: idem },
        ),
      );
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <p>
        A new key replaces <code>{props.apiKey.prefix + '…' + props.apiKey.last4}</code>. The old key keeps working during the grace period, so
        you can deploy the new one first.
      </p>
      <Field form={form} name="grace_period_hours" label="Grace period (hours)" hint="0 to 168. 0 revokes the old key at once.">
        {(a) => <input {...a} type="number" min={0} max={168} value={hours} onInput={(e) => setHours(inputValue(e))} />}
      </Field>
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        Roll key
      </button>
    </form>
  );
}

function EditAllowlist(props: { mode: string; apiKey: ApiKey; onSaved: () => void }) {
  const form = useForm();
  const [cidrs, setCidrs] = useState(props.apiKey.allowed_cidrs.join('\n'));
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      await patch(merchantPath(`/api_keys/${encodeURIComponent(props.apiKey.id)}`), { allowed_cidrs: lines(cidrs) }, { query: { mode: props.mode } });
      props.onSaved();
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Field form={form} name="allowed_cidrs" label="Allowed IP addresses" hint="One address or CIDR per line; empty allows any address.">
        {(a) => <textarea {...a} rows={4} value={cidrs} onInput={(e) => setCidrs(inputValue(e))} />}
      </Field>
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        Save allowlist
      </button>
    </form>
  );
}

type KeyDialog = { kind: 'create' } | { kind: 'roll' | 'allowlist' | 'revoke'; key: ApiKey } | { kind: 'secret'; key: ApiKey } | null;

export function ApiKeys(props: { mode: string }) {
  const { query } = useLocation();
  const key = query.toString();
  const r = useResource(
    () =>
      get<List<ApiKey>>(merchantPath('/api_keys'), {
        mode: props.mode,
        limit: 50,
        starting_after: query.get('starting_after'),
        ending_before: query.get('ending_before'),
      }),
    [props.mode, key],
  );
  const [dialog, setDialog] = useState<KeyDialog>(null);
  const revokeForm = useForm();
  const writable = can('api_keys:write');
  const close = () => setDialog(null);
  const shown = (k: ApiKey) => {
    setDialog({ kind: 'secret', key: k });
    r.reload();
  };
  return (
    <section>
      <PageHead title="API keys">
        {writable && (
          <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })}>
            Create key
          </button>
        )}
      </PageHead>
      <p class="muted">Keys authenticate your servers to the merchant API ({props.mode} mode). A key's secret is shown once, when it is made.</p>
      <Loading r={r}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No keys in {props.mode} mode.</Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Key</th>
                      <th scope="col">Status</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Allowed IPs</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Expires</th>
                      {writable && <th scope="col">Actions</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((k) => (
                      <tr key={k.id}>
                        <td>
                          <code>{k.prefix + '…' + k.last4}</code>
                          <div class="muted small">{k.type}</div>
                        </td>
                        <td>
                          <Badge status={k.status} />
                        </td>
                        <td class="wrap">{k.scopes ? k.scopes.join(', ') : 'all'}</td>
                        <td class="wrap">{k.allowed_cidrs.length ? k.allowed_cidrs.join(', ') : 'any'}</td>
                        <td>
                          <Time unix={k.last_used_at} />
                          {k.last_used_ip && <div class="muted small">from {k.last_used_ip}</div>}
                        </td>
                        <td>
                          <Time unix={k.expires_at} />
                        </td>
                        {writable && (
                          <td class="actions">
                            {k.status === 'active' && (
                              <button type="button" class="secondary small" onClick={() => setDialog({ kind: 'roll', key: k })}>
                                Roll
                              </button>
                            )}
                            {(k.status === 'active' || k.status === 'rolling') && (
                              <>
                                <button type="button" class="secondary small" onClick={() => setDialog({ kind: 'allowlist', key: k })}>
                                  Allowlist
                                </button>
                                <button type="button" class="danger small" onClick={() => setDialog({ kind: 'revoke', key: k })}>
                                  Revoke
                                </button>
                              </>
                            )}
                          </td>
                        )}
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
      <Dialog title="Create an API key" open={dialog?.kind === 'create'} onClose={close}>
        <CreateKey mode={props.mode} onCreated={shown} />
      </Dialog>
      <Dialog title="Roll API key" open={dialog?.kind === 'roll'} onClose={close}>
        {dialog?.kind === 'roll' && <RollKey mode={props.mode} apiKey={dialog.key} onRolled={shown} />}
      </Dialog>
      <Dialog title="IP allowlist" open={dialog?.kind === 'allowlist'} onClose={close}>
        {dialog?.kind === 'allowlist' && (
          <EditAllowlist
            mode={props.mode}
            apiKey={dialog.key}
            onSaved={() => {
              close();
              r.reload();
            }}
          />
        )}
      </Dialog>
      <Dialog title="Revoke API key" open={dialog?.kind === 'revoke'} onClose={close}>
        {dialog?.kind === 'revoke' && (
          <>
            <p>
              <code>{dialog.key.prefix + '…' + dialog.key.last4}</code> stops working at once. Requests that use it will fail.
            </p>
            <ErrorNote error={revokeForm.error} />
            <div class="row">
              <button
                type="button"
                class="danger"
                disabled={revokeForm.busy}
                onClick={() =>
                  revokeForm.run(async () => {
                    await del(merchantPath(`/api_keys/${encodeURIComponent(dialog.key.id)}`), { query: { mode: props.mode } });
                    close();
                    r.reload();
                  })
                }
              >
                Revoke key
              </button>
              <button type="button" class="secondary" onClick={close}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Dialog>
      <Dialog title="Your new API key" open={dialog?.kind === 'secret'} onClose={close}>
        {dialog?.kind === 'secret' && dialog.key.secret && (
          <>
            <SecretOnce label="Secret key" value={dialog.key.secret} />
            {dialog.key.rolled_from && <p class="muted">The old key keeps working until its grace period ends.</p>}
            <button type="button" class="primary" onClick={close}>
              Done
            </button>
          </>
        )}
      </Dialog>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Webhook endpoints

function EndpointForm(props: { mode: string; endpoint?: WebhookEndpoint; onSaved: (e: WebhookEndpoint) => void }) {
  const form = useForm();
  const [idem] = useState(() => new IdempotencyKeys());
  const [url, setUrl] = useState(props.endpoint?.url ?? '');
  const [description, setDescription] = useState(props.endpoint?.description ?? '');
  const initial = props.endpoint?.enabled_events ?? ['*'];
  const [all, setAll] = useState(initial.includes('*'));
  const [events, setEvents] = useState<string[]>(initial.filter((x) => x !== '*'));
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const body = { url, description: description || null, enabled_events: all ? ['*'] : events };
      const q = { query: { mode: props.mode } };
      props.onSaved(
        props.endpoint
          ? await patch<WebhookEndpoint>(merchantPath(`/webhook_endpoints/${encodeURIComponent(props.endpoint.id)}`), body, q)
          : await post<WebhookEndpoint>(merchantPath('/webhook_endpoints'), body, { ...q, idempotency: idem }),
      );
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Field form={form} name="url" label="Endpoint URL" hint="https:// on a public host.">
        {(a) => <input {...a} type="url" required value={url} onInput={(e) => setUrl(inputValue(e))} placeholder="https://example.com/webhooks" />}
      </Field>
      <Field form={form} name="description" label="Description (optional)">
        {(a) => <input {...a} value={description} onInput={(e) => setDescription(inputValue(e))} />}
      </Field>
      <div class={form.fieldError('enabled_events') ? 'field invalid' : 'field'}>
        <label class="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll((e.currentTarget as HTMLInputElement).checked)} /> Send every event type
        </label>
        {!all && <Checkboxes name="enabled_events" legend="Event types" options={EVENT_TYPES} value={events} onChange={setEvents} />}
        {form.fieldError('enabled_events') && (
          <small class="field-error" data-param="enabled_events">
            {form.fieldError('enabled_events')}
          </small>
        )}
      </div>
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        {props.endpoint ? 'Save' : 'Add endpoint'}
      </button>
    </form>
  );
}

export function Webhooks(props: { mode: string }) {
  const r = useResource(() => get<List<WebhookEndpoint>>(merchantPath('/webhook_endpoints'), { mode: props.mode, limit: 100 }), [props.mode]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<WebhookEndpoint | null>(null);
  return (
    <section>
      <PageHead title="Webhook endpoints">
        {can('webhooks:write') && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Add endpoint
          </button>
        )}
      </PageHead>
      <p class="muted">
        LiasonPay signs every webhook with the endpoint's secret (Standard Webhooks). Verify signatures with <code>liasonpay webhooks verify</code>{' '}
        or the Standard Webhooks libraries.
      </p>
      <Loading r={r}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No endpoints in {props.mode} mode.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    <th scope="col">Status</th>
                    <th scope="col">Events</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((e) => (
                    <tr key={e.id}>
                      <td class="wrap">
                        <Link href={`/${props.mode}/webhooks/${encodeURIComponent(e.id)}`}>{e.url}</Link>
                        {e.description && <div class="muted small">{e.description}</div>}
                      </td>
                      <td>
                        <Badge status={e.status} />
                      </td>
                      <td class="wrap">{e.enabled_events.join(', ')}</td>
                      <td>
                        <Time unix={e.created} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loading>
      <Dialog title="Add a webhook endpoint" open={creating} onClose={() => setCreating(false)}>
        <EndpointForm
          mode={props.mode}
          onSaved={(e) => {
            setCreating(false);
            setCreated(e);
            r.reload();
          }}
        />
      </Dialog>
      <Dialog title="Endpoint added" open={created !== null} onClose={() => setCreated(null)}>
        {created?.secret && <SecretOnce label="Signing secret" value={created.secret} />}
        <button type="button" class="primary" onClick={() => created && navigate(`/${props.mode}/webhooks/${encodeURIComponent(created.id)}`)}>
          Open endpoint
        </button>
      </Dialog>
    </section>
  );
}

export function WebhookDetail(props: { mode: string; id: string }) {
  const { query } = useLocation();
  const key = query.toString();
  const path = `/webhook_endpoints/${encodeURIComponent(props.id)}`;
  const r = useResource(() => get<WebhookEndpoint>(merchantPath(path), { mode: props.mode }), [props.mode, props.id]);
  const deliveries = useResource(
    () =>
      get<List<WebhookDelivery>>(merchantPath(path + '/deliveries'), {
        mode: props.mode,
        limit: 20,
        starting_after: query.get('starting_after'),
        ending_before: query.get('ending_before'),
      }),
    [props.mode, props.id, key],
  );
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const action = useForm();
  const writable = can('webhooks:write');
  return (
    <section>
      <p class="crumbs">
        <Link href={`/${props.mode}/webhooks`}>← Webhook endpoints</Link>
      </p>
      <Loading r={r}>
        {(e) => (
          <>
            <PageHead title={e.url}>
              {writable && (
                <>
                  <button type="button" class="secondary" onClick={() => setEditing(true)}>
                    Edit
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(async () => {
                        const rotated = await post<WebhookEndpoint>(merchantPath(path + '/rotate_secret'), undefined, { query: { mode: props.mode } });
                        setSecret(rotated.secret ?? null);
                        r.reload();
                      })
                    }
                  >
                    Rotate secret
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(async () => {
                        await patch(merchantPath(path), { status: e.status === 'disabled' ? 'enabled' : 'disabled' }, { query: { mode: props.mode } });
                        r.reload();
                      })
                    }
                  >
                    {e.status === 'disabled' ? 'Enable' : 'Disable'}
                  </button>
                  <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
                    Delete
                  </button>
                </>
              )}
            </PageHead>
            <ErrorNote error={action.error} />
            <dl class="kv">
              <dt>Status</dt>
              <dd>
                <Badge status={e.status} />
              </dd>
              <dt>Events</dt>
              <dd class="wrap">{e.enabled_events.join(', ')}</dd>
              <dt>Description</dt>
              <dd class="wrap">{e.description ?? '—'}</dd>
              <dt>Id</dt>
              <dd>
                <code>{e.id}</code>
              </dd>
              {e.previous_secret_expires_at && (
                <>
                  <dt>Previous secret signs until</dt>
                  <dd>
                    <Time unix={e.previous_secret_expires_at} />
                  </dd>
                </>
              )}
            </dl>
            <Dialog title="Edit endpoint" open={editing} onClose={() => setEditing(false)}>
              <EndpointForm
                mode={props.mode}
                endpoint={e}
                onSaved={() => {
                  setEditing(false);
                  r.reload();
                }}
              />
            </Dialog>
            <Dialog title="Delete endpoint" open={confirmDelete} onClose={() => setConfirmDelete(false)}>
              <p>The endpoint stops receiving events at once.</p>
              <div class="row">
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    action.run(async () => {
                      await del(merchantPath(path), { query: { mode: props.mode } });
                      navigate(`/${props.mode}/webhooks`);
                    })
                  }
                >
                  Delete endpoint
                </button>
                <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
                  Cancel
                </button>
              </div>
            </Dialog>
          </>
        )}
      </Loading>
      <Dialog title="New signing secret" open={secret !== null} onClose={() => setSecret(null)}>
        {secret && <SecretOnce label="Signing secret" value={secret} note="shown only this once. The previous secret also signs for 24 hours." />}
        <button type="button" class="primary" onClick={() => setSecret(null)}>
          Done
        </button>
      </Dialog>
      <h2>Deliveries</h2>
      <Loading r={deliveries}>
        {(l) => (
          <>
            <Deliveries deliveries={l.data} showEvent mode={props.mode} />
            {l.data.length > 0 && <Pager data={l.data} hasMore={l.has_more} query={query} />}
          </>
        )}
      </Loading>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Connector accounts

const CREDENTIAL_FIELDS: Record<string, { name: string; label: string; optional?: boolean }[]> = {
  sandbox: [{ name: 'api_key', label: 'API key (optional)', optional: true }],
  stripe: [
    { name: 'secret_key', label: 'Secret key (sk_…)' },
    { name: 'webhook_secret', label: 'Webhook signing secret (whsec_…)' },
  ],
  adyen: [
    { name: 'api_key', label: 'API key' },
    { name: 'merchant_account', label: 'Merchant account' },
    { name: 'hmac_key', label: 'HMAC key' },
  ],
};

function ConnectorForm(props: { mode: string; account?: ConnectorAccount; onSaved: () => void }) {
  const form = useForm();
  const [idem] = useState(() => new IdempotencyKeys());
  const [connector, setConnector] = useState<string>(props.account?.connector ?? 'stripe');
  const [label, setLabel] = useState(props.account?.label ?? '');
  const [creds, setCreds] = useState<Record<string, string>>({});
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const credentials: Record<string, string> = {};
      for (const f of CREDENTIAL_FIELDS[connector]) if (creds[f.name]) credentials[f.name] = creds[f.name];
      const hasCreds = Object.keys(credentials).length > 0;
      const q = { query: { mode: props.mode } };
      if (props.account) {
        const body: Record<string, unknown> = { label };
        if (hasCreds) body.credentials = credentials;
        await patch(merchantPath(`/connector_accounts/${encodeURIComponent(props.account.id)}`), body, q);
      } else {
        const body: Record<string, unknown> = { connector, label: label || null };
        if (hasCreds || connector !== 'sandbox') body.credentials = credentials;
        await post(merchantPath('/connector_accounts'), body, { ...q, idempotency: idem });
      }
      setCreds({});
      props.onSaved();
    });
  };
  return (
    <form onSubmit={submit} noValidate autoComplete="off">
      {!props.account && (
        <Field form={form} name="connector" label="Connector">
          {(a) => (
            <select {...a} value={connector} onChange={(e) => (setConnector((e.currentTarget as HTMLSelectElement).value), setCreds({}))}>
              <option value="stripe">Stripe</option>
              <option value="adyen">Adyen</option>
              <option value="sandbox">Sandbox</option>
            </select>
          )}
        </Field>
      )}
      <Field form={form} name="label" label="Label">
        {(a) => <input {...a} value={label} onInput={(e) => setLabel(inputValue(e))} placeholder="e.g. Stripe EU" />}
      </Field>
      {props.account && <p class="muted small">Leave the credentials empty to keep the stored ones. Stored credentials are never shown.</p>}
      {CREDENTIAL_FIELDS[connector].map((f) => (
        <Field key={f.name} form={form} name={'credentials.' + f.name} label={f.label}>
          {(a) => (
            <input
              {...a}
              type="password"
              autoComplete="new-password"
              spellcheck={false}
              value={creds[f.name] ?? ''}
              onInput={(e) => setCreds({ ...creds, [f.name]: inputValue(e) })}
            />
          )}
        </Field>
      ))}
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        {props.account ? 'Save' : 'Add account'}
      </button>
    </form>
  );
}

export function Connectors(props: { mode: string }) {
  const r = useResource(() => get<List<ConnectorAccount>>(merchantPath('/connector_accounts'), { mode: props.mode, limit: 100 }), [props.mode]);
  const [dialog, setDialog] = useState<{ kind: 'add' } | { kind: 'edit' | 'delete'; account: ConnectorAccount } | null>(null);
  const action = useForm();
  const writable = can('connectors:write');
  const close = () => setDialog(null);
  const saved = () => {
    close();
    r.reload();
  };
  return (
    <section>
      <PageHead title="Connector accounts">
        {writable && (
          <button type="button" class="primary" onClick={() => setDialog({ kind: 'add' })}>
            Add account
          </button>
        )}
      </PageHead>
      <p class="muted">The PSP accounts payments are routed to. Credentials are stored encrypted and never shown again: only a fingerprint.</p>
      <ErrorNote error={action.error} />
      <Loading r={r}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No connector accounts in {props.mode} mode.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Account</th>
                    <th scope="col">Connector</th>
                    <th scope="col">Status</th>
                    <th scope="col">Credentials</th>
                    <th scope="col">Updated</th>
                    {writable && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((a) => (
                    <tr key={a.id}>
                      <td>
                        {a.label}
                        <div class="muted small">
                          <code>{a.id}</code>
                        </div>
                      </td>
                      <td>{a.connector}</td>
                      <td>
                        <Badge status={a.status} />
                      </td>
                      <td>{a.credentials ? <code>{a.credentials.fingerprint + (a.credentials.last4 ? ' …' + a.credentials.last4 : '')}</code> : '—'}</td>
                      <td>
                        <Time unix={a.updated} />
                      </td>
                      {writable && (
                        <td class="actions">
                          <button type="button" class="secondary small" onClick={() => setDialog({ kind: 'edit', account: a })}>
                            Edit
                          </button>
                          <button
                            type="button"
                            class="secondary small"
                            onClick={() =>
                              action.run(async () => {
                                await patch(
                                  merchantPath(`/connector_accounts/${encodeURIComponent(a.id)}`),
                                  { status: a.status === 'active' ? 'disabled' : 'active' },
                                  { query: { mode: props.mode } },
                                );
                                r.reload();
                              })
                            }
                          >
                            {a.status === 'active' ? 'Disable' : 'Enable'}
                          </button>
                          <button type="button" class="danger small" onClick={() => setDialog({ kind: 'delete', account: a })}>
                            Delete
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loading>
      <Dialog title="Add a connector account" open={dialog?.kind === 'add'} onClose={close}>
        <ConnectorForm mode={props.mode} onSaved={saved} />
      </Dialog>
      <Dialog title="Edit connector account" open={dialog?.kind === 'edit'} onClose={close}>
        {dialog?.kind === 'edit' && <ConnectorForm mode={props.mode} account={dialog.account} onSaved={saved} />}
      </Dialog>
      <Dialog title="Delete connector account" open={dialog?.kind === 'delete'} onClose={close}>
        {dialog?.kind === 'delete' && (
          <>
            <p>New payments stop routing to {dialog.account.label}. Its past payments keep their history.</p>
            <div class="row">
              <button
                type="button"
                class="danger"
                onClick={() =>
                  action.run(async () => {
                    await del(merchantPath(`/connector_accounts/${encodeURIComponent(dialog.account.id)}`), { query: { mode: props.mode } });
                    saved();
                  })
                }
              >
                Delete
              </button>
              <button type="button" class="secondary" onClick={close}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Dialog>
    </section>
  );
}
