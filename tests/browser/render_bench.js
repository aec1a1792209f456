// Render time of a 10,000-event task in headless chromium: publishes the
// benchmark task to a running xtrace-server, opens its graph RUNS times in a
// fresh page and prints each run's phases, against a floor measured in the
// same run: in a fresh page of the same origin, fetching and parsing the
// same task's JSON and nothing else, which no drawing code can go below.
// Floor and render runs alternate, so both see the same machine. The ratio
// is the view's time (fetch to painted frame) over the floor's, per pair.
//   node render_bench.js [EVENTS] [RUNS]   with XT_HTTP and XTRACE_SERVER set
'use strict';

const { publish } = require('./publish');
const { launch, waitStored, hex } = require('./browser');
const fx = require('./fixtures');

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

// The floor: the task's JSON fetched and parsed in a page of the UI's
// origin, timed in the page as the view times its own fetch.
async function floor(ctx, http, id) {
  const page = await ctx.newPage();
  await page.goto(http + '/api/stats');
  const f = await page.evaluate(async (url) => {
    const t0 = performance.now();
    const json = await (await fetch(url)).json();
    return { ms: performance.now() - t0, reports: json[0].reports.length };
  }, '/interactive/reports/' + id);
  await page.close();
  return f;
}

async function main() {
  const http = process.env.XT_HTTP, addr = process.env.XTRACE_SERVER;
  if (!http || !addr) throw new Error('XT_HTTP and XTRACE_SERVER must be set');
  const events = Number(process.argv[2] || 10000), runs = Number(process.argv[3] || 5);
  const task = fx.bigTask(events, Date.now() * 1000 - 60e6);
  await publish(addr, task.reports);
  await waitStored(http, task.reports.length);
  const id = hex(task.taskId);
  const { ctx, close } = await launch();
  const totals = [], floors = [], ratios = [];
  try {
    await floor(ctx, http, id); // the server's and the browser's caches, as every run after finds them
    for (let i = 0; i < runs; i++) {
      const f = await floor(ctx, http, id);
      if (f.reports !== task.reports.length)
        throw new Error(`floor run ${i + 1} parsed ${f.reports} of ${task.reports.length} reports`);
      const page = await ctx.newPage();
      await page.goto(http + '/#/task/' + id);
      await page.waitForSelector(`body[data-rendered="${id}"]`, { timeout: 120000 });
      const r = await page.evaluate(() => window.__xtRender);
      await page.close();
      // A view that drew part of the task would measure something else.
      if (r.events !== task.reports.length)
        throw new Error(`render run ${i + 1} drew ${r.events} of ${task.reports.length} events`);
      const ratio = r.totalMs / f.ms;
      console.log(`run ${i + 1}: ${r.events} events, ${r.edges} edges, ${r.chains} chains (${r.engine}): ` +
        `floor (fetch+parse alone) ${Math.round(f.ms)} ms; view: fetch+parse ${r.fetchMs} ms, layout ${r.layoutMs} ms, ` +
        `DOM ${r.buildMs} ms, painted ${r.totalMs} ms after the view started (${ratio.toFixed(2)}x the floor), ` +
        `${r.sinceNavigationMs} ms after navigation`);
      totals.push(r.sinceNavigationMs);
      floors.push(f.ms);
      ratios.push(ratio);
    }
  } finally {
    await close();
  }
  const sorted = [...totals].sort((a, b) => a - b);
  console.log(`render: median ${median(totals)} ms from navigation to painted graph ` +
    `(min ${sorted[0]}, max ${sorted[sorted.length - 1]}, ${runs} runs, ${events} events)`);
  console.log(`ratio: view (fetch to painted) / floor (fetch+parse alone), median of ${runs} pairs: ` +
    `${median(ratios).toFixed(2)}x (floor median ${Math.round(median(floors))} ms)`);
}

main().catch((e) => { console.error('render_bench: ' + (e && e.stack || e)); process.exitCode = 1; });
