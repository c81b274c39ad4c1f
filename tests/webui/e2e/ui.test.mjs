// End-to-end tests of the web UI in real Chromium against `hearth serve` on a fixture model
// (random weights: gibberish, but deterministic for a given seed).
//   node --test tests/webui/e2e/      (see harness.mjs for the environment variables)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkPrerequisites, desktop, launchBrowser, modelName, phone, screenshot, startServer, withPage } from './harness.mjs';

let server;
let browser;

before(async () => {
  checkPrerequisites();
  server = await startServer(['-c', '4096']);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// ---- helpers -----------------------------------------------------------------------------

async function ready(page) {
  await page.waitForFunction(() => {
    const s = document.querySelector('#model');
    return s && [...s.options].some((o) => o.value !== '');
  });
}

async function setControl(page, key, value) {
  const input = page.locator(`[data-control="${key}"] input.num`);
  await input.fill(String(value));
  await input.dispatchEvent('change');
  await page.waitForFunction(([k, v]) => document.querySelector(`[data-control="${k}"] input.num`)?.value === v, [key, String(value)]);
}

async function setSeed(page, seed) {
  const input = page.locator('input[name="seed"]');
  await input.fill(String(seed));
  await input.dispatchEvent('change');
  await page.waitForFunction((v) => document.querySelector('input[name="seed"]')?.value === v && document.querySelector('input[value="fixed"]')?.checked, String(seed));
}

async function idle(page) {
  await page.waitForSelector('button.stop', { state: 'hidden', timeout: 60_000 });
}

// Records the bodies of chat requests and the status and type of their responses.
function recordChat(page) {
  const calls = [];
  page.on('response', (response) => {
    if (!response.url().endsWith('/v1/chat/completions')) return;
    calls.push({ body: response.request().postDataJSON(), status: response.status(), contentType: response.headers()['content-type'] ?? '' });
  });
  return calls;
}

// Records the lengths the answer being generated had on screen, to see it grow while streaming.
async function watchStreaming(page) {
  await page.evaluate(() => {
    window.__streamedLengths = new Set();
    new MutationObserver(() => {
      const body = document.querySelector('.msg.assistant.streaming .msg-body');
      if (body && body.textContent.trim() && body.textContent !== '…') window.__streamedLengths.add(body.textContent.length);
    }).observe(document.querySelector('.thread'), { subtree: true, childList: true, characterData: true });
  });
  return async () => page.evaluate(() => window.__streamedLengths.size);
}

async function send(page, text) {
  const before = await page.locator('.msg.assistant').count();
  await page.fill('#prompt', text);
  await page.click('button.send');
  await page.waitForFunction((n) => document.querySelectorAll('.msg.assistant').length > n, before);
  await idle(page);
}

const lastAnswer = (page) => page.locator('.msg.assistant').last();

async function tokenTexts(answer) {
  return answer.locator('.tok').allTextContents();
}

async function showConfidence(answer) {
  const toggle = answer.locator('button.toggle-confidence');
  if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
  await answer.locator('.tok').first().waitFor();
}

// ---- tests -------------------------------------------------------------------------------

describe('hearth web UI', () => {
  test('serves the built UI, not the placeholder', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    assert.doesNotMatch(html, /web UI was not built/, 'hearth embeds the placeholder page: webui/node_modules were missing at build time');
    assert.match(html, /<script type="module"[^>]*src="\/assets\/[^"]+\.js"/);
    const js = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
    const r = await fetch(`${server.url}${js}`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /javascript/);
  });

  test('sends a message and shows a streamed answer with speed and context use', async () => {
    await withPage(browser, server.url, 'chat', async (page, errors) => {
      const calls = recordChat(page);
      await ready(page);
      assert.equal(await page.locator('#model').inputValue(), modelName);
      await setControl(page, 'max_tokens', 400);
      const partialLengths = await watchStreaming(page);
      await send(page, 'Write a short poem about the sea.');
      const answer = lastAnswer(page);
      const text = (await answer.locator('.msg-body').textContent()).trim();
      assert.ok(text.length > 0, 'the answer is empty');
      assert.equal(calls.length, 1);
      assert.equal(calls[0].status, 200);
      assert.match(calls[0].contentType, /text\/event-stream/);
      const partial = await partialLengths();
      assert.ok(partial >= 2, `expected the answer to grow on screen while streaming; saw ${partial} partial state(s)`);
      assert.equal(calls[0].body.stream, true);
      assert.equal(calls[0].body.logprobs, true);
      await answer.locator('.stats').waitFor();
      const stats = await answer.locator('.stats').textContent();
      assert.match(stats, /generation [\d.]+ tok\/s/);
      assert.match(stats, /first token \d+ ms/);
      assert.match(stats, /context \d+ \/ 4096/);
      assert.match(await answer.locator('.confidence-summary').textContent(), /mean log p -?[\d.]+ · perplexity [\d.]+ · [\d.e+-]+% low-confidence/);
      // Multi-turn: the second request carries the first exchange.
      await setControl(page, 'max_tokens', 40);
      await send(page, 'And another one.');
      assert.equal(calls.length, 2);
      assert.deepEqual(calls[1].body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
      await screenshot(page, 'chat-desktop');
      // Conversations survive a reload.
      await page.reload();
      await ready(page);
      assert.equal(await page.locator('.msg').count(), 4);
      assert.match(await page.locator('.conv.active .conv-title').textContent(), /Write a short poem/);
      assert.deepEqual(errors, []);
    });
  });

  test('temperature and seed are sent and shown; the same seed gives the same answer', async () => {
    await withPage(browser, server.url, 'seed', async (page) => {
      const calls = recordChat(page);
      await ready(page);
      await page.click('button[data-preset="creative"]');
      assert.equal(await page.locator('[data-control="temperature"] input.num').inputValue(), '1.2');
      const temperature = page.locator('[data-control="temperature"] input.num');
      await temperature.fill('7');
      await temperature.dispatchEvent('change');
      assert.equal(await temperature.inputValue(), '2', 'out-of-range values are clamped');
      await setControl(page, 'temperature', 1.3);
      await setControl(page, 'max_tokens', 24);
      await setSeed(page, 1234);
      await send(page, 'Tell me a story.');
      assert.equal(calls[0].body.temperature, 1.3);
      assert.equal(calls[0].body.seed, 1234);
      const answer = lastAnswer(page);
      assert.match(await answer.locator('.params').textContent(), /temp 1\.3 .*seed 1234/);
      const first = await answer.locator('.msg-body').textContent();
      await answer.locator('button.regenerate').click();
      await idle(page);
      assert.equal(await lastAnswer(page).locator('.variant-index').textContent(), '2/2');
      assert.equal(await lastAnswer(page).locator('.msg-body').textContent(), first, 'same seed, different answer');
      await setSeed(page, 98765);
      await lastAnswer(page).locator('button.regenerate').click();
      await idle(page);
      assert.equal(calls[2].body.seed, 98765);
      assert.notEqual(await lastAnswer(page).locator('.msg-body').textContent(), first, 'another seed at temperature 1.3 gave the identical answer');
      // Versions stay reachable.
      await lastAnswer(page).locator('button[aria-label="Previous version"]').click();
      assert.equal(await lastAnswer(page).locator('.variant-index').textContent(), '2/3');
      assert.equal(await lastAnswer(page).locator('.msg-body').textContent(), first);
    });
  });

  test('the confidence view shows alternatives, and branching starts the new answer with the chosen token', async () => {
    await withPage(browser, server.url, 'confidence', async (page) => {
      const calls = recordChat(page);
      await ready(page);
      await setControl(page, 'max_tokens', 30);
      await setSeed(page, 7);
      await send(page, 'Explain the tides.');
      const answer = lastAnswer(page);
      await showConfidence(answer);
      await answer.locator('.legend').waitFor();
      const before = await tokenTexts(answer);
      assert.ok(before.length >= 4, `need a few tokens, got ${before.length}`);
      const index = 2;
      await answer.locator(`.tok[data-index="${index}"]`).hover();
      const popover = page.locator('.popover');
      await popover.waitFor({ state: 'visible' });
      assert.match(await popover.locator('.pop-meta').textContent(), /entropy [\d.]+ nats/);
      const alternatives = popover.locator('.alternatives li');
      assert.ok((await alternatives.count()) >= 3, 'expected the top alternatives');
      assert.match(await alternatives.first().textContent(), /\d%/);
      await screenshot(page, 'confidence-desktop');
      const branch = popover.locator('button.alt-branch').first();
      const label = await branch.getAttribute('aria-label');
      const chosen = JSON.parse(label.match(/^Branch with (".*") \(/)[1]);
      await branch.click();
      await idle(page);
      const request = calls.at(-1).body;
      assert.equal(request.continue_final_message, true);
      const last = request.messages.at(-1);
      assert.equal(last.role, 'assistant');
      assert.ok(last.content.endsWith(chosen), `the open answer ${JSON.stringify(last.content)} should end with ${JSON.stringify(chosen)}`);
      const branched = lastAnswer(page);
      assert.match(await branched.locator('.badge').textContent(), /branched at token 3/);
      assert.equal(await branched.locator('.variant-index').textContent(), '2/2');
      const after = await tokenTexts(branched);
      assert.deepEqual(after.slice(0, index), before.slice(0, index), 'the tokens before the branch point changed');
      const forced = branched.locator(`.tok[data-index="${index}"]`);
      assert.match(await forced.getAttribute('class'), /forced/);
      assert.ok(after.length > index + 1, 'nothing was generated after the forced token');
      assert.ok(calls.at(-1).status === 200 && /text\/event-stream/.test(calls.at(-1).contentType));
    });
  });

  test('"sample 4" shows four answers and where they diverge; temperature 0 agrees', async () => {
    await withPage(browser, server.url, 'samples', async (page) => {
      const calls = recordChat(page);
      await ready(page);
      await setControl(page, 'temperature', 1.2);
      await setControl(page, 'max_tokens', 16);
      await setSeed(page, 500);
      await page.fill('#prompt', 'Name a colour.');
      assert.equal(await page.locator('button.sample').textContent(), 'Sample 4');
      await page.click('button.sample');
      await idle(page);
      assert.deepEqual(calls.map((c) => c.body.seed), [500, 501, 502, 503]);
      const run = page.locator('.samples').last();
      assert.equal(await run.locator('.sample').count(), 4);
      assert.match(await run.locator('.samples-summary').textContent(), /First divergence at token \d+:/);
      assert.ok((await run.locator('.diverge-marker').count()) >= 1);
      const counts = (await run.locator('.continuation').evaluateAll((els) => els.map((e) => Number(e.dataset.count))));
      assert.equal(counts.reduce((a, b) => a + b, 0), 4, 'continuation counts should cover all four samples');
      await screenshot(page, 'samples-desktop');
      await setControl(page, 'temperature', 0);
      await page.fill('#prompt', 'Name a colour.');
      await page.click('button.sample');
      await idle(page);
      const greedy = page.locator('.samples').last();
      assert.equal(await greedy.locator('.sample').count(), 4);
      assert.match(await greedy.locator('.samples-summary').textContent(), /All 4 samples agree/);
      assert.equal(await greedy.locator('.diverge-marker').count(), 0);
    });
  });

  test('model output containing <script> is shown as text, also after a branch', async () => {
    await withPage(browser, server.url, 'xss', async (page, errors) => {
      await ready(page);
      const payload = '<script>window.__xss=1</script>';
      const alt = '<img src=x onerror="window.__xss=2">';
      const conversation = {
        id: 'xss', title: 'xss', systemPrompt: '', model: modelName, updated: Date.now(),
        messages: [
          { id: 'u', role: 'user', content: '<b>bold?</b>' },
          { id: 'a', role: 'assistant', current: 0, variants: [{
            text: `${payload} **x** \`<i>\``, params: 'seeded', model: modelName, finishReason: 'stop', stopReason: null, usage: null, timings: null, clientTtftMs: null,
            tokens: [
              { token: '<script>', logprob: -0.1, top_logprobs: [{ token: '<script>', logprob: -0.1 }, { token: alt, logprob: -2.5 }], entropy: 0.4 },
              { token: 'window.__xss=1', logprob: -0.7, top_logprobs: [] },
              { token: '</script>', logprob: -0.2, top_logprobs: [] },
            ],
          }] },
        ],
      };
      await page.evaluate((c) => localStorage.setItem('hearth.conversations.v1', JSON.stringify([c])), conversation);
      await page.reload();
      await ready(page);
      const answer = lastAnswer(page);
      assert.ok((await answer.locator('.msg-body').textContent()).includes(payload));
      assert.equal(await page.locator('.thread script, .thread img, .thread i, .thread b').count(), 0);
      assert.equal(await page.locator('.msg.user .msg-body').textContent(), '<b>bold?</b>');
      await showConfidence(answer);
      await answer.locator('.tok[data-index="0"]').click();
      await page.locator('.popover button.alt-branch').first().click();
      await idle(page);
      const branched = lastAnswer(page);
      await branched.locator('button.toggle-confidence').click(); // back to the Markdown view
      const text = await branched.locator('.msg-body').textContent();
      assert.ok(text.startsWith(alt), `expected the branched answer to start with the forced text, got ${JSON.stringify(text.slice(0, 80))}`);
      assert.equal(await page.locator('.thread script, .thread img').count(), 0);
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.deepEqual(errors, []);
    });
  });

  test('edit-and-resend replaces the rest of the conversation; JSON mode is sent', async () => {
    await withPage(browser, server.url, 'edit', async (page) => {
      const calls = recordChat(page);
      await ready(page);
      await setControl(page, 'max_tokens', 6);
      await send(page, 'First question');
      await send(page, 'Second question');
      assert.equal(await page.locator('.msg').count(), 4);
      await page.locator('.msg.user').first().locator('button.edit').click();
      await page.fill('.edit-area', 'Edited question');
      await page.locator('.edit-form button[type="submit"]').click();
      await idle(page);
      assert.equal(await page.locator('.msg').count(), 2);
      assert.equal((await page.locator('.msg.user .msg-body').textContent()).trim(), 'Edited question');
      assert.deepEqual(calls.at(-1).body.messages.map((m) => m.role), ['user']);
      await page.selectOption('select[name="json-mode"]', 'json');
      await setControl(page, 'max_tokens', 12);
      await send(page, 'Give me JSON');
      assert.deepEqual(calls.at(-1).body.response_format, { type: 'json_object' });
      assert.equal(calls.at(-1).status, 200);
      const text = (await lastAnswer(page).locator('.msg-body').textContent()).trim();
      assert.match(text, /^[[{"\d-tfn]/, `a JSON-mode answer should start like a JSON value: ${JSON.stringify(text.slice(0, 40))}`);
    });
  });

  test('stop ends a long answer early', async () => {
    await withPage(browser, server.url, 'stop', async (page) => {
      await ready(page);
      await setControl(page, 'max_tokens', 4000);
      await setControl(page, 'temperature', 1.5);
      await page.fill('#prompt', 'Go on forever.');
      await page.click('button.send');
      await page.locator('.msg.assistant.streaming .tok, .msg.assistant.streaming .msg-body p').first().waitFor({ timeout: 30_000 });
      await page.click('button.stop');
      await idle(page);
      assert.match(await lastAnswer(page).locator('.stats').textContent(), /stop: stopped/);
      // The server freed the slot: the next request is answered.
      await setControl(page, 'max_tokens', 8);
      await send(page, 'Short one.');
      assert.doesNotMatch(await lastAnswer(page).locator('.stats').textContent(), /stopped/);
    });
  });

  test('conversations can be renamed and deleted; the theme switches', async () => {
    await withPage(browser, server.url, 'conversations', async (page) => {
      await ready(page);
      await setControl(page, 'max_tokens', 4);
      await send(page, 'First chat');
      await page.click('button.new-chat');
      await send(page, 'Second chat');
      assert.equal(await page.locator('.conv').count(), 2);
      await page.locator('.conv.active button.rename').click();
      await page.fill('.rename-input', 'Renamed');
      await page.press('.rename-input', 'Enter');
      assert.equal(await page.locator('.conv.active .conv-title').textContent(), 'Renamed');
      await page.locator('.conv:not(.active) button.delete').click();
      await page.locator('.conv:not(.active) button.delete').click();
      assert.equal(await page.locator('.conv').count(), 1);
      await page.reload();
      await ready(page);
      assert.deepEqual(await page.locator('.conv-title').allTextContents(), ['Renamed']);
      await page.click('button.theme'); // auto → light
      await page.click('button.theme'); // light → dark
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, 'rgb(20, 20, 22)');
      await screenshot(page, 'chat-desktop-dark');
    });
  });

  test('phone-sized viewport: chat, confidence and samples', async () => {
    await withPage(browser, server.url, 'phone', async (page) => {
      await ready(page);
      assert.ok(await page.locator('#controls-drawer').evaluate((e) => e.getBoundingClientRect().left >= window.innerWidth - 1), 'settings drawer should start closed on a phone');
      await page.click('button.drawer-toggle.right');
      await page.locator('#controls-drawer').waitFor();
      await setControl(page, 'max_tokens', 24);
      await setSeed(page, 3);
      await page.click('button.drawer-toggle.right');
      await send(page, 'Hello from a phone');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `page scrolls sideways on a phone (${width}px wide)`);
      await screenshot(page, 'chat-phone');
      const answer = lastAnswer(page);
      await showConfidence(answer);
      await answer.locator('.tok[data-index="1"]').tap().catch(() => answer.locator('.tok[data-index="1"]').click());
      await page.locator('.popover.sheet').waitFor({ state: 'visible' });
      await screenshot(page, 'confidence-phone');
      await page.keyboard.press('Escape');
      await page.fill('#prompt', 'Name a colour.');
      await page.click('button.sample');
      await idle(page);
      await page.locator('.samples').last().scrollIntoViewIfNeeded();
      await screenshot(page, 'samples-phone');
    }, phone);
  });

  test('keyboard: tokens are reachable and arrow keys move between them', async () => {
    await withPage(browser, server.url, 'keyboard', async (page) => {
      await ready(page);
      await setControl(page, 'max_tokens', 8);
      await send(page, 'Hi');
      await showConfidence(lastAnswer(page));
      await lastAnswer(page).locator('.tok').first().focus();
      await page.keyboard.press('ArrowRight');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.index), '1');
      await page.locator('.popover').waitFor({ state: 'visible' });
      await page.keyboard.press('Escape');
      await page.locator('.popover').waitFor({ state: 'hidden' });
      // Every form control has an accessible name.
      const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
        .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim() || e.getAttribute('aria-labelledby')))
        .map((e) => e.outerHTML.slice(0, 80)));
      assert.deepEqual(unlabeled, []);
    }, desktop);
  });
});
