// Browser test of the lscan review console, run against a real `lscan serve`.
//
//   node tests/browser/console.test.mjs
//
// Environment (set by the C test that starts redis-server, the fixture
// market, `lscan scan` and `lscan serve`; see README.md):
//   LSCAN_CONSOLE_URL   http://127.0.0.1:PORT
//   LSCAN_SCREENSHOTS   directory for queue.png, case.png, dashboard.png
//   LSCAN_REVIEWER1, LSCAN_REVIEWER2, LSCAN_LEAD, LSCAN_ADMIN, LSCAN_POLICE
//                       "name:password"
//   LSCAN_CHROMIUM      optional, the browser (default /usr/bin/chromium)
//
// Prints one line per check ("ok - ..." / "not ok - ... why"), the line
// "decided: verify=ID dismiss=ID transfer=ID", and a closing
// "browser: N passed, N failed". Exits 0 only when every check passed.
//
// Order matters: the login lockout (five wrong passwords, then 429) comes
// last, because the server also locks by address and every login here comes
// from 127.0.0.1.

import { chromium, request as pwRequest } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const T0 = Date.now();
const WATCHDOG_MS = Number(process.env.LSCAN_BROWSER_TIMEOUT_MS || 240000);

// ------------------------------------------------------------- reporting

// What the page shows for seller text: control and bidi characters as
// visible markers (the same rule as visible() in console.js).
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
function visible(s) {
  return String(s).replace(INVISIBLE, (c) => {
    const cp = c.codePointAt(0);
    if (cp < 0x20) return String.fromCodePoint(0x2400 + cp);
    if (cp === 0x7f) return '\u2421';
    return '[U+' + cp.toString(16).toUpperCase().padStart(4, '0') + ']';
  });
}


let passed = 0, failed = 0;
// Everything printed goes through visible(): hostile text must not drive
// the terminal of whoever reads this output either.
const oneLine = (s) => visible(String(s).replace(/\s+/g, ' ').trim().slice(0, 600));
function ok(name) { passed++; console.log('ok - ' + oneLine(name)); }
function notOk(name, why) { failed++; console.log('not ok - ' + name + ': ' + oneLine(why)); }
async function check(name, fn) {
  try {
    const extra = await fn();
    ok(extra ? name + ' (' + extra + ')' : name);
    return true;
  } catch (e) {
    notOk(name, e && e.message ? e.message : e);
    return false;
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
function finish() {
  console.log(`# ${((Date.now() - T0) / 1000).toFixed(1)} s`);
  console.log(`browser: ${passed} passed, ${failed} failed`);
}

// ----------------------------------------------------------- environment

function need(name) {
  const v = process.env[name];
  if (!v) { notOk('environment', name + ' is not set'); finish(); process.exit(2); }
  return v;
}
function account(name) {
  const v = need(name);
  const i = v.indexOf(':');
  if (i <= 0) { notOk('environment', name + ' is not "name:password"'); finish(); process.exit(2); }
  return { name: v.slice(0, i), password: v.slice(i + 1) };
}

const BASE = need('LSCAN_CONSOLE_URL').replace(/\/+$/, '');
const ORIGIN = new URL(BASE).origin;
const SHOTS = need('LSCAN_SCREENSHOTS');
const R1 = account('LSCAN_REVIEWER1');
const R2 = account('LSCAN_REVIEWER2');
const LEAD = account('LSCAN_LEAD');
const ADMIN = account('LSCAN_ADMIN');
const POLICE = account('LSCAN_POLICE');
const CHROMIUM = process.env.LSCAN_CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(SHOTS, { recursive: true });

const TRANSFER_UNIT = 'PC03 Công an tỉnh Bắc Ninh';
const TRANSFER_REF = '123/PC03';

// ------------------------------------------------------------- watchers

const offsite = [];     // requests that left the console's origin
const dialogs = [];     // alert/confirm/prompt that appeared
const pageErrors = [];  // uncaught exceptions and CSP refusals

function watchContext(ctx, label) {
  ctx.on('request', (req) => {
    const u = req.url();
    if (u === 'data:,') return; // the page's empty favicon: no network
    if (!u.startsWith(ORIGIN + '/')) offsite.push(label + ': ' + u);
  });
  ctx.on('page', (p) => watchPage(p, label));
}
function watchPage(page, label) {
  if (page.__watched) return;
  page.__watched = true;
  page.on('dialog', (d) => { dialogs.push(label + ': ' + d.type() + ' ' + d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => pageErrors.push(label + ': ' + e.message));
  page.on('console', (m) => {
    const tx = m.text();
    if (/Content Security Policy|Refused to/i.test(tx)) pageErrors.push(label + ': ' + tx);
  });
}

// --------------------------------------------------------------- helpers

let browser;
const contexts = [];

async function newPage(label) {
  const ctx = await browser.newContext({
    viewport: { width: 1366, height: 900 },
    // Not Vietnam and not Vietnamese, to prove the page shows UTC+7 and
    // Vietnamese by default whatever the browser says.
    timezoneId: 'America/New_York',
    locale: 'en-US',
  });
  ctx.setDefaultTimeout(15000);
  watchContext(ctx, label);
  contexts.push(ctx);
  const page = await ctx.newPage();
  watchPage(page, label);
  return page;
}

async function loginThroughForm(page, acct) {
  await page.goto(BASE + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-user', acct.name);
  await page.fill('#login-pass', acct.password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url() === BASE + '/api/login' && r.request().method() === 'POST'),
    page.click('#login-submit'),
  ]);
  assert(resp.status() === 200, `POST /api/login answered ${resp.status()}`);
  const body = await resp.json();
  assert(body && body.user && body.csrf, 'the login answer has no user or csrf');
  assert(body.user.name === acct.name, `logged in as ${body.user.name}, not ${acct.name}`);
  page.__csrf = body.csrf;
  return body.user;
}

// A JSON call through the page's own cookie jar (page.request shares the
// browser context's cookies).
async function call(page, method, p, body, opts) {
  opts = opts || {};
  const headers = { Accept: 'application/json' };
  let data;
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (opts.csrf !== false) {
      if (!page.__csrf) {
        const me = await call(page, 'GET', '/api/me');
        assert(me.status === 200 && me.json && me.json.csrf, `GET /api/me answered ${me.status}`);
        page.__csrf = me.json.csrf;
      }
      headers['X-CSRF-Token'] = opts.token || page.__csrf;
    }
    data = JSON.stringify(body || {});
  }
  const resp = await page.request.fetch(BASE + p, { method, headers, data, failOnStatusCode: false, maxRedirects: 0 });
  const text = await resp.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  return { status: resp.status(), json, headers: resp.headers(), text };
}

async function getCase(page, id) {
  const r = await call(page, 'GET', '/api/cases/' + encodeURIComponent(id));
  assert(r.status === 200 && r.json, `GET /api/cases/${id} answered ${r.status}`);
  return r.json;
}

async function waitCaseView(page, id) {
  await page.waitForFunction((cid) => {
    const v = document.getElementById('case-view');
    return v && v.getAttribute('data-case-id') === cid;
  }, String(id));
}

// Claim through the page (the big button, the N key, or the N button) and
// return the CASE the server answered.
async function claimThroughPage(page, how) {
  const waitClaim = page.waitForResponse((r) => r.url() === BASE + '/api/claim' && r.request().method() === 'POST');
  if (how === 'key') await page.keyboard.press('n');
  else if (how === 'bar') await page.click('#act-next');
  else await page.click('#next-case');
  const resp = await waitClaim;
  assert(resp.status() === 200, `POST /api/claim answered ${resp.status()} (204: the queue is empty; the fixture needs more cases)`);
  const body = await resp.json();
  assert(body && body.case && body.case.case_id !== undefined, 'the claim answer has no case');
  await waitCaseView(page, body.case.case_id);
  return body.case;
}

// Record a decision through the dialog. fill(page) fills the dialog's fields
// and presses Enter.
async function decideThroughPage(page, c, action, open, fill) {
  if (open === 'key') {
    await page.locator('#case-title').focus();
    await page.keyboard.press({ verify: 'v', dismiss: 'd', transfer: 't', classify: 'c', needs_info: 'i', handle: 'h' }[action]);
  } else {
    await page.click(`#decide-bar button[data-action="${action}"]`);
  }
  await page.waitForSelector('#decide-dialog[open]');
  const dlgAction = await page.getAttribute('#decide-dialog', 'data-action');
  assert(dlgAction === action, `the dialog opened for ${dlgAction}, not ${action}`);
  const waitDecide = page.waitForResponse((r) => r.url() === BASE + '/api/cases/' + encodeURIComponent(c.case_id) + '/decide' && r.request().method() === 'POST');
  await fill(page);
  const resp = await waitDecide;
  const body = await resp.json().catch(() => null);
  assert(resp.status() === 200, `POST /decide (${action}) answered ${resp.status()}: ${body ? JSON.stringify(body) : ''}`);
  await page.waitForSelector('#decide-dialog[open]', { state: 'detached' });
  assert(body && body.case, 'the decide answer has no case');
  // The page shows the updated case.
  await page.waitForFunction(([cid, st]) => {
    const v = document.getElementById('case-view');
    return v && v.getAttribute('data-case-id') === cid && v.getAttribute('data-state') === st;
  }, [String(c.case_id), String(body.case.state)]);
  await page.waitForSelector(`#history tbody tr[data-action="${action}"]`);
  return body.case;
}

function lastDecision(c, action, actor) {
  const hist = Array.isArray(c.history) ? c.history : [];
  const mine = hist.filter((d) => d.action === action && d.actor === actor);
  return mine.length ? mine[mine.length - 1] : null;
}

function checkHistory(c, { action, actor, from, to, reason, note, transfer }) {
  const d = lastDecision(c, action, actor);
  assert(d, `no "${action}" by ${actor} in the history (${JSON.stringify(c.history)})`);
  assert(c.state === to, `the case is ${c.state}, not ${to}`);
  assert(d.from_state === from, `from_state is ${d.from_state}, not ${from}`);
  assert(d.to_state === to, `to_state is ${d.to_state}, not ${to}`);
  if (reason !== undefined) assert(d.reason === reason, `reason is ${JSON.stringify(d.reason)}, not ${JSON.stringify(reason)}`);
  if (note !== undefined) assert(d.note === note, `note is ${JSON.stringify(d.note)}, not ${JSON.stringify(note)}`);
  if (transfer) {
    assert(d.transfer && d.transfer.unit === transfer.unit && d.transfer.reference === transfer.reference,
      `transfer is ${JSON.stringify(d.transfer)}`);
  }
  assert(typeof d.at === 'string' && !Number.isNaN(Date.parse(d.at)), `at is ${JSON.stringify(d.at)}`);
  return d;
}

function vnTime(iso) {
  const d = new Date(Date.parse(iso) + 7 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

async function shot(page, name) {
  await page.evaluate(() => { const t = document.getElementById('toast'); if (t) t.hidden = true; });
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file });
  const st = fs.statSync(file);
  assert(st.size > 5000, `${name} is only ${st.size} bytes`);
  return file;
}

// DOM facts about the page that no seller text may change.
async function inertFacts(page) {
  return page.evaluate((origin) => {
    const out = { scripts: [], img: 0, svg: 0, frames: 0, handlers: [], jsLinks: [], pwned: typeof window.__pwned !== 'undefined' };
    for (const s of document.querySelectorAll('script')) out.scripts.push(s.getAttribute('src') || '(inline)');
    out.img = document.querySelectorAll('img, image, picture, source, video, audio').length;
    out.svg = document.querySelectorAll('#main svg, #main math').length;
    out.frames = document.querySelectorAll('iframe, object, embed, frame, link[rel~="prefetch"], link[rel~="preload"], link[rel~="dns-prefetch"], link[rel~="preconnect"]').length;
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) out.handlers.push(el.tagName + '[' + a.name + ']');
        if (/^(href|src|action|formaction|xlink:href)$/i.test(a.name) && /^\s*(javascript|data|vbscript):/i.test(a.value) && !(el.tagName === 'LINK' && a.value === 'data:,')) out.jsLinks.push(el.tagName + ' ' + a.name + '=' + a.value);
      }
    }
    out.origin = origin;
    return out;
  }, ORIGIN);
}

function inertProblems(f) {
  const p = [];
  if (f.pwned) p.push('window.__pwned is set');
  const bad = f.scripts.filter((s) => s !== 'console.js' && s !== '/console.js' && s !== f.origin + '/console.js');
  if (bad.length || f.scripts.length !== 1) p.push('script elements: ' + f.scripts.join(', '));
  if (f.img) p.push(f.img + ' image/media element(s) in the page');
  if (f.svg) p.push(f.svg + ' svg/math element(s) in the view');
  if (f.frames) p.push(f.frames + ' frame/object/prefetch element(s)');
  if (f.handlers.length) p.push('inline handlers: ' + f.handlers.join(', '));
  if (f.jsLinks.length) p.push('script/data URLs: ' + f.jsLinks.join(', '));
  return p;
}
function assertInert(f) {
  const p = inertProblems(f);
  assert(p.length === 0, p.join('; '));
}

// ------------------------------------------------------------------ main

async function main() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  const decided = { verify: null, dismiss: null, transfer: null };

  // ---------------------------------------------------------------- serving
  await check('the console is served with its Content-Security-Policy', async () => {
    const ctx = await pwRequest.newContext();
    try {
      const r = await ctx.get(BASE + '/', { failOnStatusCode: false, maxRedirects: 0 });
      assert(r.status() === 200, `GET / answered ${r.status()}`);
      const csp = r.headers()['content-security-policy'] || '';
      assert(/script-src 'self'/.test(csp) && /default-src 'self'/.test(csp), `CSP header: ${JSON.stringify(csp)}`);
      assert(/frame-ancestors 'none'/.test(csp), 'CSP lacks frame-ancestors \'none\'');
      const body = await r.text();
      assert(body.includes('console.js') && !/<script>[^<]/.test(body), 'index.html has an inline script');
    } finally { await ctx.dispose(); }
  });

  // ------------------------------------------------- reviewer1: log in, queue
  const p1 = await newPage('reviewer1');
  await check('reviewer1 logs in through the form and sees the queue', async () => {
    const user = await loginThroughForm(p1, R1);
    assert(user.role === 'reviewer', `role is ${user.role}`);
    await p1.waitForSelector('#queue-view');
    await p1.waitForSelector('#next-case');
    await p1.waitForSelector('#counts');
    await p1.waitForSelector('#case-list, #case-list-empty');
    const lang = await p1.evaluate(() => document.documentElement.lang);
    assert(lang === 'vi', `the page is in ${lang}, not Vietnamese, by default`);
    const hiddenDash = await p1.evaluate(() => document.getElementById('nav-dashboard').hidden);
    assert(hiddenDash, 'the dashboard link is shown to a reviewer');
    await shot(p1, 'queue.png');
    return 'queue.png';
  });

  // --------------------------------------- 1. verify, dismiss, transfer via UI
  let meta = null;
  const code = (it) => (it !== null && typeof it === 'object' ? String(it.code ?? it.id ?? it.key ?? it.value ?? it.name) : String(it));
  await check('GET /api/meta gives the option lists', async () => {
    const r = await call(p1, 'GET', '/api/meta');
    assert(r.status === 200 && r.json, `GET /api/meta answered ${r.status}`);
    meta = r.json;
    for (const k of ['states', 'kinds', 'goods_groups', 'dismiss_reasons', 'handle_measures']) assert(Array.isArray(meta[k]) && meta[k].length, `meta.${k} is empty`);
  });

  await check('the queue filter takes new cases only (state: received)', async () => {
    await p1.selectOption('#f-state', 'received');
    const waitList = p1.waitForResponse((r) => r.url().startsWith(BASE + '/api/cases?') && r.url().includes('state=received'));
    await p1.click('#filters-apply');
    const resp = await waitList;
    assert(resp.status() === 200, `GET /api/cases answered ${resp.status()}`);
    await p1.waitForSelector('#queue-view');
    await p1.waitForFunction(() => document.getElementById('f-state') && document.getElementById('f-state').value === 'received');
  });

  let caseShot = false;
  async function maybeCaseShot(page) {
    if (caseShot) return;
    const marks = await page.locator('#case-title mark, #case-description mark').count();
    if (marks > 0) { await shot(page, 'case.png'); caseShot = true; }
  }

  // C: confirm the kind and goods group (choosing the first when the case has none).
  async function classify(page, c, open) {
    let kind, goods;
    const after = await decideThroughPage(page, c, 'classify', open, async (pg) => {
      if ((await pg.inputValue('#dlg-kind')) === '') await pg.selectOption('#dlg-kind', { index: 1 });
      const goodsTag = await pg.$eval('#dlg-goods', (e) => e.tagName);
      if ((await pg.inputValue('#dlg-goods')) === '') {
        if (goodsTag === 'SELECT') await pg.selectOption('#dlg-goods', { index: 1 });
        else await pg.fill('#dlg-goods', code(meta.goods_groups[0]));
      }
      kind = await pg.inputValue('#dlg-kind');
      goods = await pg.inputValue('#dlg-goods');
      await pg.press('#dlg-note', 'Enter');
    });
    const full = await getCase(page, c.case_id);
    checkHistory(full, { action: 'classify', actor: R1.name, from: c.state, to: 'classified' });
    assert(full.kind === kind && full.goods_group === goods, `the case is ${full.kind}/${full.goods_group}, classified as ${kind}/${goods}`);
    return after;
  }

  // V: a reason from meta.verify_reasons when the server lists them, else text.
  async function verify(page, c, open) {
    const listed = Array.isArray(meta.verify_reasons) && meta.verify_reasons.length;
    const reason = listed ? code(meta.verify_reasons.find((r) => code(r) !== 'other') || meta.verify_reasons[0])
      : 'Logo và tên nhãn hiệu giả mạo, giá 6% giá chính hãng';
    const note = 'Đối chiếu mẫu nhãn hiệu đã đăng ký; ảnh chụp lưu trong bằng chứng';
    const after = await decideThroughPage(page, c, 'verify', open, async (pg) => {
      if (listed) await pg.selectOption('#dlg-reason', reason); else await pg.fill('#dlg-reason', reason);
      await pg.fill('#dlg-note', note);
      await pg.press('#dlg-note', 'Enter');
    });
    const full = await getCase(page, c.case_id);
    const d = checkHistory(full, { action: 'verify', actor: R1.name, from: c.state, to: 'verified', reason, note });
    return { after, d, full };
  }

  await check('reviewer1 claims a case (Next case), classifies it and verifies it with a reason', async () => {
    const c0 = await claimThroughPage(p1, 'button');
    assert(c0.state === 'received', `claimed a ${c0.state} case with the filter state=received`);
    assert(c0.claimed_by === undefined || c0.claimed_by === null || c0.claimed_by === R1.name, `the claimed case is held by ${c0.claimed_by}`);
    await maybeCaseShot(p1);
    const c1 = await classify(p1, c0, 'key');
    const { d } = await verify(p1, c1, 'key');
    // The card shows the decision time in Vietnam time (the browser is in New York).
    const shown = await p1.locator('#history tbody tr[data-action="verify"] time').last().textContent();
    assert(shown === vnTime(d.at), `the history shows ${shown}, expected ${vnTime(d.at)} (UTC+7)`);
    decided.verify = String(c0.case_id);
    return 'case ' + c0.case_id;
  });

  await check('reviewer1 claims another (N key) and dismisses it with a listed reason and a note', async () => {
    const c = await claimThroughPage(p1, 'key');
    assert(String(c.case_id) !== decided.verify, 'claim gave the verified case again');
    await maybeCaseShot(p1);
    const reasons = (meta && meta.dismiss_reasons) || [];
    assert(reasons.length, 'no dismiss reason in /api/meta');
    const reason = code(reasons.find((r) => code(r) !== 'other') || reasons[0]);
    const note = 'Người bán xuất trình giấy uỷ quyền số 45/UQ-2024 <b>ok</b>';
    await decideThroughPage(p1, c, 'dismiss', 'click', async (page) => {
      await page.selectOption('#dlg-reason', reason);
      await page.fill('#dlg-note', note);
      await page.press('#dlg-note', 'Enter');
    });
    const after = await getCase(p1, c.case_id);
    checkHistory(after, { action: 'dismiss', actor: R1.name, from: c.state, to: 'dismissed', reason, note });
    const noteShown = await p1.locator('#history tbody tr[data-action="dismiss"] td.note').last().textContent();
    assert(noteShown.startsWith(note), `the note shows as ${JSON.stringify(noteShown)}`);
    decided.dismiss = String(c.case_id);
    return 'case ' + c.case_id + ', reason ' + reason;
  });

  await check('reviewer1 claims a third, classifies, verifies and transfers it (unit and reference)', async () => {
    const c0 = await claimThroughPage(p1, 'bar');
    assert(![decided.verify, decided.dismiss].includes(String(c0.case_id)), 'claim gave a decided case again');
    await maybeCaseShot(p1);
    const c1 = await classify(p1, c0, 'click');
    const { after: c2 } = await verify(p1, c1, 'click');
    await decideThroughPage(p1, c2, 'transfer', 'key', async (page) => {
      // Both fields are required: Enter with the reference empty records nothing.
      await page.fill('#dlg-unit', TRANSFER_UNIT);
      await page.press('#dlg-unit', 'Enter');
      await page.waitForTimeout(200);
      assert(await page.locator('#decide-dialog[open]').count() === 1, 'the dialog closed without a reference number');
      await page.fill('#dlg-reference', TRANSFER_REF);
      await page.press('#dlg-reference', 'Enter');
    });
    const after = await getCase(p1, c0.case_id);
    checkHistory(after, { action: 'transfer', actor: R1.name, from: 'verified', to: 'transferred', transfer: { unit: TRANSFER_UNIT, reference: TRANSFER_REF } });
    decided.transfer = String(c0.case_id);
    return 'case ' + c0.case_id;
  });
  console.log(`decided: verify=${decided.verify || 'none'} dismiss=${decided.dismiss || 'none'} transfer=${decided.transfer || 'none'}`);

  await check('Escape closes the decision dialog without recording', async () => {
    assert(decided.transfer, 'no case on screen');
    const before = (await getCase(p1, decided.transfer)).history.length;
    await p1.locator('#case-title').focus();
    await p1.keyboard.press('i');
    await p1.waitForSelector('#decide-dialog[open]');
    await p1.keyboard.press('Escape');
    await p1.waitForSelector('#decide-dialog[open]', { state: 'detached' });
    const after = (await getCase(p1, decided.transfer)).history.length;
    assert(after === before, 'the history changed');
  });

  await check('the re-check button fetches the listing again and records it as a sighting', async () => {
    assert(decided.transfer, 'no case on screen');
    const before = (await getCase(p1, decided.transfer)).sightings.length;
    await p1.evaluate((h) => { location.hash = h; }, '#/case/' + encodeURIComponent(decided.transfer));
    await waitCaseView(p1, decided.transfer);
    const [answer] = await Promise.all([
      p1.waitForResponse((r) => r.url().endsWith('/recheck') && r.request().method() === 'POST', { timeout: 60000 }),
      p1.locator('#recheck').click(),
    ]);
    assert(answer.status() === 200, `the re-check answered ${answer.status()}: ${await answer.text()}`);
    const after = await getCase(p1, decided.transfer);
    const rc = after.sightings.filter((sg) => sg.flag_id === 'recheck');
    assert(after.sightings.length === before + 1 && rc.length === 1, `sightings ${before} -> ${after.sightings.length}`);
    const ev = rc[0].evidence || {};
    assert(ev.recheck && ['unchanged', 'changed', 'removed', 'unreadable'].includes(ev.recheck.outcome), JSON.stringify(ev.recheck));
    assert(ev.warc && ev.warc.record_id, 'the re-check was not archived');
    await p1.waitForSelector('.recheck-' + ev.recheck.outcome);
    return ev.recheck.outcome;
  });

  await check('case.png shows a case card with highlighted hits', async () => {
    assert(caseShot, 'none of the three claimed cases had a highlighted hit');
    return 'case.png';
  });

  // --------------------------------------------------- 2. concurrent claims
  // Ten rounds: in each, reviewer1 and reviewer2 claim (one after the other
  // in rounds 1-5, at once with Promise.all in rounds 6-10), the register is
  // asked who holds what, and both release, so the next round races for the
  // same cases again.
  const p2 = await newPage('reviewer2');
  await check('reviewer2 logs in through the form', async () => {
    const user = await loginThroughForm(p2, R2);
    assert(user.role === 'reviewer', `role is ${user.role}`);
    await p2.waitForSelector('#queue-view');
  });

  const claims = { [R1.name]: [], [R2.name]: [] };
  const heldByBoth = [];
  const wrongHolder = [];
  async function claimApi(page, who) {
    const r = await call(page, 'POST', '/api/claim', { filters: {} });
    assert(r.status === 200 && r.json && r.json.case, `${who}: POST /api/claim answered ${r.status} (the fixture needs more open cases)`);
    const id = String(r.json.case.case_id);
    claims[who].push(id);
    return id;
  }
  async function release(page, id) {
    const r = await call(page, 'POST', '/api/cases/' + encodeURIComponent(id) + '/release', {});
    assert(r.status === 200, `release of ${id} answered ${r.status}`);
  }
  let conflictChecked = false;
  const claimsOk = await check('reviewer1 and reviewer2 claim 10 cases each, interleaved and concurrently', async () => {
    for (let round = 1; round <= 10; round++) {
      let a, b;
      if (round <= 5) { a = await claimApi(p1, R1.name); b = await claimApi(p2, R2.name); }
      else [a, b] = await Promise.all([claimApi(p1, R1.name), claimApi(p2, R2.name)]);
      if (a === b) heldByBoth.push(`round ${round}: ${a}`);
      const [ca, cb] = await Promise.all([getCase(p1, a), getCase(p2, b)]);
      if (ca.claimed_by !== R1.name) wrongHolder.push(`${a} held by ${ca.claimed_by}, not ${R1.name}`);
      if (cb.claimed_by !== R2.name) wrongHolder.push(`${b} held by ${cb.claimed_by}, not ${R2.name}`);
      if (round === 10 && a !== b) {
        // reviewer1 cannot decide the case reviewer2 holds.
        const reason = code((meta.dismiss_reasons || []).find((r) => code(r) !== 'other') || 'x');
        const r = await call(p1, 'POST', '/api/cases/' + encodeURIComponent(b) + '/decide', { action: 'dismiss', reason, note: 'thử' });
        conflictChecked = r.status;
      }
      await Promise.all([release(p1, a), release(p2, b)]);
    }
    const distinct = new Set([...claims[R1.name], ...claims[R2.name]]).size;
    return `${claims[R1.name].length} + ${claims[R2.name].length} claims over ${distinct} cases`;
  });
  await check('no case id is held by both reviewers', async () => {
    assert(claimsOk, 'the claims did not all succeed');
    assert(heldByBoth.length === 0, 'held by both: ' + heldByBoth.join(', '));
  });
  await check('the register shows each claimed case held by its claimant', async () => {
    assert(claimsOk, 'the claims did not all succeed');
    assert(wrongHolder.length === 0, wrongHolder.join('; '));
  });
  await check('a reviewer cannot decide a case held by the other (409)', async () => {
    assert(conflictChecked === 409, `answered ${conflictChecked}`);
  });
  await check('released cases are held by nobody', async () => {
    const ids = [...new Set([...claims[R1.name], ...claims[R2.name]])];
    for (const id of ids) {
      const c = await getCase(p1, id);
      assert(!c.claimed_by, `case ${id} is still held by ${c.claimed_by}`);
    }
    return ids.length + ' cases';
  });

  // ------------------------------------------------ 4. hostile listings inert
  let hostileIds = [];
  await check('the search box finds the HOSTILE listings', async () => {
    await p1.fill('#search-input', 'HOSTILE');
    await p1.press('#search-input', 'Enter');
    await p1.waitForSelector('#search-view');
    await p1.waitForSelector('#search-results, #search-empty');
    hostileIds = await p1.$$eval('#search-results tbody tr', (rows) => rows.map((r) => r.getAttribute('data-case-id')));
    assert(hostileIds.length > 0, 'no result for HOSTILE');
    assertInert(await inertFacts(p1));
    return hostileIds.length + ' cases';
  });

  let sawScriptText = false;
  for (const [i, id] of hostileIds.slice(0, 12).entries()) {
    await check(`hostile case ${id} renders inert`, async () => {
      const apiCase = await getCase(p1, id);
      assert(String(apiCase.title).includes('HOSTILE'), 'the result does not contain HOSTILE');
      const offBefore = offsite.length, dlgBefore = dialogs.length;
      if (i === 0) {
        await p1.click(`#search-results tbody tr:nth-child(1) td.c-title a`);
      } else {
        await p1.evaluate((h) => { location.hash = h; }, '#/case/' + encodeURIComponent(id));
      }
      await waitCaseView(p1, id);
      await p1.waitForTimeout(300); // let any injected handler fire
      const problems = inertProblems(await inertFacts(p1));
      if (dialogs.length > dlgBefore) problems.push('a dialog appeared: ' + dialogs.slice(dlgBefore).join(' | '));
      if (offsite.length > offBefore) problems.push('requests left the origin: ' + offsite.slice(offBefore).join(' | '));
      const title = await p1.locator('#case-title').textContent();
      if (title !== visible(apiCase.title)) problems.push(`the title shows ${JSON.stringify(title)}, not ${JSON.stringify(visible(apiCase.title))}`);
      if (String(apiCase.title).includes('<script>')) {
        if (title.includes('<script>')) sawScriptText = true;
        else problems.push('the title does not show "<script>" literally');
      }
      const kids = await p1.$eval('#case-title', (el) => [...el.childNodes].map((n) => n.nodeType === 3 ? '#text' : n.tagName + (n.children.length ? '+children' : '')));
      if (!kids.every((k) => k === '#text' || k === 'MARK')) problems.push('the title holds ' + kids.join(', '));
      if (apiCase.description) {
        const desc = await p1.locator('#case-description').textContent();
        if (desc !== visible(apiCase.description)) problems.push(`the description shows ${JSON.stringify(desc)}`);
      }
      if (apiCase.seller && apiCase.seller.name) {
        const sn = await p1.locator('#seller-name').textContent();
        if (sn !== visible(apiCase.seller.name)) problems.push(`the seller name shows ${JSON.stringify(sn)}`);
      }
      const link = await p1.$eval('#listing-link', (a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel') || '', target: a.getAttribute('target') }));
      if (!(link.href === null || /^https?:\/\//i.test(link.href))) problems.push(`the listing link is ${link.href}`);
      if (!(/\bnoopener\b/.test(link.rel) && /\bnoreferrer\b/.test(link.rel) && link.target === '_blank')) problems.push(`listing link rel=${link.rel} target=${link.target}`);
      assert(problems.length === 0, problems.join('; '));
      return 'title ' + JSON.stringify(title.slice(0, 60));
    });
  }
  await check('a hostile title with <script> was shown literally', async () => {
    assert(sawScriptText, 'no HOSTILE case had "<script>" in its title');
  });

  // ----------------------------------------------- language switch remembered
  await check('the English switch is remembered across a reload', async () => {
    await p1.click('#lang-switch');
    await p1.waitForFunction(() => document.documentElement.lang === 'en');
    await p1.reload();
    await p1.waitForSelector('#main > *:not(.loading)');
    await p1.waitForFunction(() => document.documentElement.lang === 'en');
    const q = await p1.locator('#nav-queue').textContent();
    assert(q === 'Queue', `the nav reads ${q}`);
    await p1.click('#lang-switch');
    await p1.waitForFunction(() => document.documentElement.lang === 'vi');
  });

  // ------------------------------------------------------ 3. roles and CSRF
  await check('reviewer1 gets 403 from GET /api/dashboard', async () => {
    const r = await call(p1, 'GET', '/api/dashboard');
    assert(r.status === 403, `answered ${r.status}`);
  });
  await check('reviewer1 gets 403 from GET /api/users', async () => {
    const r = await call(p1, 'GET', '/api/users');
    assert(r.status === 403, `answered ${r.status}`);
  });
  await check('POST /api/claim without X-CSRF-Token gets 403', async () => {
    const r = await call(p1, 'POST', '/api/claim', { filters: {} }, { csrf: false });
    assert(r.status === 403, `answered ${r.status}`);
  });
  await check('POST /api/claim with a wrong X-CSRF-Token gets 403', async () => {
    const r = await call(p1, 'POST', '/api/claim', { filters: {} }, { token: 'x'.repeat(32) });
    assert(r.status === 403, `answered ${r.status}`);
  });
  await check('the API refuses a request without a session (401)', async () => {
    const ctx = await pwRequest.newContext();
    try {
      const r = await ctx.get(BASE + '/api/cases', { failOnStatusCode: false });
      assert(r.status() === 401, `answered ${r.status()}`);
    } finally { await ctx.dispose(); }
  });

  // --------------------------------------------------------- lead dashboard
  const pl = await newPage('lead');
  await check('the lead sees the dashboard (dashboard.png)', async () => {
    const user = await loginThroughForm(pl, LEAD);
    assert(user.role === 'lead', `role is ${user.role}`);
    await pl.waitForSelector('#queue-view');
    assert(!(await pl.evaluate(() => document.getElementById('nav-dashboard').hidden)), 'no dashboard link for the lead');
    await pl.click('#nav-dashboard');
    await pl.waitForSelector('#dashboard');
    const r = await call(pl, 'GET', '/api/dashboard');
    assert(r.status === 200 && r.json, `GET /api/dashboard answered ${r.status}: ${String(r.text).slice(0, 200)}`);
    const w = r.json.window, pk = r.json.peak;
    assert(w && pk, 'the dashboard has no window or no peak figures');
    for (const k of ['period', 'stages', 'days', 'by', 'open', 'open_24h', 'open_7d', 'sellers', 'serious_count', 'chain']) assert(k in w, `the dashboard has no ${k}`);
    assert(w.period.kind === 'range' && pk.period.kind === 'campaign', `periods ${w.period.kind} ${pk.period.kind}`);
    assert(w.days.length === 30, `${w.days.length} days in the default window`);
    const charts = await pl.locator('#dashboard svg.chart').count();
    assert(charts >= 5, `${charts} charts`);
    const stageBars = await pl.locator('#ch-stages svg rect').count();
    assert(stageBars >= 6, `stages chart has ${stageBars} bars`);
    // the page shows the report's figures: the same numbers as the range report's CSV, downloaded through the page's link
    const shownReceived = Number((await pl.locator('#dash-received').textContent()).replace(/[^0-9]/g, ''));
    assert(shownReceived === w.stages.received, `the page shows ${shownReceived} received, the figures say ${w.stages.received}`);
    const csvHref = await pl.locator('#report-range-csv').getAttribute('href');
    assert(csvHref === '/api/reports/range/' + w.period.label + '.csv', `range report link ${csvHref}`);
    const csv = await pl.request.get(BASE + csvHref, { failOnStatusCode: false });
    assert(csv.status() === 200, `the range report answered ${csv.status()}`);
    const csvFigure = (section, key) => {
      const line = csvText.split('\n').map((l) => l.replace(/"/g, '')).find((l) => l.startsWith(section + ',' + key + ','));
      return line ? Number(line.split(',').pop()) : NaN;
    };
    const csvText = (await csv.body()).toString('utf8');
    for (const stage of ['received', 'classified', 'verified', 'dismissed', 'handled', 'transferred'])
      assert(csvFigure('summary', stage) === w.stages[stage], `${stage}: CSV ${csvFigure('summary', stage)}, dashboard ${w.stages[stage]}`);
    assert(csvFigure('open', 'open') === w.open, `open: CSV ${csvFigure('open', 'open')}, dashboard ${w.open}`);
    assert(w.stages.received > 0, 'the window received no cases (the test would prove nothing)');
    await shot(pl, 'dashboard.png');
    // the reports for download, from the same register: the daily PDF through the page's own link
    const href = await pl.locator('#report-daily-pdf').getAttribute('href');
    assert(href && /^\/api\/reports\/daily\/\d{4}-\d{2}-\d{2}\.pdf$/.test(href), `report link ${href}`);
    const pdf = await pl.request.get(BASE + href, { failOnStatusCode: false });
    assert(pdf.status() === 200 && (await pdf.body()).subarray(0, 5).toString() === '%PDF-', `the daily report answered ${pdf.status()}`);
    const f = await pl.evaluate(() => ({ pwned: typeof window.__pwned !== 'undefined', scripts: document.querySelectorAll('script').length, img: document.querySelectorAll('img').length }));
    assert(!f.pwned && f.scripts === 1 && f.img === 0, 'the dashboard is not inert: ' + JSON.stringify(f));
    return charts + ' charts, ' + w.stages.received + ' received, the same as the report';
  });

  // ------------------------------------------------------------ admin, police
  const pa = await newPage('admin');
  await check('the admin lists the users', async () => {
    const user = await loginThroughForm(pa, ADMIN);
    assert(user.role === 'admin', `role is ${user.role}`);
    const r = await call(pa, 'GET', '/api/users');
    assert(r.status === 200 && r.json && Array.isArray(r.json.users), `GET /api/users answered ${r.status}`);
    assert(r.json.users.some((u) => u.name === R1.name), 'reviewer1 is not in the list');
    assert(r.json.users.every((u) => !('password' in u) && !('hash' in u) && !('password_hash' in u)), 'the list carries password hashes');
  });

  const pp = await newPage('police');
  await check('police read only transferred cases and cannot work the queue', async () => {
    const user = await loginThroughForm(pp, POLICE);
    assert(user.role === 'police', `role is ${user.role}`);
    await pp.waitForSelector('#queue-view');
    assert(await pp.locator('#next-case').count() === 0, 'the Next case button is shown to police');
    const list = await call(pp, 'GET', '/api/cases?limit=200');
    assert(list.status === 200 && list.json && Array.isArray(list.json.cases), `GET /api/cases answered ${list.status}`);
    const notTransferred = list.json.cases.filter((c) => c.state !== 'transferred');
    assert(notTransferred.length === 0, 'police see cases that are not transferred: ' + notTransferred.map((c) => c.case_id).join(', '));
    if (decided.verify) {
      const r = await call(pp, 'GET', '/api/cases/' + encodeURIComponent(decided.verify));
      assert(r.status === 403 || r.status === 404, `police read a verified case: ${r.status}`);
    }
    const cl = await call(pp, 'POST', '/api/claim', { filters: {} });
    assert(cl.status === 403, `police claim answered ${cl.status}`);
    const d = await call(pp, 'GET', '/api/dashboard');
    assert(d.status === 403, `police dashboard answered ${d.status}`);
    const mine = list.json.cases.find((c) => String(c.case_id) === decided.transfer);
    if (mine) {
      await pp.evaluate((h) => { location.hash = h; }, '#/case/' + encodeURIComponent(decided.transfer));
      await waitCaseView(pp, decided.transfer);
      assert(await pp.locator('#decide-bar').count() === 0, 'decision buttons are shown to police');
      return 'the transferred case ' + decided.transfer + ' is theirs';
    }
    return list.json.cases.length + ' transferred cases listed';
  });

  await check('police download the evidence package of their case; a reviewer cannot', async () => {
    assert(decided.transfer, 'no transferred case');
    assert(await pp.locator('#package-link').count() === 1, 'no package link on the case card');
    const r = await pp.request.get(BASE + '/api/cases/' + encodeURIComponent(decided.transfer) + '/package',
      { failOnStatusCode: false });
    assert(r.status() === 200, `the package answered ${r.status()}: ${await r.text()}`);
    assert((r.headers()['content-type'] || '').startsWith('application/wacz'), `content type ${r.headers()['content-type']}`);
    const body = await r.body();
    assert(body.length > 1000 && body[0] === 0x50 && body[1] === 0x4b, 'not a zip');
    fs.writeFileSync(path.join(SHOTS, 'package.wacz'), body);
    const denied = await p1.request.get(BASE + '/api/cases/' + encodeURIComponent(decided.transfer) + '/package',
      { failOnStatusCode: false });
    assert(denied.status() === 403, `a reviewer's package answered ${denied.status()}`);
    if (decided.verify) {
      const other = await pp.request.get(BASE + '/api/cases/' + encodeURIComponent(decided.verify) + '/package',
        { failOnStatusCode: false });
      assert(other.status() === 404 || other.status() === 403, `police got another unit's package: ${other.status()}`);
    }
    return body.length + ' bytes';
  });

  await check('a 401 anywhere sends the page to the login view', async () => {
    // The session ends behind the page's back; its next API call gets 401.
    const r = await call(pa, 'POST', '/api/logout', {});
    assert(r.status === 200, `logout answered ${r.status}`);
    await pa.evaluate(() => { location.hash = '#/search?q=lscan'; });
    await pa.waitForSelector('#login-form');
    assert(await pa.locator('#search-view').count() === 0, 'the search view is still shown');
  });

  // ------------------------------------------- 3. login lockout (keep last)
  await check('five wrong passwords, then the sixth attempt gets 429 with Retry-After', async () => {
    const ctx = await pwRequest.newContext();
    try {
      const attempt = (password) => ctx.post(BASE + '/api/login', {
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        data: JSON.stringify({ username: R2.name, password }), failOnStatusCode: false,
      });
      for (let i = 1; i <= 5; i++) {
        const r = await attempt('wrong-password-' + i);
        assert(r.status() === 401, `wrong password ${i} answered ${r.status()}`);
      }
      const r6 = await attempt('wrong-password-6');
      assert(r6.status() === 429, `the sixth attempt answered ${r6.status()}`);
      const ra = Number(r6.headers()['retry-after']);
      assert(Number.isFinite(ra) && ra > 0, `Retry-After is ${r6.headers()['retry-after']}`);
      const right = await attempt(R2.password);
      assert(right.status() === 429, `the right password during the lock answered ${right.status()}`);
      return 'Retry-After ' + ra + ' s';
    } finally { await ctx.dispose(); }
  });
  await check('the login form shows "too many attempts, wait N s"', async () => {
    const pz = await newPage('locked');
    await pz.goto(BASE + '/');
    await pz.waitForSelector('#login-form');
    await pz.fill('#login-user', R2.name);
    await pz.fill('#login-pass', R2.password);
    const [resp] = await Promise.all([
      pz.waitForResponse((r) => r.url() === BASE + '/api/login'),
      pz.click('#login-submit'),
    ]);
    assert(resp.status() === 429, `answered ${resp.status()}`);
    await pz.waitForSelector('#login-error[data-retry-after]:not([hidden])');
    const msg = await pz.locator('#login-error').textContent();
    assert(/\d+/.test(msg) && /giây/.test(msg), `the message is ${JSON.stringify(msg)}`);
    assert(await pz.locator('#queue-view').count() === 0, 'the queue is shown while locked');
  });

  // --------------------------------------------------------- global watchers
  await check('no request left the console origin', async () => {
    assert(offsite.length === 0, offsite.slice(0, 5).join(' | '));
  });
  await check('no dialog appeared', async () => {
    assert(dialogs.length === 0, dialogs.slice(0, 5).join(' | '));
  });
  await check('no script error or CSP refusal in any page', async () => {
    assert(pageErrors.length === 0, pageErrors.slice(0, 5).join(' | '));
  });
}

const watchdog = setTimeout(() => {
  notOk('the browser test finished in time', `still running after ${WATCHDOG_MS / 1000} s`);
  finish();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

try {
  await main();
} catch (e) {
  notOk('the browser test ran to its end', e && e.stack ? e.stack : e);
} finally {
  for (const c of contexts) await c.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
}
finish();
process.exit(failed === 0 && passed > 0 ? 0 : 1);
