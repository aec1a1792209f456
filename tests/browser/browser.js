// Launches Debian's chromium through playwright-core with a fresh profile,
// and waits for xtrace-server to have stored a number of reports.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xt-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { ctx, close };
}

async function waitStored(http, n) {
  const deadline = Date.now() + 60000;
  let stored = -1;
  while (Date.now() < deadline) {
    const s = await (await fetch(http + '/api/stats')).json();
    stored = s.stored;
    if (stored >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('only ' + stored + ' of ' + n + ' reports stored');
}

const hex = (v) => v.toString(16).padStart(16, '0');

module.exports = { launch, waitStored, hex };
