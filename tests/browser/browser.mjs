// Browser and accessibility tests in headless Debian chromium (playwright-core, no browser download).
// Started by tests/browser/test_browser.py, which runs the real stack and passes, in the environment:
// BASE_URL, STAFF_LOGIN, STAFF_PASSWORD, GOMI_PASSWORD (the member of ごみ減量リサイクル課), OUT_DIR (where each page's HTML source is kept for the Nu
// checker).  Prints TAP.  Dummy data only.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const BASE = process.env.BASE_URL;
const OUT = process.env.OUT_DIR;
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let n = 0, failed = 0, saved = 0;
const axeSeen = new Set();
const results = [];

function tap(ok, name, why) {
  n++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - browser ${name}`);
  if (!ok) {
    failed++;
    console.log(`#   ${String(why).split('\n').join('\n#   ').slice(0, 1500)}`);
  }
}

async function check(name, fn) {
  try {
    await fn();
    tap(true, name);
  } catch (e) {
    tap(false, name, e && e.stack ? e.stack : e);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg || 'assertion failed');
}

// Keep every HTML document the browser receives, for the Nu HTML checker.
function keepSources(page) {
  page.on('response', async (r) => {
    if (r.request().resourceType() !== 'document' || !(r.headers()['content-type'] || '').includes('text/html'))
      return;
    try {
      const body = await r.text();
      writeFileSync(join(OUT, `page-${String(++saved).padStart(3, '0')}.html`), body);
    } catch (e) { /* a download or a redirect has no body */ }
  });
}

// axe-core with the WCAG 2.1 A/AA rules on the page as it is now; each distinct page once.
async function axe(page, label) {
  const key = `${label}|${new URL(page.url()).pathname}|${await page.title()}|${page.viewportSize().width}`;
  if (axeSeen.has(key)) return;
  axeSeen.add(key);
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(async (tags) => await window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), WCAG);
  const v = r.violations.map((x) => `${x.id} (${x.impact}): ${x.nodes.map((nd) => nd.target.join(' ')).join(', ')}`);
  results.push({ label, url: page.url(), violations: v.length });
  assert(v.length === 0, `${label} ${page.url()}: ${v.join('; ')}`);
}

async function newPage(browser, opts = {}) {
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'ja-JP', acceptDownloads: true, ...opts });
  const page = await ctx.newPage();
  keepSources(page);
  return page;
}

// What a resident reads, in Japanese and in English (tests/e2e/forms/e2e-open.yaml and po/).
const WORDS = {
  ja: { proc: 'テスト用の申込み', name: /^氏名\s/, kana: /^氏名（カナ）/, postal: /^郵便番号/, birth: /^生年月日/,
    people: /^参加人数/, courseA: 'Aコース', tel: /^電話番号/, telError: /電話番号/, confirm: '入力内容を確認する', send: '送信する',
    error: 'エラー：', receipt: /^受付番号/, inquiry: /^問合せキー/, check: '確認する', received: '到達' },
  en: { proc: 'Test application', name: /^Full name\s/, kana: /^Name in katakana/, postal: /^Postcode/,
    birth: /^Date of birth/, people: /^Number of people/, courseA: 'Course A', tel: /^Phone number/,
    telError: /“Phone number”/,
    confirm: 'Check your answers', send: 'Send', error: 'Error: ', receipt: /^Receipt number/,
    inquiry: /^Inquiry key/, check: 'Check', received: 'Received' },
};

// A resident applies: fills by visible labels, meets an error, corrects it, confirms, sends, looks up.
async function residentFlow(page, label, withAxe, w = WORDS.ja) {
  await page.goto(`${BASE}/`);
  if (withAxe) await axe(page, label);
  await page.getByRole('link', { name: w.proc, exact: true }).click();
  if (withAxe) await axe(page, label);
  await page.getByLabel(w.name).fill('試験ブラウザ花子');
  await page.getByLabel(w.kana).fill('しけんぶらうざはなこ');
  await page.getByLabel(w.postal).fill('１６０－８４８４');
  await page.getByLabel(w.birth).fill('昭和35年4月1日');
  await page.getByLabel(w.people).fill('2');
  await page.getByLabel(w.courseA).check();
  await page.getByRole('button', { name: w.confirm }).click();
  // the phone number was left out: an error summary, a title starting with the error prefix, a link to the field
  assert((await page.title()).startsWith(w.error), `title: ${await page.title()}`);
  const summary = page.locator('.error-summary');
  assert(await summary.isVisible(), 'no error summary');
  if (withAxe) await axe(page, label);
  await summary.getByRole('link', { name: w.telError }).click();
  const tel = page.getByLabel(w.tel);
  assert(await tel.evaluate((el) => el === document.activeElement || el.getAttribute('aria-invalid') === 'true'),
    'the error link does not lead to the field');
  await tel.fill('03-9999-0000');
  await page.getByRole('button', { name: w.confirm }).click();
  assert(await page.getByRole('button', { name: w.send, exact: true }).isVisible(), 'no confirmation page');
  assert((await page.content()).includes('シケンブラウザハナコ'), 'kana not normalised on the confirmation page');
  if (withAxe) await axe(page, label);
  await page.getByRole('button', { name: w.send, exact: true }).click();
  const receipt = (await page.locator('#receipt').textContent()).trim();
  const inquiry = (await page.locator('#inquiry').textContent()).trim();
  assert(/^\d{4}-\d{4}-\d{4}$/.test(receipt), `receipt: ${receipt}`);
  if (withAxe) await axe(page, label);
  await page.goto(`${BASE}/status`);
  if (withAxe) await axe(page, label);
  await page.getByLabel(w.receipt).fill(receipt);
  await page.getByLabel(w.inquiry).fill(inquiry);
  await page.getByRole('button', { name: w.check, exact: true }).click();
  assert((await page.locator('#status-value').textContent()).includes(w.received), 'status not shown');
  if (withAxe) await axe(page, label);
  return receipt;
}

// A Japanese browser without JavaScript switches to English by the link on the page, and back.
async function switchLanguage(page) {
  await page.goto(`${BASE}/f/e2e-open`);
  assert(await page.getAttribute('html', 'lang') === 'ja', 'not Japanese first');
  await page.getByRole('link', { name: 'English' }).click();
  assert(new URL(page.url()).pathname === '/f/e2e-open', `the switch went to ${page.url()}`);
  assert(await page.getAttribute('html', 'lang') === 'en', 'the page did not switch');
  assert(await page.getByRole('button', { name: 'Check your answers' }).isVisible(), 'no English button');
  await page.goto(`${BASE}/`);
  assert((await page.title()).endsWith('| Shinjuku City Online Applications'), `title: ${await page.title()}`);
  await page.goto(`${BASE}/f/no-such-procedure`);
  await page.getByRole('link', { name: '日本語' }).click();
  assert(await page.getAttribute('html', 'lang') === 'ja', 'not back in Japanese');
  assert((await page.title()).startsWith('エラー：'), `title: ${await page.title()}`);
}

// The resident pages of a browser that prefers English, axe on each.
async function englishPages(page) {
  for (const path of ['/', '/f/e2e-open', '/status', '/f/no-such-procedure', '/f/e2e-closed']) {
    await page.goto(`${BASE}${path}`);
    assert(await page.getAttribute('html', 'lang') === 'en', `${path} is not in English`);
    await axe(page, 'english');
  }
  await page.goto(`${BASE}/status`);
  await page.getByRole('button', { name: 'Check' }).click();
  assert((await page.title()).startsWith('Error: '), `title: ${await page.title()}`);
  await axe(page, 'english');
}

// Every shipped procedure's form page (forms/), axe on each: the Nu checker then sees each field type
// and autocomplete token they use, in each language.
const SHIPPED = ['eco-action', 'fooddrive-loan', 'foodloss-monitor', 'foodloss-shop', 'hiking', 'smoking-plan',
  'smoking-report', 'women-health', 'zero-waste-day'];
async function shippedForms(page, label) {
  for (const id of SHIPPED) {
    const r = await page.goto(`${BASE}/f/${id}`);
    assert(r.status() === 200, `/f/${id} answered ${r.status()}`);
    await axe(page, label);
  }
}

async function noHorizontalScroll(page) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(w <= page.viewportSize().width, `page is ${w}px wide at ${page.viewportSize().width}px`);
}

async function staffFlow(page, receipt) {
  await page.goto(`${BASE}/staff/login`);
  await axe(page, 'staff');
  await page.getByLabel('ログインID').fill(process.env.STAFF_LOGIN);
  await page.getByLabel('パスワード').fill(process.env.STAFF_PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await axe(page, 'staff');
  await page.getByRole('link', { name: 'テスト用の申込み' }).click();
  await axe(page, 'staff');
  await page.getByRole('link', { name: receipt }).click();
  await axe(page, 'staff');
  await page.getByLabel('受付にする').check();
  await page.getByLabel(/^対応記録/).fill('ブラウザ試験の対応記録');
  await page.getByRole('button', { name: '記録する' }).click();
  assert((await page.locator('#status-value').textContent()).includes('受付'), 'not accepted');
  await axe(page, 'staff');
  await page.getByRole('link', { name: 'テスト用の申込み' }).click();
  await page.getByLabel('利用目的', { exact: true }).fill('ブラウザ試験の確認');
  await page.getByLabel('提供先', { exact: true }).fill('試験係');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'CSV出力' }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert(download.suggestedFilename().endsWith('.csv'), download.suggestedFilename());
  assert(csv.startsWith('\ufeff受付番号,受付日時,状態,'), csv.slice(0, 40));
  assert(csv.includes(receipt) && csv.includes('試験ブラウザ花子'), 'the application is not in the CSV');
  await page.getByRole('link', { name: /重複の可能性がある申請/ }).click();
  await axe(page, 'staff');
  await page.getByRole('link', { name: 'テスト用の申込み' }).click();
  await page.getByRole('link', { name: '郵送でお知らせする方の一覧' }).click();
  await axe(page, 'staff');
  await page.goto(`${BASE}/staff/password`);
  await axe(page, 'staff');
}

// Staff enter an application received on paper: the resident's form with the channel, its errors, the
// confirmation and the receipt (受付票), which prints on A4 without the site's header and buttons.
async function staffLogin(page) {
  await page.goto(`${BASE}/staff/login`);
  await page.getByLabel('ログインID').fill(process.env.STAFF_LOGIN);
  await page.getByLabel('パスワード').fill(process.env.STAFF_PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
}

async function entryFlow(page) {
  await staffLogin(page);
  await page.getByRole('link', { name: 'テスト用の申込み' }).click();
  await page.getByRole('link', { name: /紙の申請/ }).click();
  await axe(page, 'entry');
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  assert((await page.title()).startsWith('エラー：'), 'no errors shown');
  await axe(page, 'entry');
  await page.getByLabel('窓口').check();
  await page.getByLabel(/^氏名 /).fill('試験ブラウザ窓口');
  await page.getByLabel(/^氏名（カナ）/).fill('しけん まどぐち');
  await page.getByLabel(/^郵便番号/).fill('1608484');
  await page.getByLabel(/^電話番号/).fill('0399990000');
  await page.getByLabel(/^生年月日/).fill('1950-04-01');
  await page.getByLabel(/^参加人数/).fill('1');
  await page.getByLabel('Aコース').check();
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await axe(page, 'entry');
  await page.getByRole('button', { name: '登録する' }).click();
  const receipt = (await page.locator('#receipt').textContent()).trim();
  assert(/^\d{4}-\d{4}-\d{4}$/.test(receipt), `receipt: ${receipt}`);
  await axe(page, 'entry');
  await page.emulateMedia({ media: 'print' });
  assert(await page.locator('.slip').isVisible(), 'the receipt does not print');
  for (const hidden of ['.site-header', '.no-print >> nth=0', '.site-footer'])
    assert(!(await page.locator(hidden).isVisible()), `${hidden} prints`);
  await page.emulateMedia({ media: 'screen' });
}

// A closed lottery drawn by its section: the draw page, its confirmation step, then the record.
async function lotteryFlow(page) {
  await staffLogin(page);
  await page.goto(`${BASE}/staff/forms/e2e-lottery`);
  await page.getByRole('link', { name: /^抽選/ }).click();
  await axe(page, 'lottery');
  await page.getByLabel(/^補欠の件数/).fill('2');
  await page.getByRole('button', { name: '内容を確認する' }).click();
  assert(await page.locator('#lottery-confirm').isVisible(), 'no confirmation step');
  await axe(page, 'lottery');
  // no duplicate review in this run: the draw is confirmed past it
  await page.getByLabel('重複の確認をせずに抽選する').check();
  await page.getByRole('button', { name: '抽選する' }).click();
  assert(await page.locator('#lottery-record').isVisible(), 'no record after the draw');
  await axe(page, 'lottery');
}

// Many applications at once: two rows ticked on the list, the confirmation, the result; then an
// announcement written, previewed as it goes out, and back to the form to correct it (this
// procedure's applications here gave no address, so there is nobody to send it to).  axe on each.
async function bulkFlow(page) {
  await staffLogin(page);
  await page.getByRole('link', { name: 'テスト用の申込み' }).click();
  await page.getByRole('checkbox').nth(0).check();
  await page.getByRole('checkbox').nth(1).check();
  await page.getByLabel('変更後の状態').selectOption('returned');
  await page.getByLabel(/^対応記録/).fill('ブラウザ試験のまとめての記録');
  await page.getByRole('button', { name: '確認へ進む' }).click();
  assert((await page.locator('#n-change').textContent()).includes('件'), 'no confirmation');
  await axe(page, 'bulk');
  await page.getByRole('button', { name: /件を「差戻し」にする/ }).click();
  assert((await page.locator('#bulk-result').textContent()).includes('「差戻し」にしました'), 'not changed');
  await axe(page, 'bulk');
  await page.goto(`${BASE}/staff/announce/e2e-open`);
  await axe(page, 'announce');
  await page.getByLabel('件名').fill('雨天中止のお知らせ');
  await page.getByLabel('本文').fill('ブラウザ試験のお知らせです。\n二行目です。');
  await page.getByRole('button', { name: '送る内容を確認する' }).click();
  assert((await page.locator('#mail-body').textContent()).includes('二行目です。'), 'no preview');
  await axe(page, 'announce');
  await page.getByRole('button', { name: '修正する' }).click();
  assert((await page.getByLabel('本文').inputValue()).includes('二行目です。'), 'the text was not kept');
  await axe(page, 'announce');
}

// A registration with a participant ID, then staff of its section find it by the ID, mistyped first.
async function participantFlow(page) {
  await page.goto(`${BASE}/f/eco-action`);
  await page.getByLabel(/^ニックネーム/).fill('ダミーブラウザ');
  await page.getByLabel(/^郵便番号/).fill('1608484');
  await page.getByLabel(/^誕生月日/).fill('４月１日');
  await page.getByRole('button', { name: '入力内容を確認する' }).click();
  await page.getByRole('button', { name: '送信する' }).click();
  const pid = (await page.locator('#participant').textContent()).trim();
  assert(/^ECO-\d{4}-\d{4}-\d{4}$/.test(pid), `participant ID: ${pid}`);
  await axe(page, 'participant');
  await page.goto(`${BASE}/staff/login`);
  await page.getByLabel('ログインID').fill('gomi');
  await page.getByLabel('パスワード').fill(process.env.GOMI_PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByRole('link', { name: /新宿環境アクションポイント/ }).click();
  await axe(page, 'participant');
  await page.getByLabel('参加者IDで探す').fill(pid.slice(0, -1) + ((Number(pid.slice(-1)) + 1) % 10));
  await page.getByRole('button', { name: '探す' }).click();
  assert((await page.title()).startsWith('エラー：'), 'a mistyped ID was not refused');
  await axe(page, 'participant');
  await page.getByLabel('参加者IDで探す').fill(pid);
  await page.getByRole('button', { name: '探す' }).click();
  assert((await page.locator('#participant-value').textContent()).trim() === pid, 'not the registration');
  await axe(page, 'participant');
}

// What a resident reads of places, in Japanese and in English (the e2e forms' labels are Japanese only).
const PLACES = {
  ja: { left: /残り\d+人/, names: ['試験定員一', '試験定員二', '試験定員三'], withdraw: 'この申請を取り下げる',
    yes: '取り下げる' },
  en: { left: /\d+ places left/, names: ['試験英語一', '試験英語二', '試験英語三'],
    withdraw: 'Withdraw this application', yes: 'Yes, withdraw it' },
};

// Places: the list and a form with 残りN人 per choice, a send over the places that waits in turn, and the
// resident withdrawing it from /status after the confirmation step; axe on each of those pages.
async function placesFlow(page, lang = 'ja') {
  const w = WORDS[lang], p = PLACES[lang], label = `places-${lang}`;
  await page.goto(`${BASE}/`);
  await axe(page, label);
  await page.goto(`${BASE}/f/e2e-courses`);
  assert(p.left.test(await page.content()), 'no places beside the courses');
  await axe(page, label);
  let receipt = null, inquiry = null;
  for (const name of p.names) {
    await page.goto(`${BASE}/f/e2e-withdraw`);
    await page.getByLabel(/^氏名/).fill(name);
    await page.getByRole('button', { name: w.confirm }).click();
    await page.getByRole('button', { name: w.send, exact: true }).click();
    receipt = (await page.locator('#receipt').textContent()).trim();
    inquiry = (await page.locator('#inquiry').textContent()).trim();
  }
  assert(await page.locator('#waitlist').isVisible(), 'no turn on the completion page');
  await axe(page, label);
  await page.goto(`${BASE}/status`);
  await page.getByLabel(w.receipt).fill(receipt);
  await page.getByLabel(w.inquiry).fill(inquiry);
  await page.getByRole('button', { name: w.check, exact: true }).click();
  assert(await page.locator('#waitlist-position').isVisible(), 'no turn on the status page');
  await axe(page, label);
  await page.getByRole('button', { name: p.withdraw }).click();
  assert(await page.locator('#withdraw-confirm').isVisible(), 'no confirmation step');
  await axe(page, label);
  await page.getByRole('button', { name: p.yes, exact: true }).click();
  assert(await page.locator('#withdrawn').isVisible(), 'not withdrawn');
  await axe(page, label);
}

// Only the keyboard: Tab to each field, type, Space for the radio, Enter on the buttons.
async function keyboardOnly(page) {
  await page.goto(`${BASE}/f/e2e-open`);
  const values = { 'f-name': '試験キーボード', 'f-kana': 'シケン キーボード', 'f-postal': '1608484',
    'f-tel': '0399990000', 'f-birth': '1950-04-01', 'f-people': '1' };
  let submitted = false;
  for (let i = 0; i < 80 && !submitted; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      return { id: el.id, type: el.type, tag: el.tagName, text: el.textContent, value: el.value };
    });
    if (values[f.id] !== undefined) await page.keyboard.type(values[f.id]);
    else if (f.type === 'radio' && f.value === 'a') await page.keyboard.press('Space');
    else if (f.tag === 'BUTTON' && f.text.includes('入力内容を確認する')) {
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      submitted = true;
    }
  }
  assert(submitted, 'the confirm button was not reached by Tab');
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.textContent.includes('送信する'))) {
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      const receipt = await page.locator('#receipt').textContent();
      assert(/^\d{4}-\d{4}-\d{4}$/.test(receipt.trim()), `receipt: ${receipt}`);
      return;
    }
  }
  throw new Error('the send button was not reached by Tab');
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox'] });
let receipt = null;
try {
  await check('axe finds a planted violation (control: the checker works here)', async () => {
    const page = await newPage(browser);
    await page.setContent('<!DOCTYPE html><html lang="ja"><title>x</title><main><input type="text"></main></html>');
    await page.addScriptTag({ path: AXE });
    const r = await page.evaluate(async (tags) => await window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), WCAG);
    assert(r.violations.some((v) => v.id === 'label'), JSON.stringify(r.violations.map((v) => v.id)));
  });
  await check('resident desktop flow with axe on every page', async () => {
    receipt = await residentFlow(await newPage(browser, { viewport: { width: 1280, height: 900 } }), 'desktop', true);
  });
  await check('resident phone 360x740 flow with axe, no sideways scrolling', async () => {
    const page = await newPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await residentFlow(page, 'phone', true);
    await page.goto(`${BASE}/f/e2e-open`);
    await noHorizontalScroll(page);
  });
  await check('resident flow with JavaScript disabled', async () => {
    await residentFlow(await newPage(browser, { javaScriptEnabled: false }), 'nojs', false);
  });
  await check('switch to English and back by the link, JavaScript disabled', async () => {
    await switchLanguage(await newPage(browser, { javaScriptEnabled: false }));
  });
  await check('English pages with axe (the browser prefers English)', async () => {
    await englishPages(await newPage(browser, { locale: 'en-GB' }));
  });
  await check('resident flow in English with axe on every page', async () => {
    await residentFlow(await newPage(browser, { locale: 'en-GB', viewport: { width: 1280, height: 900 } }),
      'english', true, WORDS.en);
  });
  await check('resident flow in English with JavaScript disabled', async () => {
    await residentFlow(await newPage(browser, { locale: 'en-GB', javaScriptEnabled: false }), 'nojs', false,
      WORDS.en);
  });
  await check('every shipped form page, in Japanese and in English, with axe', async () => {
    await shippedForms(await newPage(browser), 'shipped');
    await shippedForms(await newPage(browser, { locale: 'en-GB' }), 'shipped-en');
  });
  await check('keyboard-only completion of a form', async () => {
    await keyboardOnly(await newPage(browser));
  });
  await check('staff logs in, accepts, downloads the CSV; axe on every staff page', async () => {
    assert(receipt, 'no receipt from the resident flow');
    await staffFlow(await newPage(browser, { viewport: { width: 1280, height: 900 } }), receipt);
  });
  await check('staff enter a paper application; axe on the entry pages; the receipt prints', async () => {
    await entryFlow(await newPage(browser, { viewport: { width: 1280, height: 900 } }));
  });
  await check('a lottery drawn after a confirmation; axe on the draw pages', async () => {
    await lotteryFlow(await newPage(browser, { viewport: { width: 1280, height: 900 } }));
  });
  await check('staff change two applications at once and send an announcement; axe on those pages', async () => {
    await bulkFlow(await newPage(browser, { viewport: { width: 1280, height: 900 } }));
  });
  await check('a participant ID issued, then found by staff; axe on those pages', async () => {
    await participantFlow(await newPage(browser, { viewport: { width: 1280, height: 900 } }));
  });
  await check('places: 残りN人, a turn in the waitlist, a withdrawal; axe on those pages', async () => {
    await placesFlow(await newPage(browser, { viewport: { width: 1280, height: 900 } }));
  });
  await check('places in English: places left, the waiting list, a withdrawal; axe on those pages', async () => {
    await placesFlow(await newPage(browser, { locale: 'en-GB', viewport: { width: 1280, height: 900 } }), 'en');
  });
} finally {
  await browser.close();
}
console.log(`# axe: ${results.length} page views checked, ${results.reduce((a, r) => a + r.violations, 0)} violations`);
console.log(`# ${saved} HTML documents kept for the Nu checker`);
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
