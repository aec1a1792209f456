// Render time of a 10,000-event task in headless chromium: publishes the
// benchmark task to a running xtrace-server, opens its graph RUNS times in a
// fresh page and prints each run's phases and the median.
//   node render_bench.js [EVENTS] [RUNS]   with XT_HTTP and XTRACE_SERVER set
'use strict';

const { publish } = require('./publish');
const { launch, waitStored, hex } = require('./browser');
const fx = require('./fixtures');

async function main() {
  const http = process.env.XT_HTTP, addr = process.env.XTRACE_SERVER;
  if (!http || !addr) throw new Error('XT_HTTP and XTRACE_SERVER must be set');
  const events = Number(process.argv[2] || 10000), runs = Number(process.argv[3] || 5);
  const task = fx.bigTask(events, Date.now() * 1000 - 60e6);
  await publish(addr, task.reports);
  await waitStored(http, task.reports.length);
  const id = hex(task.taskId);
  const { ctx, close } = await launch();
  const totals = [];
  try {
    for (let i = 0; i < runs; i++) {
      const page = await ctx.newPage();
      await page.goto(http + '/#/task/' + id);
      await page.waitForSelector(`body[data-rendered="${id}"]`, { timeout: 120000 });
      const r = await page.evaluate(() => window.__xtRender);
      console.log(`run ${i + 1}: ${r.events} events, ${r.edges} edges, ${r.chains} chains (${r.engine}): ` +
        `fetch+parse ${r.fetchMs} ms, layout ${r.layoutMs} ms, DOM ${r.buildMs} ms, painted ${r.totalMs} ms ` +
        `after the view started, ${r.sinceNavigationMs} ms after navigation`);
      totals.push(r.sinceNavigationMs);
      await page.close();
    }
  } finally {
    await close();
  }
  totals.sort((a, b) => a - b);
  console.log(`render: median ${totals[totals.length >> 1]} ms from navigation to painted graph ` +
    `(min ${totals[0]}, max ${totals[totals.length - 1]}, ${runs} runs, ${events} events)`);
}

main().catch((e) => { console.error('render_bench: ' + (e && e.stack || e)); process.exitCode = 1; });
