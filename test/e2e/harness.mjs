// End-to-end harness: starts the real `liasonpay serve --dev` on port 0 in a temporary data
// directory (like test/integration/harness.py), and Debian's Chromium through playwright-core
// (never a downloaded browser). Chromium trusts the server's self-signed certificate by its
// public key (--ignore-certificate-errors-spki-list), nothing else.
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..', '..');
export const CHROMIUM = process.env.LP_CHROMIUM || '/usr/bin/chromium';
export const OUT_DIR = resolve(process.env.LP_E2E_OUT || join(ROOT, 'build', 'e2e'));

export function binaryPath() {
  const bin = resolve(process.env.LIASONPAY_BIN || join(ROOT, 'build', 'liasonpay'));
  if (!existsSync(bin)) throw new Error(`server binary ${bin} is missing; set LIASONPAY_BIN (make build)`);
  return bin;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Server {
  constructor(extraArgs = []) {
    this.extraArgs = extraArgs;
  }

  async start() {
    this.dir = mkdtempSync(join(tmpdir(), 'lp-e2e-'));
    const args = ['serve', '--dev', '--data-dir', this.dir, '--api-addr', '127.0.0.1:0', '--dashboard-addr', '127.0.0.1:0', '--ops-addr', '127.0.0.1:0', ...this.extraArgs];
    // LP_WEB_DIR: a dashboard build other than the one beside the binary (e.g. a fresh
    // `vite build` while the C++ build is still running).
    if (process.env.LP_WEB_DIR) args.push('--web-dir', resolve(process.env.LP_WEB_DIR));
    this.stderr = [];
    this.proc = spawn(binaryPath(), args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr.on('data', (d) => this.stderr.push(d.toString()));
    const deadline = Date.now() + 20000;
    const portsFile = join(this.dir, 'ports.json');
    while (!existsSync(portsFile)) {
      if (this.proc.exitCode !== null) throw new Error(`server exited (${this.proc.exitCode}) during start-up: ${this.stderr.join('')}`);
      if (Date.now() > deadline) throw new Error('ports.json did not appear within 20 s');
      await sleep(50);
    }
    this.ports = JSON.parse(readFileSync(portsFile, 'utf8'));
    this.certPem = readFileSync(join(this.dir, 'tls', 'cert.pem'), 'utf8');
    this.origin = `https://localhost:${this.ports.dashboard}`;
    return this;
  }

  credentials() {
    return JSON.parse(readFileSync(join(this.dir, 'dev-credentials.json'), 'utf8'));
  }

  log() {
    return this.stderr.join('');
  }

  // The SHA-256 of the certificate's SubjectPublicKeyInfo, base64: what Chromium's
  // --ignore-certificate-errors-spki-list takes.
  spkiHash() {
    const spki = new X509Certificate(this.certPem).publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest('base64');
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      const deadline = Date.now() + 12000;
      while (this.proc.exitCode === null && Date.now() < deadline) await sleep(50);
      if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    }
    if (this.dir && !process.env.LIASONPAY_KEEP_TMP) rmSync(this.dir, { recursive: true, force: true });
  }

  // A plain HTTPS request to the dashboard listener, verifying the dev certificate.
  fetch(path, { method = 'GET', headers = {}, body } = {}) {
    return new Promise((resolveP, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port: this.ports.dashboard, path, method, headers, ca: this.certPem, servername: 'localhost' },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolveP({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.setTimeout(10000, () => req.destroy(new Error('timeout')));
      if (body) req.write(body);
      req.end();
    });
  }
}

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Chromium from Debian's package; playwright-core gives it a fresh temporary --user-data-dir.
export async function launchBrowser(server) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (scripts/setup does)`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--ignore-certificate-errors-spki-list=${server.spkiHash()}`],
  });
}

// A page that records console errors, page errors and CSP violations.
export async function watchedPage(context) {
  const page = await context.newPage();
  const problems = { console: [], pageErrors: [], csp: [], apiStatus: [] };
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    // Chromium logs every HTTP error status of a fetch as a console error. Those of the
    // dashboard's JSON API are the API's answers (e.g. 401 before sign-in) and are checked by
    // the tests themselves; they are kept apart, never hidden.
    if (/Failed to load resource: the server responded with a status of \d+/.test(msg.text()) && url.includes('/dashboard/api/')) {
      problems.apiStatus.push(`${msg.text()} (${url})`);
      return;
    }
    problems.console.push(`${msg.text()} (${url})`);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(String(err)));
  problems.collectCsp = async () => {
    const inPage = await page.evaluate(() => window.__csp ?? []);
    return [...inPage, ...problems.console.filter((c) => /Content Security Policy/i.test(c))];
  };
  return { page, problems };
}

export function screenshotPath(name) {
  mkdirSync(OUT_DIR, { recursive: true });
  return join(OUT_DIR, name);
}

// Bytes transferred for scripts and style sheets while a page first loads (no cache).
export function trackTransfers(page) {
  const done = [];
  page.on('requestfinished', (req) => done.push(req));
  return async () => {
    let total = 0;
    const files = [];
    for (const req of done) {
      const type = req.resourceType();
      if (type !== 'script' && type !== 'stylesheet') continue;
      const sizes = await req.sizes();
      const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
      total += bytes;
      files.push(`${req.url()} ${bytes} B`);
    }
    return { total, files };
  };
}
