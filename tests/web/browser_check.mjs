#!/usr/bin/env node
// Drives the chat widget in a real headless Chromium (Debian's /usr/bin/chromium via
// playwright-core) against live Rasa + action servers, like a customer would:
// keyboard input in Japanese, IME composition, choice buttons, a network blip, a page
// reload, XSS attempts and 「会話をリセット」. Prints one JSON summary line on stdout and
// exits 0 only when every check passed.
//
// usage: node tests/web/browser_check.mjs <page-url> [--screenshot PATH]
//        (default results/web/widget.png; the first-open page goes to widget-welcome.png)
//        env CHROMIUM (default /usr/bin/chromium), STEP_TIMEOUT_MS (default 30000)

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const WEB = path.join(ROOT, 'web');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT = Number(process.env.STEP_TIMEOUT_MS || 30000);

const PROBLEM = '一部の部署だけファイルサーバーにアクセスできません';
const PRICE_QUESTION = 'ちなみに料金っていくらですか？';
// The contact details the intake ticket asks for (company, name, phone, e-mail), typed as
// a customer would, full-width digits included.
const CONTACT = ['株式会社サンプル商事', '山田 太郎', '０３－１２３４－５６７８', 'taro.yamada@example.co.jp'];
const XSS_USER = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';
const XSS_BOT = '<b>太字</b><img src=x onerror="window.__xss=2">\n2行目';

function fail(message, code = 2) {
  process.stdout.write(JSON.stringify({ ok: false, error: message }) + '\n');
  process.exit(code);
}

const args = process.argv.slice(2);
const url = args.find((a) => !a.startsWith('--'));
const shotIndex = args.indexOf('--screenshot');
const screenshot = path.resolve(shotIndex >= 0 ? args[shotIndex + 1] : path.join(ROOT, 'results', 'web', 'widget.png'));
const welcomeShot = screenshot.replace(/(\.png)?$/, '-welcome.png');
if (!url) fail('usage: node tests/web/browser_check.mjs <page-url> [--screenshot PATH]');
if (!fs.existsSync(CHROMIUM)) {
  fail(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium fonts-noto-cjk)`);
}
let chromium;
try {
  ({ chromium } = createRequire(path.join(WEB, 'package.json'))('playwright-core'));
} catch (err) {
  fail(`playwright-core is not installed in web/node_modules: run \`npm ci\` in web/ (${err.message})`);
}

const summary = { ok: false, url, steps: [], checks: {} };
const pageErrors = [];
const consoleErrors = [];
const started = Date.now();

function check(name, condition, detail) {
  summary.checks[name] = Boolean(condition);
  if (!condition) throw new Error(`check failed: ${name}${detail === undefined ? '' : ` (${JSON.stringify(detail)})`}`);
}

async function step(name, fn) {
  const t0 = Date.now();
  summary.currentStep = name;
  await fn();
  summary.steps.push({ name, ms: Date.now() - t0 });
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-widget-chromium-'));
const watchdog = setTimeout(() => {
  summary.error = `timed out in step ${summary.currentStep}`;
  process.stdout.write(JSON.stringify(summary) + '\n');
  process.exit(1);
}, Number(process.env.TOTAL_TIMEOUT_MS || 240000));

let context;
let page;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 720, height: 1000 },
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
  });
  summary.browser = context.browser()?.version() ?? null;
  context.setDefaultTimeout(STEP_TIMEOUT);
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });

  // ------------------------------------------------------------------ helpers
  const input = page.getByRole('textbox', { name: 'メッセージ' });
  const bubbles = () => page.evaluate(() => Array.from(document.querySelectorAll('#chat-log .msg')).map((m) => ({
    from: m.classList.contains('msg--bot') ? 'bot' : 'user',
    text: m.querySelector('.msg__text').innerText,
    buttons: Array.from(m.querySelectorAll('button')).map((b) => ({ title: b.textContent, enabled: !b.disabled })),
  })));
  const sessionId = () => page.evaluate(() => window.supportChat && window.supportChat.sessionId);
  const waitReady = () => page.waitForFunction(() => window.supportChat && window.supportChat.ready
    && document.getElementById('chat-status').textContent === '接続しました');
  // Record what the page emits to the server (after each page load).
  const spy = () => page.evaluate(() => {
    const socket = window.supportChat.socket;
    const emit = socket.emit.bind(socket);
    window.__sent = [];
    socket.emit = (event, ...rest) => {
      if (event === 'user_uttered') window.__sent.push(rest[0]);
      return emit(event, ...rest);
    };
  });
  const sent = () => page.evaluate(() => window.__sent.slice());
  // Wait for a new bot message (after `count` bubbles) whose text contains `needle`.
  const waitBot = async (count, needle) => {
    await page.waitForFunction(([n, text]) => Array.from(document.querySelectorAll('#chat-log .msg'))
      .slice(n).some((m) => m.classList.contains('msg--bot') && m.textContent.includes(text)), [count, needle]);
    return (await bubbles()).slice(count);
  };
  const settle = (ms) => page.waitForTimeout(ms);

  // ------------------------------------------------------------- first visit
  await step('open', async () => {
    const response = await page.goto(url);
    check('page_loaded', response && response.ok(), response && response.status());
    await waitReady();
    check('title', (await page.locator('h1').textContent()) === 'プロフェッショナル サポート 受付');
    check('placeholder', (await input.getAttribute('placeholder')) === 'メッセージを入力（Enterで送信、Shift+Enterで改行）');
    check('send_is_button', await page.getByRole('button', { name: '送信', exact: true }).count() === 1);
    check('reset_is_button', await page.getByRole('button', { name: '会話をリセット' }).count() === 1);
    check('log_is_live_region', await page.locator('#chat-log').getAttribute('aria-live') === 'polite');
    check('status_is_live_region', await page.locator('#chat-status').getAttribute('role') === 'status');
    check('welcome_hint_shown', await page.locator('#chat-hint').isVisible());
    await settle(1000);
    check('nothing_sent_on_open', (await bubbles()).length === 0);
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: welcomeShot });
    summary.firstSessionId = await sessionId();
    check('session_confirmed', typeof summary.firstSessionId === 'string' && summary.firstSessionId.length > 0);
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('professionalSupportChat.v1')));
    check('session_id_stored', stored && stored.sessionId === summary.firstSessionId);
    await spy();
  });

  // ---------------------------------------------------- IME: Enter must not send
  await step('ime_enter_does_not_send', async () => {
    await input.click();
    await page.keyboard.type('ぶしょ');
    // A real composition through Chromium's IME API: Enter confirms, it does not send.
    await page.evaluate(() => {
      window.__imeKeys = [];
      document.getElementById('chat-input').addEventListener('keydown', (e) => window.__imeKeys.push(
        { key: e.key, keyCode: e.keyCode, isComposing: e.isComposing }), { capture: true });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Input.imeSetComposition', { text: 'ぶしょ', selectionStart: 3, selectionEnd: 3 });
    await page.keyboard.press('Enter');
    await cdp.send('Input.insertText', { text: '部署' });
    await cdp.detach();
    summary.realImeEnter = await page.evaluate(() => window.__imeKeys.find((k) => k.key === 'Enter'));
    check('real_ime_enter_is_composing', summary.realImeEnter && summary.realImeEnter.isComposing, summary.realImeEnter);
    // The ways browsers report an Enter that belongs to the IME.
    const synthetic = await page.evaluate(() => {
      const box = document.getElementById('chat-input');
      const enter = (init) => box.dispatchEvent(new KeyboardEvent('keydown', {
        key: 'Enter', code: 'Enter', bubbles: true, cancelable: true, ...init,
      }));
      const results = {};
      results.isComposing = enter({ isComposing: true });                  // Chrome/Firefox
      results.keyCode229 = enter({ keyCode: 229, which: 229 });            // Safari after compositionend
      box.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
      results.betweenCompositionEvents = enter({});                        // no isComposing flag
      box.dispatchEvent(new CompositionEvent('compositionend', { data: '部署' }));
      return results; // dispatchEvent returns false when the widget called preventDefault()
    });
    check('ime_events_not_consumed', Object.values(synthetic).every(Boolean), synthetic);
    await settle(300);
    check('ime_enter_sent_nothing', (await sent()).length === 0 && (await bubbles()).length === 0);
    summary.imeText = await input.inputValue();
    check('ime_text_kept', summary.imeText.includes('部署'), summary.imeText);
    // Shift+Enter is a newline, not a send.
    await page.keyboard.press('Shift+Enter');
    check('shift_enter_newline', (await input.inputValue()).endsWith('\n') && (await sent()).length === 0);
    await input.fill('');
  });

  // ------------------------------------------------------------ conversation
  let replies;
  await step('problem_by_keyboard', async () => {
    await input.click();
    await page.keyboard.type(PROBLEM);
    await page.keyboard.press('Enter');
    check('input_cleared', (await input.inputValue()) === '');
    const first = (await bubbles())[0];
    check('user_bubble', first && first.from === 'user' && first.text === PROBLEM, first);
    const out = await sent();
    check('sent_with_session', out.length === 1 && out[0].message === PROBLEM
      && out[0].session_id === summary.firstSessionId, out);
    replies = await waitBot(1, '深刻度B');
    const withButtons = replies.find((r) => r.buttons.length);
    check('severity_b_buttons', withButtons && withButtons.buttons[0].title.startsWith('はい'), replies);
    check('choice_numbers_stripped', withButtons.buttons.every((b) => !/^\d+\./.test(b.title)));
  });

  await step('click_first_choice', async () => {
    const count = (await bubbles()).length;
    const button = page.locator('#chat-log .msg--bot', { hasText: '深刻度B' }).last().getByRole('button').first();
    const title = (await button.textContent()).trim();
    await button.click();
    const after = await bubbles();
    check('choice_title_as_user_bubble', after[count].from === 'user' && after[count].text === title, after[count]);
    check('choice_sends_payload', (await sent()).at(-1).message === '/affirm');
    check('answered_choices_disabled', await page.locator('.msg__choice:not([disabled])').count() === 0);
    replies = await waitBot(count + 1, 'ご契約');
    const contract = replies.find((r) => r.buttons.some((b) => b.title === 'オンデマンド'));
    check('contract_question', contract, replies);
  });

  // --------------------------------------------------------- network blip
  await step('reconnect_after_blip', async () => {
    const count = (await bubbles()).length;
    const before = await sessionId();
    // Drop the connection; reconnect after exactly 2 s so the queued message is seen queued.
    await page.evaluate(() => {
      const manager = window.supportChat.socket.io;
      manager.reconnectionDelay(2000);
      manager.randomizationFactor(0);
      manager.engine.close();
    });
    await page.waitForFunction(() => document.getElementById('chat-status').textContent === '再接続しています…');
    summary.statusDuringBlip = await page.locator('#chat-status').textContent();
    await input.fill(PRICE_QUESTION);
    await input.press('Enter');
    summary.queuedWhileOffline = await page.evaluate(() => document.querySelectorAll('.msg--pending').length);
    check('queued_while_offline', summary.queuedWhileOffline === 1);
    await waitReady();
    await page.evaluate(() => window.supportChat.socket.io.reconnectionDelay(1000).randomizationFactor(0.5));
    check('same_session_after_reconnect', (await sessionId()) === before);
    replies = await waitBot(count + 1, '円');
    check('queued_message_delivered', (await page.locator('.msg--pending').count()) === 0);
    const price = replies.find((r) => r.text.includes('円'));
    check('newlines_are_line_breaks', price.text.split('\n').length >= 3, price.text);
    const lineHeight = await page.locator('#chat-log .msg--bot', { hasText: '54,890円' }).last().locator('.msg__text')
      .evaluate((p) => p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight));
    check('price_bubble_has_several_lines', lineHeight >= 3, lineHeight);
    await page.waitForFunction((n) => {
      const msgs = Array.from(document.querySelectorAll('#chat-log .msg')).slice(n);
      return msgs.some((m) => Array.from(m.querySelectorAll('button:not([disabled])')).some((b) => b.textContent === 'オンデマンド'));
    }, count + 1); // the form asks for the contract again
  });

  // ------------------------------------------------------------- page reload
  let beforeReload;
  await step('reload_keeps_history', async () => {
    beforeReload = await bubbles();
    await page.reload();
    await waitReady();
    const after = await bubbles();
    check('history_restored', JSON.stringify(after) === JSON.stringify(beforeReload),
      { before: beforeReload.length, after: after.length });
    check('same_session_after_reload', (await sessionId()) === summary.firstSessionId);
    check('hint_hidden_with_history', !(await page.locator('#chat-hint').isVisible()));
    await spy();
    await settle(1000);
    check('nothing_sent_on_reload', (await sent()).length === 0 && (await bubbles()).length === beforeReload.length);
    // Keyboard: Shift+Tab from the input reaches the open choices; only the last are enabled.
    await input.focus();
    await page.keyboard.press('Shift+Tab');
    const focused = await page.evaluate(() => ({ tag: document.activeElement.tagName, text: document.activeElement.textContent }));
    check('choices_keyboard_reachable', focused.tag === 'BUTTON' && focused.text === 'わからない', focused);
    check('only_open_choices_enabled', await page.locator('.msg__choice:not([disabled])').count() === 5);
  });

  await step('continue_after_reload', async () => {
    const count = (await bubbles()).length;
    await page.locator('.msg__choice:not([disabled])', { hasText: /^オンデマンド$/ }).click();
    check('payload_after_reload', (await sent()).at(-1).message === '/inform_contract{"contract": "on_demand"}'
      && (await sent()).at(-1).session_id === summary.firstSessionId);
    await waitBot(count + 1, '会社名');
    // Contact details: each answer typed and sent with Enter, the next question awaited.
    const questions = ['お名前', '電話番号', 'メールアドレス', '受付方法'];
    let outcomeStart = count;
    for (const [index, answer] of CONTACT.entries()) {
      outcomeStart = (await bubbles()).length;
      await input.fill(answer);
      await input.press('Enter');
      await waitBot(outcomeStart + 1, questions[index]);
    }
    check('contact_details_asked_and_answered', (await sent()).slice(-4).map((m) => m.message).join('|') === CONTACT.join('|'));
    replies = await waitBot(outcomeStart + 1, '受付番号');
    summary.outcome = replies.filter((r) => r.from === 'bot').map((r) => r.text);
    check('ticket_number_shown', summary.outcome.some((t) => /PS-\d{8}-\d{4}/.test(t)), summary.outcome);
    await settle(1500); // let the last replies of the turn arrive
    await page.screenshot({ path: screenshot });
    summary.screenshots = [welcomeShot, screenshot];
    summary.transcript = await bubbles();
  });

  // ------------------------------------------------------------------ XSS
  await step('no_xss', async () => {
    const count = (await bubbles()).length;
    await input.fill(XSS_USER);
    await input.press('Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#chat-log .msg').length > n + 1, count);
    // A bot message with markup goes through the same handler as a real bot_uttered.
    await page.evaluate((text) => {
      const [handler] = window.supportChat.socket.listeners('bot_uttered');
      handler({ text, quick_replies: [{ title: '<i>選択</i>', payload: '/greet' }] });
    }, XSS_BOT);
    const all = await bubbles();
    check('user_markup_is_text', all[count].text === XSS_USER, all[count]);
    const botMsg = all.at(-1);
    check('bot_markup_is_text', botMsg.text === XSS_BOT && botMsg.buttons[0].title === '<i>選択</i>', botMsg);
    check('no_elements_injected', await page.locator('#chat-log img, #chat-log script, #chat-log b, #chat-log i').count() === 0);
    check('no_script_ran', await page.evaluate(() => window.__xss === undefined));
  });

  // ------------------------------------------------------------------ reset
  await step('reset', async () => {
    await page.getByRole('button', { name: '会話をリセット' }).click();
    await waitReady();
    await page.waitForFunction((old) => window.supportChat.sessionId && window.supportChat.sessionId !== old,
      summary.firstSessionId);
    summary.newSessionId = await sessionId();
    check('history_cleared', (await bubbles()).length === 0);
    check('hint_shown_again', await page.locator('#chat-hint').isVisible());
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('professionalSupportChat.v1')));
    check('storage_reset', stored && stored.entries.length === 0 && stored.sessionId === summary.newSessionId, stored);
    await settle(1000);
    check('nothing_sent_after_reset', (await bubbles()).length === 0);
    await page.reload();
    await waitReady();
    check('new_session_survives_reload', (await sessionId()) === summary.newSessionId && (await bubbles()).length === 0);
  });

  check('no_page_errors', pageErrors.length === 0, pageErrors);
  check('no_console_errors', consoleErrors.length === 0, consoleErrors);
  summary.ok = true;
} catch (err) {
  summary.error = String(err && err.stack ? err.stack.split('\n').slice(0, 4).join(' | ') : err);
  if (page) {
    const failure = screenshot.replace(/\.png$/, '-failure.png');
    try {
      fs.mkdirSync(path.dirname(failure), { recursive: true });
      await page.screenshot({ path: failure });
      summary.failureScreenshot = failure;
    } catch { /* the page is gone */ }
  }
} finally {
  clearTimeout(watchdog);
  summary.pageErrors = pageErrors;
  summary.consoleErrors = consoleErrors;
  summary.totalMs = Date.now() - started;
  delete summary.currentStep;
  if (context) await context.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(summary) + '\n');
process.exit(summary.ok ? 0 : 1);
