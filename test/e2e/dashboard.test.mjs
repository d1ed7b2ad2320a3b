// Phase-1 end-to-end tests of the web dashboard (run by ctest as `e2e`): the SPA as the
// dashboard listener serves it, in Debian's Chromium, against a real `liasonpay serve --dev`.
// They need no dashboard back end. The flows that do (sign-in with MFA, keys, webhooks,
// refunds, team, audit log, security policy, XSS, session expiry, CSRF) are in
// flows.test.mjs (ctest `e2e_flows`).
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, screenshotPath, Server, trackTransfers, watchedPage } from './harness.mjs';

const BUDGET = 200 * 1024; // JS+CSS transferred on a page's first load (issue 17)
const PAGES = [
  '/sign-in',
  '/mfa',
  '/mfa/enroll',
  '/invite',
  '/test',
  '/live',
  '/test/payments',
  '/test/payments/pay_123',
  '/test/refunds',
  '/test/events',
  '/test/events/evt_123',
  '/test/api-keys',
  '/test/webhooks',
  '/test/webhooks/we_123',
  '/test/connectors',
  '/settings/team',
  '/settings/security',
  '/settings/audit',
  '/account',
];

let server;
let browser;

before(async () => {
  server = await new Server().start();
  browser = await launchBrowser(server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function assetPaths() {
  const index = (await server.fetch('/')).body.toString();
  const paths = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(paths.some((p) => p.endsWith('.js')) && paths.some((p) => p.endsWith('.css')), `index.html references its assets: ${index}`);
  return paths;
}

describe('static files on the dashboard listener', () => {
  test('index.html is served for / and unknown pages, never cached', async () => {
    for (const path of ['/', '/sign-in', '/test/payments/pay_1', '/dashboard/whatever/deep']) {
      const r = await server.fetch(path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers['content-type'], /^text\/html/, path);
      assert.equal(r.headers['cache-control'], 'no-cache', path);
      assert.match(r.body.toString(), /<div id="app">/, path);
      assert.match(r.headers['content-security-policy'], /script-src 'self'/, path);
    }
  });

  test('hashed assets are immutable for a year, typed, and gzip when accepted', async () => {
    for (const path of await assetPaths()) {
      assert.match(path, /-[A-Za-z0-9_-]{8}\.(js|css)$/, 'Vite hashed name');
      const plain = await server.fetch(path);
      assert.equal(plain.status, 200, path);
      assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable', path);
      assert.match(plain.headers['content-type'], path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.equal(plain.headers['content-encoding'], undefined);
      const gz = await server.fetch(path, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
      assert.equal(gz.headers['content-encoding'], 'gzip', path);
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      assert.ok(gz.body.length < plain.body.length, 'the gzip copy is smaller');
      assert.deepEqual(gunzipSync(gz.body), plain.body, 'the gzip copy is the same file');
    }
    const missing = await server.fetch('/assets/index-00000000.js');
    assert.equal(missing.status, 404, 'a missing asset is a 404, not index.html');
  });

  test('unknown /dashboard/api paths answer the JSON 404, not the SPA', async () => {
    for (const [method, path] of [
      ['GET', '/dashboard/api/nope'],
      ['GET', '/dashboard/api/no/such/route'],
      ['POST', '/dashboard/api/nope'],
    ]) {
      const r = await server.fetch(path, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.match(r.headers['content-type'], /^application\/json/);
      const body = JSON.parse(r.body.toString());
      assert.equal(body.error.code, 'resource_missing');
      assert.equal(body.error.request_id, r.headers['request-id']);
    }
  });

  test('HEAD gives the headers without a body; other methods on pages are 405', async () => {
    const head = await server.fetch('/sign-in', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers['content-type'], /^text\/html/);
    assert.equal(head.body.length, 0);
    assert.ok(Number(head.headers['content-length']) > 0, 'HEAD carries the length of the GET');
    const post = await server.fetch('/sign-in', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('traversal paths reach no file outside the built directory', async () => {
    for (const path of ['/../../../../etc/passwd', '/assets/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd']) {
      const r = await server.fetch(path);
      assert.ok(r.status === 200 || r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /root:/, path);
    }
  });
});

describe('the SPA in Chromium', () => {
  test('the sign-in page loads with no console errors and no CSP violations', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await watchedPage(context);
    await page.goto(server.origin + '/sign-in');
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    assert.ok(await page.getByLabel('Email').isVisible());
    assert.ok(await page.getByLabel('Password').isVisible());
    await page.screenshot({ path: screenshotPath('sign-in.png'), fullPage: true });
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.console, []);
    assert.deepEqual(await problems.collectCsp(), []);
    assert.deepEqual(problems.apiStatus, [], 'the sign-in page asks the API nothing before a submit');
    await context.close();
  });

  test('the sign-in page is keyboard usable and readable on a phone', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const { page, problems } = await watchedPage(context);
    await page.goto(server.origin + '/sign-in');
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'email');
    await page.keyboard.type('owner@example.com');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'password');
    await page.keyboard.type('a long enough passphrase');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sign in');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at 375 px (${overflow} px)`);
    await page.screenshot({ path: screenshotPath('sign-in-phone.png'), fullPage: true });
    // Submitting with Enter reaches the API; its refusal (no such account) is shown in the form.
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /The e-mail address or password is incorrect/);
    await page.screenshot({ path: screenshotPath('sign-in-error.png'), fullPage: true });
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.console, []);
    assert.deepEqual(await problems.collectCsp(), []);
    await context.close();
  });

  test('a page behind sign-in sends the visitor to sign-in and remembers the page', async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context);
    await page.goto(server.origin + '/test/payments?status=succeeded');
    await page.waitForURL((u) => u.pathname === '/sign-in');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/test/payments?status=succeeded');
    await page.getByRole('heading', { name: 'Sign in to your account' }).waitFor();
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.console, []);
    assert.deepEqual(await problems.collectCsp(), []);
    await context.close();
  });

  test('an unknown path under /dashboard/ gets the SPA, which routes it', async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context);
    const res = await page.goto(server.origin + '/dashboard/no/such/page');
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^text\/html/);
    await page.waitForURL((u) => u.pathname === '/sign-in');
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(await problems.collectCsp(), []);
    await context.close();
  });

  test('the public MFA and invitation pages render without errors', async () => {
    for (const [path, heading, shot] of [
      ['/mfa', 'Two-step verification', 'mfa-challenge.png'],
      ['/mfa/enroll', 'Set up two-step verification', 'mfa-enroll.png'],
      ['/invite#tok_example', 'Join a team', 'invite.png'],
    ]) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const { page, problems } = await watchedPage(context);
      await page.goto(server.origin + path);
      await page.getByRole('heading', { name: heading }).waitFor();
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: screenshotPath(shot), fullPage: true });
      assert.deepEqual(problems.pageErrors, [], path);
      assert.deepEqual(problems.console, [], path);
      assert.deepEqual(await problems.collectCsp(), [], path);
      await context.close();
    }
  });

  test(`every page's first load transfers at most ${BUDGET / 1024} KB of JS and CSS`, async () => {
    const report = [];
    for (const path of PAGES) {
      const context = await browser.newContext();
      const { page, problems } = await watchedPage(context);
      const transfers = trackTransfers(page);
      await page.goto(server.origin + path, { waitUntil: 'networkidle' });
      const { total, files } = await transfers();
      report.push(`${path}: ${total} B`);
      assert.ok(files.length >= 2, `${path} loaded its script and style sheet: ${files}`);
      assert.ok(total <= BUDGET, `${path}: ${total} B > ${BUDGET} B (${files.join(', ')})`);
      assert.deepEqual(problems.pageErrors, [], path);
      assert.deepEqual(await problems.collectCsp(), [], path);
      await context.close();
    }
    console.log('first-load JS+CSS transferred:\n  ' + report.join('\n  '));
  });
});

describe('a server without built dashboard files', () => {
  test('answers a clear 503 page, keeps the API 404, and still starts', async () => {
    const bare = await new Server(['--web-dir', '/nonexistent/liasonpay-web']).start();
    try {
      const page = await bare.fetch('/payments');
      assert.equal(page.status, 503);
      assert.match(page.headers['content-type'], /^text\/html/);
      assert.match(page.body.toString(), /The dashboard was not built/);
      const api = await bare.fetch('/dashboard/api/nope');
      assert.equal(api.status, 404);
      assert.match(api.headers['content-type'], /^application\/json/);
      assert.match(bare.log(), /dashboard_not_built/);
    } finally {
      await bare.stop();
    }
  });
});
