// Dashboard flows against the real back end (docs/dashboard-api.md §3–§8): one `liasonpay serve
// --dev`, Debian's Chromium, the demo owner of dev-credentials.json. Run by ctest as `e2e_flows`
// (label e2e, test/CMakeLists.txt); by hand:
//   LIASONPAY_BIN=build/liasonpay node --test --test-concurrency=1 test/e2e/flows.test.mjs
// The tests run in order and build on each other's data (payments, keys, a custom role, audit
// records). Screenshots go to LP_E2E_OUT (default build/e2e).
//
// The TOTP codes come from otplib, an implementation independent of the server's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { launchBrowser, screenshotPath, Server, watchedPage } from './harness.mjs';

let server;
let browser;
let creds;

before(async () => {
  server = await new Server().start();
  browser = await launchBrowser(server);
  creds = server.credentials();
  assert.ok(creds.dashboard_user?.email, 'dev-credentials.json has the demo owner (PRODUCT.md §1)');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A fresh TOTP code; waits for the next 30 s step when `after` was already used (a used code
// is refused a second time).
async function totp(secret, notThis) {
  for (;;) {
    const code = await generate({ secret });
    if (code !== notThis) return code;
    await sleep(1000);
  }
}

// The demo owner signs in; the first time enrols MFA and saves the recovery codes.
const owner = { secret: null, lastCode: null, recovery: [] };

async function signIn(page, user, mfa) {
  await page.goto(server.origin + '/sign-in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/mfa') || u.pathname === '/test');
  const path = new URL(page.url()).pathname;
  if (path === '/mfa/enroll') {
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    await page.screenshot({ path: screenshotPath('mfa-enroll-qr.png'), fullPage: true });
    const secret = (await page.locator('code.secret').first().textContent()).trim();
    mfa.secret = secret;
    mfa.lastCode = await totp(secret);
    await page.getByLabel('Authentication code').fill(mfa.lastCode);
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    mfa.recovery = await page.getByTestId('recovery-codes').locator('code').allTextContents();
    assert.equal(mfa.recovery.length, 10);
    await page.screenshot({ path: screenshotPath('mfa-recovery-codes.png'), fullPage: true });
    await page.getByLabel('I have saved my recovery codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
  } else if (path === '/mfa') {
    mfa.lastCode = await totp(mfa.secret, mfa.lastCode);
    await page.getByLabel('Authentication code').fill(mfa.lastCode);
    await page.getByRole('button', { name: 'Verify' }).click();
  }
  await page.waitForURL((u) => u.pathname === '/test');
}

// A page signed in as the demo owner. The session (its cookie) is shared between tests for
// three minutes after its sign-in: every sign-in needs a TOTP code of a new 30 s step, and a
// sign-in also counts as the step-up of docs/dashboard-api.md §1 for five minutes, which the
// tests that create keys, endpoints, roles and policies rely on. After three minutes, or when
// the session is gone (signed out everywhere), the next page signs in again.
let ownerSession = null;

async function ownerPage(viewport = { width: 1280, height: 900 }) {
  const reuse = ownerSession && Date.now() - ownerSession.at < 180000;
  const context = await browser.newContext({ viewport, ...(reuse ? { storageState: ownerSession.state } : {}) });
  const { page, problems } = await watchedPage(context);
  if (reuse) {
    await page.goto(server.origin + '/test');
    const home = page.getByRole('heading', { name: 'Home', exact: true });
    await home.or(page.getByRole('button', { name: 'Sign in' })).first().waitFor();
    if (await home.isVisible()) return { context, page, problems };
  }
  await signIn(page, creds.dashboard_user, owner);
  ownerSession = { state: await context.storageState(), at: Date.now() };
  return { context, page, problems };
}

// A payment made through the merchant API (the dashboard does not create payments).
async function createPayment(body) {
  const { request: httpsRequest } = await import('node:https');
  return new Promise((resolveP, reject) => {
    const data = JSON.stringify({ currency: 'usd', payment_method: 'tok_visa', confirm: true, ...body });
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.ports.api,
        path: '/v1/payments',
        method: 'POST',
        ca: server.certPem,
        servername: 'localhost',
        headers: { Authorization: `Bearer ${creds.api_key}`, 'Content-Type': 'application/json' },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolveP(JSON.parse(Buffer.concat(chunks).toString())));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function noProblems(problems) {
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.console, []);
  assert.deepEqual(await problems.collectCsp(), []);
}

describe('a new merchant from first sign-in to a refunded payment, a rolled key and a webhook endpoint', () => {
  test('sign in with MFA enrolment (independent TOTP), home with charts', async () => {
    await createPayment({ amount: 1099, description: 'first order' });
    await createPayment({ amount: 500, payment_method: 'tok_decline_insufficient_funds' });
    const { context, page, problems } = await ownerPage();
    await page.getByRole('heading', { name: 'Payments by connector account' }).waitFor();
    assert.ok(await page.getByText('Test mode').first().isVisible(), 'test-mode banner');
    await page.locator('.chart canvas').first().waitFor();
    // The two payments just made are counted (§8 stats): one succeeded, one declined.
    const sandbox = page.getByRole('table', { name: 'Totals by connector account' }).getByRole('row').filter({ hasText: 'sandbox' });
    assert.deepEqual((await sandbox.getByRole('cell').allTextContents()).slice(1, 4), ['1', '1', '50.0%']);
    await page.getByRole('list', { name: 'Decline reasons' }).getByText('insufficient_funds').waitFor();
    await page.screenshot({ path: screenshotPath('home.png'), fullPage: true });
    await noProblems(problems);
    await context.close();
  });

  test('a recovery code works once', async () => {
    const context = await browser.newContext();
    const { page } = await watchedPage(context);
    await page.goto(server.origin + '/sign-in');
    await page.getByLabel('Email').fill(creds.dashboard_user.email);
    await page.getByLabel('Password').fill(creds.dashboard_user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/mfa');
    await page.screenshot({ path: screenshotPath('mfa-challenge-live.png'), fullPage: true });
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(owner.recovery[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((u) => u.pathname === '/test');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/sign-in');
    await page.getByLabel('Email').fill(creds.dashboard_user.email);
    await page.getByLabel('Password').fill(creds.dashboard_user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/mfa');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(owner.recovery[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('.field-error[data-param="recovery_code"]').waitFor();
    await context.close();
  });

  test('refund a payment from its page; the attempt timeline shows routing', async () => {
    const payment = await createPayment({ amount: 2500, description: 'refund me' });
    const { context, page, problems } = await ownerPage();
    // Every refund POST's Idempotency-Key, in order.
    const keys = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname.endsWith('/refunds')) keys.push(req.headers()['idempotency-key']);
    });
    await page.goto(server.origin + '/test/payments');
    await page.getByRole('link', { name: '$25.00' }).first().click();
    await page.getByText('default_order').first().waitFor();
    await page.getByRole('button', { name: 'Refund' }).click();
    await page.getByLabel('Amount (USD)').fill('10.00');
    await page.getByLabel('Reason').selectOption('requested_by_customer');
    await page.getByRole('button', { name: 'Refund', exact: true }).last().click();
    await page.getByText('$10.00').first().waitFor();
    await page.screenshot({ path: screenshotPath('payment-refunded.png'), fullPage: true });

    // A second refund whose answer is lost: the server refunds, the browser sees a network
    // error. Retrying the same submission sends the same key, so it is replayed, not repeated.
    // (The test sends the browser's request itself, with its cookie and headers, and drops
    // the answer.)
    let lost = null;
    await page.route((url) => url.pathname.endsWith('/refunds'), async (route) => {
      const req = route.request();
      if (req.method() !== 'POST' || lost) return route.fallback();
      const u = new URL(req.url());
      const headers = { ...Object.fromEntries(Object.entries(await req.allHeaders()).filter(([k]) => !k.startsWith(':'))), host: u.host };
      lost = await server.fetch(u.pathname + u.search, { method: 'POST', headers, body: req.postData() });
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Refund' }).first().click();
    await page.getByLabel('Amount (USD)').fill('5.00');
    await page.getByRole('button', { name: 'Refund', exact: true }).last().click();
    await page.getByText('could not reach the server').waitFor();
    assert.equal(lost.status, 200, `the server made the refund: ${lost.body}`);
    await page.getByRole('button', { name: 'Refund', exact: true }).last().click();
    await page.getByRole('dialog', { name: 'Refund payment' }).waitFor({ state: 'hidden' });
    await page.getByRole('cell', { name: '$5.00', exact: true }).waitFor();
    assert.equal(await page.getByRole('cell', { name: '$5.00', exact: true }).count(), 1, 'one refund of $5.00, not two');
    // The one console error this caused on purpose.
    const reset = problems.console.filter((m) => /ERR_CONNECTION_RESET/.test(m) && m.includes('/refunds'));
    assert.equal(reset.length, 1);
    problems.console = problems.console.filter((m) => !reset.includes(m));
    assert.equal(keys.length, 3);
    assert.notEqual(keys[1], keys[0], 'a new submission, a new key');
    assert.equal(keys[2], keys[1], 'the retry of a lost answer keeps its key');
    // Too much: a new submission with a new key, and the API's error next to the amount field
    // (not 400 idempotency_error).
    await page.getByRole('button', { name: 'Refund' }).first().click();
    await page.getByLabel('Amount (USD)').fill('99.00');
    await page.getByRole('button', { name: 'Refund', exact: true }).last().click();
    await page.locator('.field-error[data-param="amount"]').waitFor();
    assert.equal(keys.length, 4);
    assert.ok(!keys.slice(0, 3).includes(keys[3]));
    const refunds = await page.evaluate(async (pid) => {
      const me = await (await fetch('/dashboard/api/me')).json();
      const r = await fetch(`/dashboard/api/merchants/${me.memberships[0].merchant.id}/refunds?mode=test&payment=${pid}`);
      return (await r.json()).data.map((x) => x.amount).sort((a, b) => a - b);
    }, payment.id);
    assert.deepEqual(refunds, [500, 1000]);
    await noProblems(problems);
    await context.close();
  });

  test('create a key (secret shown once, copyable), then roll it with a grace period', async () => {
    const { context, page, problems } = await ownerPage();
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(server.origin + '/test/api-keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByLabel('Allowed IP addresses (optional)').fill('203.0.113.0/24');
    await page.getByRole('button', { name: 'Create key' }).last().click();
    const secret = await page.getByTestId('secret').textContent();
    assert.match(secret, /^sk_test_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await page.screenshot({ path: screenshotPath('api-key-created.png'), fullPage: true });
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row', { name: new RegExp(secret.slice(-4)) });
    await row.getByRole('button', { name: 'Roll' }).click();
    await page.getByLabel('Grace period (hours)').fill('48');
    await page.getByRole('button', { name: 'Roll key' }).click();
    const rolled = await page.getByTestId('secret').textContent();
    assert.notEqual(rolled, secret);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByText('rolling').first().waitFor();
    await page.screenshot({ path: screenshotPath('api-keys.png'), fullPage: true });
    await noProblems(problems);
    await context.close();
  });

  test('add a webhook endpoint, see its secret once, rotate it', async () => {
    const { context, page, problems } = await ownerPage();
    await page.goto(server.origin + '/test/webhooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel('Endpoint URL').fill('ftp://nope');
    await page.getByRole('button', { name: 'Add endpoint' }).last().click();
    await page.locator('.field-error[data-param="url"]').waitFor();
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hooks');
    await page.getByRole('button', { name: 'Add endpoint' }).last().click();
    assert.match(await page.getByTestId('secret').textContent(), /^whsec_/);
    await page.getByRole('button', { name: 'Open endpoint' }).click();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    assert.match(await page.getByTestId('secret').textContent(), /^whsec_/);
    await page.screenshot({ path: screenshotPath('webhook-endpoint.png'), fullPage: true });
    await noProblems(problems);
    await context.close();
  });

  test('events list and redelivery', async () => {
    const { context, page, problems } = await ownerPage();
    await page.goto(server.origin + '/test/events');
    await page.getByRole('link', { name: 'payment.succeeded' }).first().click();
    await page.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    await page.screenshot({ path: screenshotPath('event.png'), fullPage: true });
    await noProblems(problems);
    await context.close();
  });

  test('a connector account: credentials accepted, never shown back', async () => {
    const { context, page, problems } = await ownerPage();
    await page.goto(server.origin + '/test/connectors');
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByLabel('Secret key (sk_…)').fill('sk_test_abcdefghijklmnop1234');
    await page.getByLabel('Webhook signing secret (whsec_…)').fill('whsec_abcdefghijklmnop');
    await page.getByRole('button', { name: 'Add account' }).last().click();
    await page.getByText('…1234').waitFor();
    assert.equal(await page.getByText('sk_test_abcdefghijklmnop1234').count(), 0);
    await page.screenshot({ path: screenshotPath('connectors.png'), fullPage: true });
    await noProblems(problems);
    await context.close();
  });
});

describe('what a custom role can neither see nor do', () => {
  test('invite with a custom read-only role; the UI hides and the server refuses', async () => {
    const { context, page } = await ownerPage();
    await page.goto(server.origin + '/settings/team');
    await page.getByRole('button', { name: 'New custom role' }).click();
    await page.getByLabel('Name').fill('Payments viewer');
    await page.getByRole('checkbox', { name: 'payments:read' }).check();
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('button', { name: 'Invite a person' }).click();
    // The dialog is modal: its own fields, by their exact labels (the members table behind it
    // has "Role of <email>" selects, and the closed "New custom role" dialog is named too).
    const invite = page.getByRole('dialog', { name: 'Invite a person' });
    await invite.getByLabel('Email', { exact: true }).fill('viewer@example.com');
    await invite.getByLabel('Role', { exact: true }).selectOption({ label: 'Payments viewer (custom)' });
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const inviteUrl = await page.getByTestId('secret').textContent();
    assert.match(inviteUrl, /\/invite#/);
    await page.screenshot({ path: screenshotPath('team.png'), fullPage: true });
    await context.close();

    const vctx = await browser.newContext();
    const { page: v } = await watchedPage(vctx);
    await v.goto(inviteUrl.replace(/^https:\/\/[^/]+/, server.origin));
    // Not "…viewer": a password may not contain parts of the user's e-mail address.
    await v.getByLabel('Choose a password').fill('correct horse battery staple lantern');
    await v.getByRole('button', { name: 'Accept invitation' }).click();
    await v.waitForURL((u) => u.pathname === '/test');
    const nav = v.getByRole('navigation', { name: 'Main' });
    for (const hidden of ['API keys', 'Webhooks', 'Connectors', 'Team', 'Audit log']) {
      assert.equal(await nav.getByRole('link', { name: hidden }).count(), 0, `${hidden} is not shown`);
    }
    const payment = await createPayment({ amount: 700 });
    await v.goto(server.origin + `/test/payments/${payment.id}`);
    await v.getByText('$7.00').first().waitFor();
    assert.equal(await v.getByRole('button', { name: 'Refund' }).count(), 0, 'no refund button');
    // The server refuses what the UI hides, with the session's own cookie and CSRF token.
    const status = await v.evaluate(async (pid) => {
      const me = await (await fetch('/dashboard/api/me')).json();
      const m = me.memberships[0].merchant.id;
      const r = await fetch(`/dashboard/api/merchants/${m}/refunds?mode=test`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
        body: JSON.stringify({ payment: pid }),
      });
      const k = await fetch(`/dashboard/api/merchants/${m}/api_keys?mode=test`);
      return [r.status, (await r.json()).error.code, k.status];
    }, payment.id);
    assert.deepEqual(status, [403, 'permission_denied', 403]);
    await v.goto(server.origin + '/settings/audit');
    await v.getByRole('heading', { name: 'Not available for your role' }).waitFor();
    assert.equal(await v.getByRole('link', { name: /Export/ }).count(), 0, 'no export links without audit:read');
    await v.goto(server.origin + '/test/api-keys');
    await v.getByRole('heading', { name: 'Not available for your role' }).waitFor();
    await v.screenshot({ path: screenshotPath('custom-role-forbidden.png'), fullPage: true });
    await vctx.close();
  });
});

// The audit log page: the table shows what GET …/audit_events answers for the page's query.
// Runs `action` (which changes the query) and returns that answer once the table shows it.
async function auditAnswer(page, action) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/audit_events') && r.request().method() === 'GET'),
    action(),
  ]);
  assert.equal(res.status(), 200, `audit_events answered ${res.status()}`);
  const body = await res.json();
  if (body.data.length === 0) {
    await page.getByText('No audit records match.').waitFor();
  } else {
    const rows = page.getByRole('table', { name: 'Audit records' }).locator('tbody tr');
    await page.locator(`tr[data-id="${body.data.at(-1).id}"]`).waitFor();
    assert.deepEqual(
      await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.id)),
      body.data.map((a) => a.id),
      'the table lists the records of the answer, in order',
    );
  }
  return body;
}

const localDate = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

describe('audit log viewer and security policy', () => {
  test('audit log: filters, cursor paging, export links (CSV and JSON lines)', async () => {
    const { context, page, problems } = await ownerPage();
    const me = await page.evaluate(async () => (await fetch('/dashboard/api/me')).json());
    const ownerId = me.user.id;
    // Enough records for three pages of 10 whatever ran before: 20 renames of the merchant
    // (merchant.update), the last one back to its own name.
    await page.evaluate(async ({ m, csrf }) => {
      const name = m.name;
      for (let i = 1; i <= 20; i++) {
        const r = await fetch(`/dashboard/api/merchants/${m.id}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify({ name: i % 2 ? `${name} ${i}` : name }),
        });
        if (r.status !== 200) throw new Error(`PATCH merchant: ${r.status} ${await r.text()}`);
      }
    }, { m: me.memberships[0].merchant, csrf: me.csrf_token });
    const nav = page.getByRole('navigation', { name: 'Main' });
    // The page's own first load, shown before anything else happens (otherwise its answer, of
    // the default page size, could be the response auditAnswer catches for the next action).
    await auditAnswer(page, () => nav.getByRole('link', { name: 'Audit log' }).click());
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const filters = page.getByRole('search', { name: 'Audit log filters' });

    // Cursor paging, 10 a page.
    const first = await auditAnswer(page, () => filters.getByLabel('Per page').selectOption('10'));
    assert.equal(first.data.length, 10);
    assert.equal(first.has_more, true);
    const older = await auditAnswer(page, () => page.getByRole('button', { name: 'Older →' }).click());
    assert.equal(new URL(page.url()).searchParams.get('starting_after'), first.data.at(-1).id);
    assert.equal(older.data.length, 10);
    assert.ok(older.data[0].seq < first.data.at(-1).seq, 'the next page is older');
    const back = await auditAnswer(page, () => page.getByRole('button', { name: '← Newer' }).click());
    assert.equal(new URL(page.url()).searchParams.get('ending_before'), older.data[0].id);
    assert.deepEqual(back.data.map((a) => a.id), first.data.map((a) => a.id));

    // Action prefix filter (the key created and rolled earlier); it resets the cursor.
    await filters.getByLabel('Action', { exact: true }).fill('api_key.*');
    const keys = await auditAnswer(page, () => filters.getByRole('button', { name: 'Filter', exact: true }).click());
    assert.equal(new URL(page.url()).searchParams.get('ending_before'), null);
    assert.ok(keys.data.length >= 2, 'api_key.create and api_key.roll');
    assert.ok(keys.data.every((a) => a.action.startsWith('api_key.')));
    assert.ok(keys.data.some((a) => a.action === 'api_key.roll'));
    await page.screenshot({ path: screenshotPath('audit-filtered.png'), fullPage: true });

    // Export links carry the filters; the downloads hold exactly the filtered records.
    const csvLink = page.getByRole('link', { name: 'Export CSV' });
    const csvHref = new URL(await csvLink.getAttribute('href'), server.origin);
    assert.match(csvHref.pathname, /^\/dashboard\/api\/merchants\/mer_[^/]+\/audit_events\/export$/);
    assert.equal(csvHref.searchParams.get('action'), 'api_key.*');
    assert.equal(csvHref.searchParams.get('format'), 'csv');
    const [csvDl] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    assert.match(csvDl.suggestedFilename(), /^audit-mer_[A-Za-z0-9_]+-\d+-\d+\.csv$/);
    const csv = readFileSync(await csvDl.path(), 'utf8').trim().split(/\r?\n/);
    assert.match(csv[0], /action/, 'a header row');
    assert.equal(csv.length - 1, keys.data.length);
    for (const a of keys.data) assert.ok(csv.some((line) => line.includes(a.id) && line.includes(a.action)), `${a.id} in the CSV`);
    const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSON lines' }).click()]);
    assert.match(jsonDl.suggestedFilename(), /^audit-mer_[A-Za-z0-9_]+-\d+-\d+\.jsonl$/);
    const lines = readFileSync(await jsonDl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((a) => a.id), keys.data.map((a) => a.id));

    // The exports are audited themselves; actor filter: the owner's own records only.
    await filters.getByLabel('Action', { exact: true }).fill('audit.export');
    await filters.getByLabel('Actor', { exact: true }).fill(ownerId);
    const exports = await auditAnswer(page, () => filters.getByRole('button', { name: 'Filter', exact: true }).click());
    assert.ok(exports.data.length >= 2);
    assert.ok(exports.data.every((a) => a.action === 'audit.export' && a.actor.id === ownerId));
    assert.deepEqual(new Set(exports.data.slice(0, 2).map((a) => a.details.format)), new Set(['csv', 'jsonl']));

    // Outcome: the custom role's refused refund is a `denied` record, not the owner's.
    await filters.getByLabel('Action', { exact: true }).fill('');
    await filters.getByLabel('Actor', { exact: true }).fill('');
    await auditAnswer(page, () => filters.getByRole('button', { name: 'Filter', exact: true }).click());
    const denied = await auditAnswer(page, () => filters.getByLabel('Outcome').selectOption('denied'));
    assert.ok(denied.data.length >= 1, 'at least one denied record');
    assert.ok(denied.data.every((a) => a.outcome === 'denied'));

    // Date range: today holds them; from tomorrow on, nothing.
    const today = new Date();
    const tomorrow = new Date(today.getTime() + 86400000);
    const todays = await auditAnswer(page, () => filters.getByLabel('From', { exact: true }).fill(localDate(today)));
    const startOfToday = Math.floor(new Date(localDate(today) + 'T00:00:00').getTime() / 1000);
    assert.equal(new URL(page.url()).searchParams.get('created[gte]'), String(startOfToday));
    assert.deepEqual(todays.data.map((a) => a.id), denied.data.filter((a) => a.created >= startOfToday).map((a) => a.id));
    const none = await auditAnswer(page, () => filters.getByLabel('From', { exact: true }).fill(localDate(tomorrow)));
    assert.equal(none.data.length, 0);
    // Up to yesterday: nothing either (this server's records are all from this run).
    await auditAnswer(page, () => filters.getByLabel('From', { exact: true }).fill(''));
    const yesterday = new Date(today.getTime() - 86400000);
    const before = await auditAnswer(page, () => filters.getByLabel('To', { exact: true }).fill(localDate(yesterday)));
    assert.equal(new URL(page.url()).searchParams.get('created[lte]'), String(Math.floor(new Date(localDate(yesterday) + 'T23:59:59').getTime() / 1000)));
    assert.equal(before.data.length, 0);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForURL((u) => !u.searchParams.has('created[lte]') && !u.searchParams.has('outcome'));
    await noProblems(problems);
    await context.close();
  });

  test('security policy: a containment switch is saved, persisted and audited', async () => {
    const { context, page, problems } = await ownerPage();
    await page.goto(server.origin + '/settings/security');
    const block = page.getByRole('switch', { name: 'Block the attacking IP address' });
    const revoke = page.getByRole('switch', { name: 'Revoke the API key involved' });
    await block.waitFor();
    assert.equal(await block.isChecked(), false, 'off by default');
    assert.equal(await revoke.isChecked(), false, 'off by default');
    // Each switch explains itself (its accessible description).
    const hint = await block.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent);
    assert.match(hint, /403 ip_blocked/);
    assert.ok(await page.getByRole('switch', { name: 'Require two-step verification for every member' }).isVisible());

    // A value out of range: the server's error appears next to its field, nothing is saved.
    await page.getByLabel('Sign out after inactivity (minutes)').fill('30');
    await block.check();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.locator('.field-error[data-param="idle_timeout_minutes"]').waitFor();
    await page.getByLabel('Sign out after inactivity (minutes)').fill('10');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.screenshot({ path: screenshotPath('security-policy.png'), fullPage: true });

    // Persisted: a fresh load shows it, and so does the API.
    await page.reload();
    await block.waitFor();
    assert.equal(await block.isChecked(), true);
    assert.equal(await revoke.isChecked(), false);
    assert.equal(await page.getByLabel('Sign out after inactivity (minutes)').inputValue(), '10');
    const policy = await page.evaluate(async () => {
      const me = await (await fetch('/dashboard/api/me')).json();
      return (await fetch(`/dashboard/api/merchants/${me.memberships[0].merchant.id}/security_policy`)).json();
    });
    assert.equal(policy.auto_block_ip, true);
    assert.equal(policy.auto_revoke_key, false);
    assert.equal(policy.idle_timeout_minutes, 10);

    // Audited with the values before and after, as the audit log viewer shows.
    await page.goto(server.origin + '/settings/audit?action=security_policy.update');
    const row = page.getByRole('table', { name: 'Audit records' }).locator('tbody tr').first();
    await row.locator('details summary').click();
    const details = JSON.parse(await row.locator('pre').textContent());
    assert.equal(details.before.auto_block_ip, false);
    assert.equal(details.after.auto_block_ip, true);

    // And off again, through the step-up dialog. This session signed in less than five minutes
    // ago, which counts as a re-authentication, so the server's `401 reauthentication_required`
    // is simulated for the first PATCH only; the password and code check and the repeated
    // PATCH are real.
    await page.goto(server.origin + '/settings/security');
    let stepUp = true;
    await page.route(
      (url) => url.pathname.endsWith('/security_policy'),
      (route) => {
        if (route.request().method() !== 'PATCH' || !stepUp) return route.fallback();
        stepUp = false;
        return route.fulfill({
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({ error: { type: 'authentication_error', code: 'reauthentication_required', message: 'Confirm your password.' } }),
        });
      },
    );
    await block.uncheck();
    await page.getByRole('button', { name: 'Save policy' }).click();
    const confirm = page.getByRole('dialog', { name: "Confirm it's you" });
    // A wrong password first: refused inside the dialog, nothing saved.
    await confirm.getByLabel('Password', { exact: true }).fill('not my password at all');
    await confirm.getByLabel('Authentication code').fill('000000');
    await confirm.getByRole('button', { name: 'Confirm' }).click();
    await confirm.locator('.field-error, .error-note').first().waitFor();
    assert.equal(await block.isChecked(), false);
    await confirm.getByLabel('Password', { exact: true }).fill(creds.dashboard_user.password);
    owner.lastCode = await totp(owner.secret, owner.lastCode);
    await confirm.getByLabel('Authentication code').fill(owner.lastCode);
    const [reauth, patched] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/sessions/current/reauthenticate')),
      page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/security_policy') && r.request().method() === 'PATCH'),
      confirm.getByRole('button', { name: 'Confirm' }).click(),
    ]);
    assert.equal(reauth.status(), 200);
    assert.equal(patched.status(), 200);
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await confirm.waitFor({ state: 'hidden' });
    await page.reload();
    await block.waitFor();
    assert.equal(await block.isChecked(), false);
    await noProblems(problems);
    await context.close();
  });
});

describe('hostile data and session edges', () => {
  test('a <script> in a payment description renders as text', async () => {
    const payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
    const payment = await createPayment({ amount: 300, description: payload });
    const { context, page, problems } = await ownerPage();
    await page.goto(server.origin + `/test/payments/${payment.id}`);
    assert.equal(await page.getByTestId('description').textContent(), payload);
    await page.goto(server.origin + '/test/payments');
    await page.getByText(payload).first().waitFor();
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    await page.screenshot({ path: screenshotPath('xss-as-text.png'), fullPage: true });
    await noProblems(problems);
    await context.close();
  });

  test('a state change without the CSRF token is refused, seen from the browser', async () => {
    const { context, page } = await ownerPage();
    const result = await page.evaluate(async () => {
      const me = await (await fetch('/dashboard/api/me')).json();
      const m = me.memberships[0].merchant.id;
      const r = await fetch(`/dashboard/api/merchants/${m}/webhook_endpoints?mode=test`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/x', enabled_events: ['*'] }),
      });
      return [r.status, (await r.json()).error.code];
    });
    assert.deepEqual(result, [403, 'csrf_failed']);
    await context.close();
  });

  test('session expiry returns to sign-in and then to the page the user was on', async () => {
    const { context, page } = await ownerPage();
    await page.goto(server.origin + '/test/refunds?status=succeeded');
    await page.getByRole('heading', { name: 'Refunds' }).waitFor();
    // Another tab signs out everywhere: this tab's session is gone on its next request.
    const other = await context.newPage();
    await other.goto(server.origin + '/account');
    await other.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('pending');
    await page.waitForURL((u) => u.pathname === '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/test/refunds?status=pending');
    await page.screenshot({ path: screenshotPath('session-expired.png'), fullPage: true });
    await page.getByLabel('Email').fill(creds.dashboard_user.email);
    await page.getByLabel('Password').fill(creds.dashboard_user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/mfa');
    owner.lastCode = await totp(owner.secret, owner.lastCode);
    await page.getByLabel('Authentication code').fill(owner.lastCode);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((u) => u.pathname === '/test/refunds' && u.searchParams.get('status') === 'pending');
    await context.close();
  });
});

describe('screenshots of every page', () => {
  test('laptop and phone widths', async () => {
    for (const [vp, suffix] of [
      [{ width: 1280, height: 900 }, ''],
      [{ width: 375, height: 800 }, '-phone'],
    ]) {
      const { context, page, problems } = await ownerPage(vp);
      for (const [path, name] of [
        ['/test', 'home'],
        ['/test/payments', 'payments'],
        ['/test/refunds', 'refunds'],
        ['/test/events', 'events'],
        ['/test/api-keys', 'api-keys'],
        ['/test/webhooks', 'webhooks'],
        ['/test/connectors', 'connectors'],
        ['/settings/team', 'team'],
        ['/settings/security', 'security'],
        ['/settings/audit', 'audit-log'],
        ['/account', 'account-sessions'],
        ['/live', 'home-live'],
      ]) {
        await page.goto(server.origin + path, { waitUntil: 'networkidle' });
        await page.screenshot({ path: screenshotPath(`page-${name}${suffix}.png`), fullPage: true });
      }
      await noProblems(problems);
      await context.close();
    }
  });
});
