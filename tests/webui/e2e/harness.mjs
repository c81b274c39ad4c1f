// Shared set-up for the web UI end-to-end tests: starts `hearth serve` on a fixture model with
// any free port, drives Debian's Chromium through playwright-core, saves screenshots.
//   HEARTH_BIN          the hearth binary (default: build/bin/hearth)
//   HEARTH_SHARED       fixtures (default: ../shared)
//   HEARTH_SCREENSHOTS  where screenshots go (default: <dir of HEARTH_BIN>/../ui-screenshots)
//   CHROMIUM            the browser (default: /usr/bin/chromium)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
const requireFromWebui = createRequire(path.join(repoRoot, 'webui', 'package.json'));

export const hearthBin = path.resolve(process.env.HEARTH_BIN ?? path.join(repoRoot, 'build/bin/hearth'));
export const sharedDir = path.resolve(process.env.HEARTH_SHARED ?? path.join(repoRoot, '../shared'));
export const screenshotDir = path.resolve(process.env.HEARTH_SCREENSHOTS ?? path.join(path.dirname(hearthBin), '..', 'ui-screenshots'));
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const modelFile = path.join(sharedDir, 'models', 'tiny-qwen2.Q8_0.gguf');
export const modelName = 'tiny-qwen2.Q8_0';

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

// Fails with a clear message (not a hang) when something the tests need is missing.
export function checkPrerequisites() {
  const missing = [];
  if (!existsSync(hearthBin)) missing.push(`hearth binary ${hearthBin} (build it, or set HEARTH_BIN)`);
  if (!existsSync(modelFile)) missing.push(`fixture model ${modelFile} (set HEARTH_SHARED)`);
  if (!existsSync(chromiumPath)) missing.push(`Chromium at ${chromiumPath} (scripts/setup.sh installs the 'chromium' package)`);
  try {
    requireFromWebui.resolve('playwright-core');
  } catch {
    missing.push('playwright-core in webui/node_modules (run: make webui-deps)');
  }
  if (missing.length) throw new Error(`web UI e2e tests cannot run; missing:\n  ${missing.join('\n  ')}`);
}

export async function startServer(extraArgs = []) {
  const child = spawn(hearthBin, ['serve', modelFile, '--port', '0', '--quiet', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hearth serve did not start within 30 s; output:\n${log}`)), 30_000);
    const onData = (d) => {
      log += d.toString();
      const m = log.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { log += d.toString(); });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hearth serve exited with ${code} before listening; output:\n${log}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    url,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function launchBrowser() {
  const { chromium } = requireFromWebui('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

// Runs `body` with a fresh page; on failure saves failure-<name>.png (and the page's console
// errors) before rethrowing.
export async function withPage(browser, baseUrl, name, body, viewport = desktop) {
  const context = await browser.newContext({ viewport, colorScheme: 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page.goto(baseUrl);
    await body(page, errors);
  } catch (e) {
    try {
      const file = await screenshot(page, `failure-${name}`);
      e.message += `\n(screenshot: ${file}; page errors: ${errors.join(' | ') || 'none'})`;
    } catch { /* the page may be gone */ }
    throw e;
  } finally {
    await context.close();
  }
}
