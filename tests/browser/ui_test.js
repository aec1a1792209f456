// Browser test of the web UI against a running xtrace-server (see run.sh):
// publishes a task with a known DAG, then drives Debian's chromium through
// the task list, the causal graph, the details panel, the swimlane and the
// critical path, checking what is on the page and saving screenshots.
//   node ui_test.js   with XT_HTTP, XTRACE_SERVER and XT_SCREENSHOTS set
'use strict';

const fs = require('fs');
const path = require('path');
const { publish } = require('./publish');
const { launch, waitStored, hex } = require('./browser');
const fx = require('./fixtures');

const http = process.env.XT_HTTP;
const reportsAddr = process.env.XTRACE_SERVER;
const shots = process.env.XT_SCREENSHOTS;
const bigEvents = Number(process.env.XT_BIG_EVENTS || 10000);

let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log('ok - ' + what); return; }
  failed++;
  console.log('not ok - ' + what + (detail !== undefined ? ': ' + JSON.stringify(detail) : ''));
}

async function main() {
  for (const v of ['XT_HTTP', 'XTRACE_SERVER', 'XT_SCREENSHOTS']) {
    if (!process.env[v]) throw new Error(v + ' is not set (run through run.sh)');
  }
  fs.mkdirSync(shots, { recursive: true });
  const now = Date.now() * 1000;
  const small = fx.smallTask(now - 5e6);
  const big = fx.bigTask(bigEvents, now - 60e6);
  await publish(reportsAddr, big.reports);
  await publish(reportsAddr, small.reports);
  await waitStored(http, small.reports.length + big.reports.length);
  const smallId = hex(small.taskId), bigId = hex(big.taskId);

  const { ctx, close } = await launch();
  const errors = [];
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));

    // Task list, and the label search going through the API.
    await page.goto(http + '/#/');
    await page.waitForSelector(`tr[data-task="${smallId}"]`);
    check(await page.isVisible(`tr[data-task="${bigId}"]`), 'task list shows both tasks');
    await page.screenshot({ path: path.join(shots, 'tasks.png') });
    await page.fill('input.search-q', 'adding 2 and 3');
    await page.waitForSelector(`tr[data-task="${bigId}"]`, { state: 'detached' });
    check(await page.isVisible(`tr[data-task="${smallId}"]`), 'search by label keeps the matching task');
    await page.fill('input.search-q', '');
    await page.waitForSelector(`tr[data-task="${bigId}"]`);

    // Live updates: a task published while the list is open appears in it.
    const late = fx.smallTask(Date.now() * 1000);
    await publish(reportsAddr, late.reports.slice(0, 1));
    await page.waitForSelector(`tr[data-task="${hex(late.taskId)}"]`, { timeout: 15000 }).catch(() => null);
    check(await page.isVisible(`tr[data-task="${hex(late.taskId)}"]`), 'a new task appears live, without reloading');

    // Causal graph: exactly one node per event, exactly the DAG's edges.
    await page.click(`tr[data-task="${smallId}"] a.task-title`);
    await page.waitForSelector(`body[data-rendered="${smallId}"]`);
    const nodes = await page.$$eval('svg.graph g.node', (gs) => gs.map((g) => g.getAttribute('data-event')));
    check(nodes.length === small.events.length, 'one SVG node per event', nodes.length);
    check(JSON.stringify(nodes.slice().sort()) === JSON.stringify(small.events.slice().sort()), 'nodes are the task\'s events');
    const edges = await page.$$eval('svg.graph path.edge', (ps) => ps.map((p) => [p.getAttribute('data-from'), p.getAttribute('data-to')]));
    const key = (l) => l.map((e) => e.join('>')).sort();
    check(JSON.stringify(key(edges)) === JSON.stringify(key(small.edges)), 'edges are exactly parent -> child', edges.length);
    const cross = await page.$$eval('svg.graph path.edge.process', (ps) => ps.length);
    check(cross === 4, 'four edges cross processes and are drawn as such', cross);

    // Details of the event whose label is markup: shown as text, never run.
    await page.click(`svg.graph g.node[data-event="${small.xssEvent}"]`);
    await page.waitForSelector('aside.details:not([hidden]) .details-label');
    const shown = await page.textContent('aside.details .details-label');
    check(shown === fx.XSS_LABEL, 'the <script> label is shown as text in the details', shown);
    const nodeText = await page.textContent(`svg.graph g.node[data-event="${small.xssEvent}"] text.label`);
    check(nodeText.startsWith('<script>'), 'the <script> label is shown as text in the node', nodeText);
    check(await page.evaluate(() => window.__xss === undefined), 'window.__xss is undefined');
    const inline = await page.$$eval('script', (ss) => ss.filter((s) => !s.src).length);
    check(inline === 0, 'no script element was injected', inline);
    const fields = await page.$$eval('aside.details dt', (dts) => dts.map((d) => d.textContent));
    check(['EventID', 'TaskID', 'Timestamp', 'HRT', 'Host', 'Agent', 'Source'].every((f) => fields.includes(f)),
      'the details list every report field', fields);
    await page.screenshot({ path: path.join(shots, 'graph.png') });

    // Swimlane: a dot per event, a lane per thread.
    await page.click('a.tab[data-tab="swimlane"]');
    await page.waitForSelector('.swimlane circle.dot');
    const dots = await page.$$eval('.swimlane circle.dot', (c) => c.length);
    check(dots === small.events.length, 'swimlane has a dot per event', dots);
    const lanes = await page.$$eval('.swimlane rect.lane', (r) => r.length);
    check(lanes === 4, 'swimlane has a lane per thread', lanes);
    await page.screenshot({ path: path.join(shots, 'swimlane.png') });

    // Critical path: the chain that decides the latency, in causal order.
    await page.click('a.tab[data-tab="critical"]');
    await page.waitForSelector('.crit-step');
    const steps = await page.$$eval('.crit-step', (li) => li.map((l) => l.getAttribute('data-event')));
    check(JSON.stringify(steps) === JSON.stringify(small.criticalPath), 'critical path steps', steps.length);
    const lit = await page.$$eval('svg.graph g.node.on-path', (g) => g.length);
    check(lit === small.criticalPath.length, 'critical path highlighted in the graph', lit);
    await page.screenshot({ path: path.join(shots, 'critical.png') });

    // The 10,000-event task: rendered in full; its time is printed, not judged.
    await page.goto(http + '/#/task/' + bigId);
    await page.waitForSelector(`body[data-rendered="${bigId}"]`, { timeout: 120000 });
    const r = await page.evaluate(() => window.__xtRender);
    const bigNodes = await page.$$eval('svg.graph g.node', (g) => g.length);
    check(bigNodes === big.reports.length, 'large task: one SVG node per event', bigNodes);
    console.log('render: ' + JSON.stringify(r));
    await page.screenshot({ path: path.join(shots, 'graph-10k.png') });
    check(errors.length === 0, 'no errors on the page', errors);
  } finally {
    await close();
  }
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error('ui_test: ' + (e && e.stack || e)); process.exitCode = 1; });
