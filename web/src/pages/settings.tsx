// Team (users, invitations, roles), security policy, audit log and the user's own account
// (sessions, password, two-step verification).
import { useRef, useState } from 'preact/hooks';
import { API_BASE, buildQuery, del, get, IdempotencyKeys, patch, post } from '../api';
import { navigate, setQuery, useLocation } from '../router';
import { can, currentMe, loadMe, membership, merchantPath, setMe } from '../session';
import type { AuditEvent, Invitation, List, MerchantUser, Role, SecurityPolicy, SessionInfo } from '../types';
import { PERMISSIONS } from '../types';
import { RecoveryCodes } from './auth';
import {
  Badge,
  dateToUnix,
  Dialog,
  Empty,
  ErrorNote,
  Field,
  FormError,
  inputValue,
  Loading,
  PageHead,
  Pager,
  SecretOnce,
  Time,
  unixToDate,
  useForm,
  useResource,
} from '../ui';

function RoleSelect(props: { roles: Role[]; value: string; onChange: (v: string) => void; attrs?: Record<string, unknown>; label?: string }) {
  return (
    <select {...props.attrs} aria-label={props.label} value={props.value} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
      {props.roles.map((r) => (
        <option key={r.id} value={r.id}>
          {r.name}
          {r.builtin ? '' : ' (custom)'}
        </option>
      ))}
    </select>
  );
}

function InviteForm(props: { roles: Role[]; onInvited: (i: Invitation) => void }) {
  const form = useForm();
  const [idem] = useState(() => new IdempotencyKeys());
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('analyst');
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => props.onInvited(await post<Invitation>(merchantPath('/invitations'), { email, role }, { idempotency: idem })));
  };
  return (
    <form onSubmit={submit} noValidate>
      <Field form={form} name="email" label="Email">
        {(a) => <input {...a} type="email" required value={email} onInput={(e) => setEmail(inputValue(e))} />}
      </Field>
      <Field form={form} name="role" label="Role">
        {(a) => <RoleSelect roles={props.roles} value={role} onChange={setRole} attrs={a} />}
      </Field>
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        Create invite link
      </button>
    </form>
  );
}

function RoleForm(props: { role?: Role; onSaved: () => void }) {
  const form = useForm();
  const [name, setName] = useState(props.role?.name ?? '');
  const [description, setDescription] = useState(props.role?.description ?? '');
  const [perms, setPerms] = useState<string[]>(props.role?.permissions ?? []);
  const mine = membership()?.permissions ?? [];
  const [idem] = useState(() => new IdempotencyKeys());
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const body = { name, description: description || null, permissions: perms };
      if (props.role) {
        await patch(merchantPath(`/roles/${encodeURIComponent(props.role.id)}`), body);
      } else {
        await post(merchantPath('/roles'), body, { idempotency: idem });
      }
      props.onSaved();
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Field form={form} name="name" label="Name">
        {(a) => <input {...a} required value={name} onInput={(e) => setName(inputValue(e))} />}
      </Field>
      <Field form={form} name="description" label="Description (optional)">
        {(a) => <input {...a} value={description} onInput={(e) => setDescription(inputValue(e))} />}
      </Field>
      <fieldset class={'checks' + (form.fieldError('permissions') ? ' invalid' : '')}>
        <legend>Permissions</legend>
        {PERMISSIONS.map((p) => (
          <label key={p} class="check">
            <input
              type="checkbox"
              name="permissions"
              value={p}
              checked={perms.includes(p)}
              disabled={!mine.includes(p) && !perms.includes(p)}
              onChange={(e) => setPerms((e.currentTarget as HTMLInputElement).checked ? [...perms, p] : perms.filter((x) => x !== p))}
            />{' '}
            {p}
          </label>
        ))}
        {form.fieldError('permissions') && (
          <small class="field-error" data-param="permissions">
            {form.fieldError('permissions')}
          </small>
        )}
      </fieldset>
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        {props.role ? 'Save role' : 'Create role'}
      </button>
    </form>
  );
}

export function Team() {
  const users = useResource(() => get<List<MerchantUser>>(merchantPath('/users'), { limit: 100 }), []);
  const invitations = useResource(() => get<List<Invitation>>(merchantPath('/invitations'), { limit: 100 }), []);
  const roles = useResource(() => get<List<Role>>(merchantPath('/roles'), { limit: 100 }), []);
  const [dialog, setDialog] = useState<
    { kind: 'invite' } | { kind: 'invited'; inv: Invitation } | { kind: 'role'; role?: Role } | { kind: 'remove'; user: MerchantUser } | null
  >(null);
  const action = useForm();
  const writable = can('users:write');
  const me = currentMe();
  const close = () => setDialog(null);
  const roleList = roles.data?.data ?? [];
  return (
    <section>
      <PageHead title="Team">
        {writable && (
          <button type="button" class="primary" onClick={() => setDialog({ kind: 'invite' })}>
            Invite a person
          </button>
        )}
      </PageHead>
      <ErrorNote error={action.error} />
      <h2>Members</h2>
      <Loading r={users}>
        {(l) => (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Two-step</th>
                  <th scope="col">Last sign-in</th>
                  {writable && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {l.data.map((u) => (
                  <tr key={u.id}>
                    <td class="wrap">
                      {u.email}
                      {u.id === me?.user.id && <span class="muted small"> (you)</span>}
                    </td>
                    <td>
                      {writable && roleList.length ? (
                        <RoleSelect
                          roles={roleList}
                          value={u.role.id}
                          label={'Role of ' + u.email}
                          onChange={(v) =>
                            action.run(async () => {
                              await patch(merchantPath(`/users/${encodeURIComponent(u.id)}`), { role: v });
                              users.reload();
                            })
                          }
                        />
                      ) : (
                        u.role.name
                      )}
                    </td>
                    <td>{u.mfa_enrolled ? <Badge status="enabled" /> : <Badge status="not set up" />}</td>
                    <td>
                      <Time unix={u.last_sign_in_at} />
                    </td>
                    {writable && (
                      <td class="actions">
                        <button type="button" class="danger small" onClick={() => setDialog({ kind: 'remove', user: u })}>
                          Remove
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
      <h2>Invitations</h2>
      <Loading r={invitations}>
        {(l) =>
          l.data.length === 0 ? (
            <Empty>No pending invitations.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Status</th>
                    <th scope="col">Expires</th>
                    {writable && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {l.data.map((i) => (
                    <tr key={i.id}>
                      <td class="wrap">{i.email}</td>
                      <td>{i.role.name}</td>
                      <td>
                        <Badge status={i.status} />
                      </td>
                      <td>
                        <Time unix={i.expires_at} />
                      </td>
                      {writable && (
                        <td class="actions">
                          {i.status === 'pending' && (
                            <button
                              type="button"
                              class="secondary small"
                              onClick={() =>
                                action.run(async () => {
                                  await del(merchantPath(`/invitations/${encodeURIComponent(i.id)}`));
                                  invitations.reload();
                                })
                              }
                            >
                              Revoke
                            </button>
                          )}
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
      <PageHead title="Roles">
        {can('roles:write') && (
          <button type="button" class="secondary" onClick={() => setDialog({ kind: 'role' })}>
            New custom role
          </button>
        )}
      </PageHead>
      <Loading r={roles}>
        {(l) => (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Role</th>
                  <th scope="col">Permissions</th>
                  <th scope="col">Members</th>
                  {can('roles:write') && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {l.data.map((r) => (
                  <tr key={r.id}>
                    <td>
                      {r.name}
                      <div class="muted small">{r.builtin ? 'built-in' : r.description ?? 'custom'}</div>
                    </td>
                    <td class="wrap small">{r.permissions.join(', ')}</td>
                    <td>{r.users ?? '—'}</td>
                    {can('roles:write') && (
                      <td class="actions">
                        {!r.builtin && (
                          <>
                            <button type="button" class="secondary small" onClick={() => setDialog({ kind: 'role', role: r })}>
                              Edit
                            </button>
                            <button
                              type="button"
                              class="danger small"
                              onClick={() =>
                                action.run(async () => {
                                  await del(merchantPath(`/roles/${encodeURIComponent(r.id)}`));
                                  roles.reload();
                                })
                              }
                            >
                              Delete
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
        )}
      </Loading>
      <Dialog title="Invite a person" open={dialog?.kind === 'invite'} onClose={close}>
        <InviteForm
          roles={roleList}
          onInvited={(inv) => {
            setDialog({ kind: 'invited', inv });
            invitations.reload();
          }}
        />
      </Dialog>
      <Dialog title="Invite link" open={dialog?.kind === 'invited'} onClose={close}>
        {dialog?.kind === 'invited' && dialog.inv.invite_url && (
          <>
            <SecretOnce
              label="Invite link"
              value={dialog.inv.invite_url}
              note={`send it to ${dialog.inv.email} yourself. It works once, for 72 hours, and is shown only now.`}
            />
            <button type="button" class="primary" onClick={close}>
              Done
            </button>
          </>
        )}
      </Dialog>
      <Dialog title={dialog?.kind === 'role' && dialog.role ? 'Edit role' : 'New custom role'} open={dialog?.kind === 'role'} onClose={close}>
        {dialog?.kind === 'role' && (
          <RoleForm
            role={dialog.role}
            onSaved={() => {
              close();
              roles.reload();
            }}
          />
        )}
      </Dialog>
      <Dialog title="Remove member" open={dialog?.kind === 'remove'} onClose={close}>
        {dialog?.kind === 'remove' && (
          <>
            <p>{dialog.user.email} loses access to this merchant at once.</p>
            <ErrorNote error={action.error} />
            <div class="row">
              <button
                type="button"
                class="danger"
                onClick={() =>
                  action.run(async () => {
                    await del(merchantPath(`/users/${encodeURIComponent(dialog.user.id)}`));
                    close();
                    users.reload();
                  })
                }
              >
                Remove
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

export function Security() {
  const r = useResource(() => get<SecurityPolicy>(merchantPath('/security_policy')), []);
  return (
    <section>
      <PageHead title="Security" />
      <Loading r={r}>{(p) => <PolicyForm policy={p} onSaved={r.reload} />}</Loading>
    </section>
  );
}

// An on/off setting: a checkbox exposed as a switch, with its one-line explanation as the
// accessible description.
function Switch(props: { name: string; label: string; hint: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useRef('sw' + ++switchSeq).current;
  return (
    <div class="switch-field">
      <label class="check" for={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          name={props.name}
          checked={props.checked}
          aria-describedby={id + '-hint'}
          onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
        />{' '}
        {props.label}
      </label>
      <small id={id + '-hint'} class="muted">
        {props.hint}
      </small>
    </div>
  );
}
let switchSeq = 0;

function PolicyForm(props: { policy: SecurityPolicy; onSaved: () => void }) {
  const form = useForm();
  const [mfa, setMfa] = useState(props.policy.mfa_required_for_all);
  const [idle, setIdle] = useState(String(props.policy.idle_timeout_minutes));
  const [absolute, setAbsolute] = useState(String(props.policy.absolute_timeout_hours));
  const [blockIp, setBlockIp] = useState(!!props.policy.auto_block_ip);
  const [revokeKey, setRevokeKey] = useState(!!props.policy.auto_revoke_key);
  const [saved, setSaved] = useState(false);
  const writable = can('settings:write');
  const number = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v) : v);
  const submit = (e: Event) => {
    e.preventDefault();
    setSaved(false);
    // Changing the policy needs a recent password (and code): a 401 reauthentication_required
    // opens the step-up dialog and the request is repeated (api.ts).
    form.run(async () => {
      await patch(merchantPath('/security_policy'), {
        mfa_required_for_all: mfa,
        idle_timeout_minutes: number(idle),
        absolute_timeout_hours: number(absolute),
        auto_block_ip: blockIp,
        auto_revoke_key: revokeKey,
      });
      setSaved(true);
      props.onSaved();
    });
  };
  return (
    <form onSubmit={submit} noValidate onInput={() => setSaved(false)}>
      {!writable && <p class="muted">Your role can see this policy but not change it.</p>}
      <fieldset class="policy" disabled={!writable}>
        <legend>Sign-in and sessions</legend>
        <Switch
          name="mfa_required_for_all"
          label="Require two-step verification for every member"
          hint="Owners and admins always need it; with this on, every member must set it up at their next request."
          checked={mfa}
          onChange={setMfa}
        />
        <Field form={form} name="idle_timeout_minutes" label="Sign out after inactivity (minutes)" hint="1 to 15.">
          {(a) => <input {...a} type="number" min={1} max={15} value={idle} onInput={(e) => setIdle(inputValue(e))} />}
        </Field>
        <Field form={form} name="absolute_timeout_hours" label="Maximum session length (hours)" hint="1 to 12.">
          {(a) => <input {...a} type="number" min={1} max={12} value={absolute} onInput={(e) => setAbsolute(inputValue(e))} />}
        </Field>
      </fieldset>
      <fieldset class="policy" disabled={!writable}>
        <legend>Automatic containment</legend>
        <p class="muted small">
          What LiasonPay does on its own when it detects an attack on your account (card testing, a burst of failed sign-ins, a key used from
          outside its allowed addresses). Every detection is also sent to you as a <code>security.alert</code> event; both are off by default.
        </p>
        <Switch
          name="auto_block_ip"
          label="Block the attacking IP address"
          hint="Refuses that address's requests to this merchant for a while (an hour by default) with 403 ip_blocked."
          checked={blockIp}
          onChange={setBlockIp}
        />
        <Switch
          name="auto_revoke_key"
          label="Revoke the API key involved"
          hint="Revokes the key at once (audited as api_key.revoke); the integration using it needs a new key."
          checked={revokeKey}
          onChange={setRevokeKey}
        />
      </fieldset>
      <FormError form={form} />
      {writable && (
        <button type="submit" class="primary" disabled={form.busy}>
          Save policy
        </button>
      )}
      {saved && (
        <span class="ok-note" role="status">
          {' '}
          Saved.
        </span>
      )}
      {props.policy.updated ? (
        <p class="muted small">
          Last changed <Time unix={props.policy.updated} />
          {props.policy.updated_by ? <> by <code>{props.policy.updated_by}</code></> : null}.
        </p>
      ) : null}
    </form>
  );
}

const AUDIT_FILTERS = ['action', 'actor', 'outcome', 'created[gte]', 'created[lte]'];
const PAGE_SIZES = ['10', '25', '50', '100'];
const NO_CURSOR = { starting_after: undefined, ending_before: undefined };

// The merchant's audit log (docs/dashboard-api.md §8): filters and the page size live in the
// query string, so a filtered view can be bookmarked; the export links carry the same filters.
export function AuditLog() {
  const { query } = useLocation();
  const key = query.toString();
  const filters: Record<string, string> = {};
  for (const k of AUDIT_FILTERS) {
    const v = query.get(k);
    if (v) filters[k] = v;
  }
  const limit = PAGE_SIZES.includes(query.get('limit') ?? '') ? query.get('limit')! : '25';
  const r = useResource(
    () =>
      get<List<AuditEvent>>(merchantPath('/audit_events'), {
        ...filters,
        limit,
        starting_after: query.get('starting_after'),
        ending_before: query.get('ending_before'),
      }),
    [key],
  );
  const [action, setAction] = useState(query.get('action') ?? '');
  const [actor, setActor] = useState(query.get('actor') ?? '');
  const exportHref = (format: string) => API_BASE + merchantPath('/audit_events/export') + buildQuery({ ...filters, format });
  const filtered = Object.keys(filters).length > 0;
  return (
    <section>
      <PageHead title="Audit log">
        <a class="button secondary" href={exportHref('csv')} download>
          Export CSV
        </a>
        <a class="button secondary" href={exportHref('jsonl')} download>
          Export JSON lines
        </a>
      </PageHead>
      <p class="muted small">
        Every privileged action on this merchant, newest first. The log is append-only and hash-chained. Exports contain at most 100,000
        records{filtered ? ' and use the filters below' : ''}, and are audited themselves.
      </p>
      <form
        class="filters"
        role="search"
        aria-label="Audit log filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ action: action.trim(), actor: actor.trim(), ...NO_CURSOR });
        }}
      >
        <label class="inline">
          Action <input name="action" value={action} placeholder="api_key.*" onInput={(e) => setAction(inputValue(e))} />
        </label>
        <label class="inline">
          Actor <input name="actor" value={actor} placeholder="usr_… or key_…" onInput={(e) => setActor(inputValue(e))} />
        </label>
        <label class="inline">
          Outcome{' '}
          <select
            name="outcome"
            value={query.get('outcome') ?? ''}
            onChange={(e) => setQuery({ outcome: (e.currentTarget as HTMLSelectElement).value, ...NO_CURSOR })}
          >
            <option value="">Any</option>
            <option value="success">success</option>
            <option value="denied">denied</option>
            <option value="failure">failure</option>
          </select>
        </label>
        <label class="inline">
          From{' '}
          <input
            type="date"
            name="from"
            value={unixToDate(query.get('created[gte]'))}
            onChange={(e) => setQuery({ 'created[gte]': String(dateToUnix(inputValue(e)) ?? ''), ...NO_CURSOR })}
          />
        </label>
        <label class="inline">
          To{' '}
          <input
            type="date"
            name="to"
            value={unixToDate(query.get('created[lte]'))}
            onChange={(e) => setQuery({ 'created[lte]': String(dateToUnix(inputValue(e), true) ?? ''), ...NO_CURSOR })}
          />
        </label>
        <label class="inline">
          Per page{' '}
          <select name="limit" value={limit} onChange={(e) => setQuery({ limit: (e.currentTarget as HTMLSelectElement).value, ...NO_CURSOR })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          Filter
        </button>
        {filtered && (
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setAction('');
              setActor('');
              setQuery({ action: undefined, actor: undefined, outcome: undefined, 'created[gte]': undefined, 'created[lte]': undefined, ...NO_CURSOR });
            }}
          >
            Clear filters
          </button>
        )}
      </form>
      <Loading r={r}>
        {(l) =>
          l.data.length === 0 ? (
            <Empty>No audit records match.</Empty>
          ) : (
            <>
              <div class="table-wrap">
                <table class="table" aria-label="Audit records">
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Action</th>
                      <th scope="col">Target</th>
                      <th scope="col">Outcome</th>
                      <th scope="col">Source</th>
                      <th scope="col">Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {l.data.map((a) => (
                      <tr key={a.id} data-id={a.id}>
                        <td>
                          <Time unix={a.created} />
                        </td>
                        <td class="wrap">
                          {a.actor.email ?? a.actor.id}
                          <div class="muted small">
                            {a.actor.type}
                            {a.actor.email ? <> · {a.actor.id}</> : null}
                          </div>
                        </td>
                        <td>
                          <code>{a.action}</code>
                        </td>
                        <td class="wrap">
                          <code>{a.target}</code>
                        </td>
                        <td>
                          <Badge status={a.outcome} />
                        </td>
                        <td>
                          {a.source_ip ?? '—'}
                          <div class="muted small">{a.request_id}</div>
                        </td>
                        <td>
                          {a.details && Object.keys(a.details).length > 0 ? (
                            <details>
                              <summary>Show</summary>
                              <pre class="json small">{JSON.stringify(a.details, null, 2)}</pre>
                            </details>
                          ) : (
                            <span class="muted">—</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager data={l.data} hasMore={l.has_more} query={query} />
            </>
          )
        }
      </Loading>
    </section>
  );
}

function PasswordForm() {
  const form = useForm();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState<number | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    form.run(async () => {
      const r = await post<{ other_sessions_revoked: number }>('/password', { current_password: current, new_password: next });
      setDone(r.other_sessions_revoked);
      setCurrent('');
      setNext('');
    });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Field form={form} name="current_password" label="Current password">
        {(a) => <input {...a} type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent(inputValue(e))} />}
      </Field>
      <Field form={form} name="new_password" label="New password" hint="15 to 128 characters; not one of your last 4.">
        {(a) => <input {...a} type="password" autoComplete="new-password" value={next} onInput={(e) => setNext(inputValue(e))} />}
      </Field>
      <FormError form={form} />
      <button type="submit" class="primary" disabled={form.busy}>
        Change password
      </button>
      {done !== null && (
        <span class="ok-note" role="status">
          {' '}
          Password changed; {done} other session{done === 1 ? '' : 's'} signed out.
        </span>
      )}
    </form>
  );
}

export function Account() {
  const me = currentMe();
  const sessions = useResource(() => get<List<SessionInfo>>('/sessions'), []);
  const action = useForm();
  const [codes, setCodes] = useState<string[] | null>(null);
  const signOutEverywhere = () =>
    action.run(async () => {
      await del('/sessions');
      setMe(null);
      navigate('/sign-in');
    });
  return (
    <section>
      <PageHead title="Your account" />
      <p>
        Signed in as <strong>{me?.user.email}</strong>.
      </p>
      <ErrorNote error={action.error} />
      <PageHead title="Sessions">
        <button type="button" class="danger" onClick={signOutEverywhere} disabled={action.busy}>
          Sign out everywhere
        </button>
      </PageHead>
      <Loading r={sessions}>
        {(l) => (
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Address</th>
                  <th scope="col">Signed in</th>
                  <th scope="col">Last active</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {l.data.map((s) => (
                  <tr key={s.id}>
                    <td class="wrap small">
                      {s.user_agent ?? 'unknown'}
                      {s.current && <span class="role-chip">this session</span>}
                    </td>
                    <td>{s.ip ?? '—'}</td>
                    <td>
                      <Time unix={s.created} />
                    </td>
                    <td>
                      <Time unix={s.last_seen_at} />
                    </td>
                    <td class="actions">
                      <button
                        type="button"
                        class="secondary small"
                        onClick={() =>
                          action.run(async () => {
                            await del(`/sessions/${encodeURIComponent(s.id)}`);
                            if (s.current) {
                              setMe(null);
                              navigate('/sign-in');
                            } else {
                              sessions.reload();
                            }
                          })
                        }
                      >
                        {s.current ? 'Sign out' : 'Revoke'}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
      <h2>Password</h2>
      <PasswordForm />
      <h2>Two-step verification</h2>
      {me?.user.mfa.enrolled ? (
        <p>
          <Badge status="enabled" /> {me.user.mfa.recovery_codes_left ?? '?'} recovery codes left.{' '}
          <button
            type="button"
            class="secondary"
            onClick={() =>
              action.run(async () => {
                const r = await post<{ recovery_codes: string[] }>('/mfa/recovery_codes');
                setCodes(r.recovery_codes);
              })
            }
          >
            New recovery codes
          </button>
        </p>
      ) : (
        <p>
          Not set up.{' '}
          <button type="button" class="primary" onClick={() => navigate('/mfa/enroll?next=/account')}>
            Set up two-step verification
          </button>
        </p>
      )}
      <Dialog title="New recovery codes" open={codes !== null} onClose={() => setCodes(null)}>
        {codes && (
          <RecoveryCodes
            codes={codes}
            onDone={() => {
              setCodes(null);
              loadMe();
            }}
          />
        )}
      </Dialog>
    </section>
  );
}
