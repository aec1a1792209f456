// One measurement of the million-event task benchmark (tests/bench/huge/run
// runs it against a freshly started server each time, so nothing is cached):
//   node huge_bench.js floor TASK   fetch and parse the condensed JSON alone in
//                                   a page of the UI's origin: the floor no
//                                   drawing code can go below
//   node huge_bench.js view TASK EVENTS
//                                   open the task in a fresh page until its
//                                   condensed view is painted, then once more
//                                   in another page (the kept answer); with the
//                                   server's peak RSS above idle for the first
// Prints one JSON line. XT_HTTP set; for view also XT_SERVER_PID, XT_IDLE_KB.
'use strict';

const fs = require('fs');
const { launch } = require('./browser');

const pid = process.env.XT_SERVER_PID, idleKb = Number(process.env.XT_IDLE_KB);
const peakAboveIdleMiB = () =>
  (Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) - idleKb) / 1024;

async function open(ctx, http, id, events) {
  const page = await ctx.newPage();
  await page.goto(http + '/#/task/' + id);
  await page.waitForSelector(`body[data-condensed="${id}"]`, { timeout: 120000 });
  const r = await page.evaluate(() => window.__xtCondensed);
  const marker = await page.textContent('.too-large');
  await page.close();
  if (r.events !== events || !marker.startsWith('Too large to draw whole'))
    throw new Error(`the view showed ${r.events} of ${events} events, marker ${JSON.stringify(marker)}`);
  return r;
}

async function main() {
  const http = process.env.XT_HTTP, [mode, id, events] = [process.argv[2], process.argv[3], Number(process.argv[4])];
  if (!http || !id || (mode !== 'floor' && mode !== 'view')) throw new Error('usage: huge_bench.js floor|view TASK [EVENTS]');
  const { ctx, close } = await launch();
  try {
    if (mode === 'floor') {
      const page = await ctx.newPage();
      await page.goto(http + '/api/stats');
      const ms = await page.evaluate(async (url) => {
        const t0 = performance.now();
        const c = await (await fetch(url)).json();
        if (!c.threads.length) throw new Error('empty condensed view');
        return performance.now() - t0;
      }, '/api/tasks/' + id + '/condensed');
      console.log(JSON.stringify({ floorMs: Math.round(ms) }));
      return;
    }
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // peak RSS from now
    const cold = await open(ctx, http, id, events);
    const mem = peakAboveIdleMiB();
    const warm = await open(ctx, http, id, events);
    console.log(JSON.stringify({ coldNavMs: cold.sinceNavigationMs, coldViewMs: cold.totalMs, warmNavMs: warm.sinceNavigationMs,
      warmViewMs: warm.totalMs, peakMiB: Math.round(mem * 10) / 10, threads: cold.threads, edges: cold.edges }));
  } finally {
    await close();
  }
}

main().catch((e) => { console.error('huge_bench: ' + (e && e.stack || e)); process.exitCode = 1; });
