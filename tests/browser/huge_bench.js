// Open time of a million-event task in headless chromium (see
// tests/bench/huge/run): RUNS times a fresh page opens the task and waits
// for its condensed view to be painted; before each, in another fresh page
// of the same origin, the condensed JSON is fetched and parsed alone, the
// floor no drawing code can go below. Beside each: the server's peak RSS
// above idle while serving it (clear_refs before, VmHWM after).
//   node huge_bench.js TASK EVENTS RUNS   with XT_HTTP, XT_SERVER_PID, XT_IDLE_KB set
'use strict';

const fs = require('fs');
const { launch } = require('./browser');

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const pid = process.env.XT_SERVER_PID, idleKb = Number(process.env.XT_IDLE_KB);
const resetPeak = () => fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
const peakAboveIdleMiB = () =>
  (Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) - idleKb) / 1024;

async function floor(ctx, http, id) {
  const page = await ctx.newPage();
  await page.goto(http + '/api/stats');
  const ms = await page.evaluate(async (url) => {
    const t0 = performance.now();
    const c = await (await fetch(url)).json();
    if (!c.threads.length) throw new Error('empty condensed view');
    return performance.now() - t0;
  }, '/api/tasks/' + id + '/condensed');
  await page.close();
  return ms;
}

async function main() {
  const http = process.env.XT_HTTP;
  const [id, events, runs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] || 5)];
  if (!http || !pid || !idleKb || !id) throw new Error('usage: huge_bench.js TASK EVENTS RUNS with XT_HTTP, XT_SERVER_PID, XT_IDLE_KB');
  const { ctx, close } = await launch();
  const opens = [], views = [], floors = [], ratios = [], mems = [];
  try {
    for (let i = 0; i < runs; i++) {
      const f = await floor(ctx, http, id);
      const page = await ctx.newPage();
      resetPeak();
      await page.goto(http + '/#/task/' + id);
      await page.waitForSelector(`body[data-condensed="${id}"]`, { timeout: 120000 });
      const r = await page.evaluate(() => window.__xtCondensed);
      const mem = peakAboveIdleMiB();
      const marker = await page.textContent('.too-large');
      await page.close();
      if (r.events !== events || !marker.startsWith('Too large to draw whole'))
        throw new Error(`run ${i + 1}: the view showed ${r.events} of ${events} events, marker ${JSON.stringify(marker)}`);
      console.log(`run ${i + 1}: condensed view painted ${r.sinceNavigationMs} ms after navigation ` +
        `(${r.totalMs} ms after the view started; floor, the JSON alone: ${Math.round(f)} ms; ` +
        `${(r.totalMs / f).toFixed(2)}x), ${r.threads} threads, ${r.edges} thread pairs; ` +
        `server peak ${mem.toFixed(1)} MiB above idle`);
      opens.push(r.sinceNavigationMs); views.push(r.totalMs); floors.push(f); ratios.push(r.totalMs / f); mems.push(mem);
    }
  } finally {
    await close();
  }
  const s = [...opens].sort((a, b) => a - b);
  console.log(`open: median ${median(opens)} ms from navigation to the painted condensed view ` +
    `(min ${s[0]}, max ${s[s.length - 1]}, ${runs} runs, ${events} events); view ${median(views)} ms, ` +
    `floor ${Math.round(median(floors))} ms, view / floor median ${median(ratios).toFixed(2)}x`);
  console.log(`memory: server peak ${Math.max(...mems).toFixed(1)} MiB above idle at most (idle ${(idleKb / 1024).toFixed(1)} MiB)`);
}

main().catch((e) => { console.error('huge_bench: ' + (e && e.stack || e)); process.exitCode = 1; });
