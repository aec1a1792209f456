// Browser test of the web UI against a running xtrace-server (see run.sh):
// publishes a task with a known DAG, then drives Debian's chromium through
// the task list, the causal graph, the details panel, the swimlane and the
// critical path, checking what is on the page and saving screenshots; then
// a task of a million events (XT_HUGE_EVENTS) made by the test publisher:
// its condensed view, the marker, and one thread's events opened from it.
//   node ui_test.js   with XT_HTTP, XTRACE_SERVER, XT_PUBLISHER and XT_SCREENSHOTS set
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { publish } = require('./publish');
const { launch, waitStored, hex } = require('./browser');
const fx = require('./fixtures');

const http = process.env.XT_HTTP;
const reportsAddr = process.env.XTRACE_SERVER;
const shots = process.env.XT_SCREENSHOTS;
const bigEvents = Number(process.env.XT_BIG_EVENTS || 10000);
const hugeEvents = Number(process.env.XT_HUGE_EVENTS || 1000000);

let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log('ok - ' + what); return; }
  failed++;
  console.log('not ok - ' + what + (detail !== undefined ? ': ' + JSON.stringify(detail) : ''));
}

async function main() {
  for (const v of ['XT_HTTP', 'XTRACE_SERVER', 'XT_PUBLISHER', 'XT_SCREENSHOTS']) {
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

    // The process legend is beside the graph, never over it, and folds away.
    const covered = () => page.evaluate(() => {
      const l = document.querySelector('.legend').getBoundingClientRect();
      return Array.from(document.querySelectorAll('svg.graph g.node .box')).filter((b) => {
        const r = b.getBoundingClientRect();
        return r.left < l.right && r.right > l.left && r.top < l.bottom && r.bottom > l.top;
      }).length;
    });
    check(await covered() === 0, 'the legend covers no event of the graph', await covered());
    await page.click('.legend-toggle');
    check(await page.isHidden('.legend-rows'), 'the legend folds to its title');
    check(await covered() === 0, 'the folded legend covers no event either', await covered());
    await page.click('.legend-toggle');
    check(await page.isVisible('.legend-rows'), 'and unfolds again');

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

    await hugeTask(page);
    check(errors.length === 0, 'no errors on the page', errors);
  } finally {
    await close();
  }
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exitCode = failed ? 1 : 0;
}

// A million events: the condensed view first, a marker that says the task
// is not drawn whole and what is shown, and a thread's events on demand.
// The publisher prints the condensed view the task must have.
async function hugeTask(page) {
  const id = '0000000000abc123';
  const before = (await (await fetch(http + '/api/stats')).json()).stored;
  const want = JSON.parse(execFileSync(process.env.XT_PUBLISHER, [reportsAddr, 'huge', id, String(hugeEvents)],
    { maxBuffer: 64 << 20 }).toString());
  await waitStored(http, before + hugeEvents);
  await page.goto(http + '/#/task/' + id);
  await page.waitForSelector(`body[data-condensed="${id}"]`, { timeout: 120000 });
  console.log('condensed: ' + JSON.stringify(await page.evaluate(() => window.__xtCondensed)));
  const marker = await page.textContent('.too-large');
  check(/Too large to draw whole: [0-9,]+ events\. Shown: the condensed view/.test(marker) &&
    marker.includes(hugeEvents.toLocaleString('en-US')), 'marker: too large to draw whole, condensed view shown', marker);
  check(await page.$$eval('svg.graph g.node', (g) => g.length) === 0, 'no event is drawn one by one');
  const lanes = await page.$$eval('g.c-lane', (g) => g.map((l) => l.getAttribute('data-pid') + '/' + l.getAttribute('data-tid')));
  check(JSON.stringify(lanes.slice().sort()) === JSON.stringify(want.threads.map((t) => t.pid + '/' + t.tid).sort()),
    'a lane per thread', lanes.length);
  const segs = await page.$$eval('rect.c-crit-seg', (r) => r.length);
  check(segs === want.critical.segments.length, 'the critical path is drawn run by run', segs);
  const arcs = await page.$$eval('path.c-edge', (p) => p.length);
  check(arcs === want.edges.length, 'an arc per pair of linked threads', arcs);
  await page.screenshot({ path: path.join(shots, 'condensed-1m.png') });

  // The process that ran exec: its first page is the old program, its last the new one.
  const t = want.threads.find((x) => x.pid === 4003 && x.tid === 4003);
  await page.click('g.c-lane[data-pid="4003"][data-tid="4003"] rect.c-bar');
  await page.waitForSelector('body[data-part-loaded="4003:4003:0"]', { timeout: 60000 });
  const first = await page.$$eval('svg.graph g.node text.meta', (m) => m.map((x) => x.textContent));
  check(first.length === Math.min(2000, t.events), 'opening a thread loads its first page of events', first.length);
  check(first.every((m) => m.startsWith('sh:4003')), 'before exec the events name the old program', first[0]);
  const shown = await page.textContent('.too-large');
  check(shown.includes('events 1\u20132,000 of ' + t.events.toLocaleString('en-US')) && shown.includes('tid 4003'),
    'the marker says which events of which thread are shown', shown);
  await page.click('button.pager.last');
  const lastOffset = Math.floor((t.events - 1) / 2000) * 2000;
  await page.waitForSelector(`body[data-part-loaded="4003:4003:${lastOffset}"]`, { timeout: 60000 });
  const last = await page.$$eval('svg.graph g.node text.meta', (m) => m.map((x) => x.textContent));
  check(last.length === t.events - lastOffset && last.every((m) => m.startsWith('stage-two:4003')),
    'after exec the events show the new program\'s name', last[0]);
  await page.click('svg.graph g.node');
  await page.waitForSelector('aside.details:not([hidden]) dl.fields');
  const fields = await page.$$eval('aside.details dd', (d) => d.map((x) => x.textContent));
  check(fields.includes('stage-two --input -'), 'the details show the command line after exec');
  await page.screenshot({ path: path.join(shots, 'thread-1m.png') });
  await page.click('a.back-condensed');
  await page.waitForSelector('g.c-lane');
  check((await page.textContent('.too-large')).includes('Shown: the condensed view'), 'back to the condensed view');

  // A whole process: its threads' events together, in time order.
  const procEvents = want.threads.filter((x) => x.pid === 4001).reduce((n, x) => n + x.events, 0);
  await page.click('g.c-proc-row[data-pid="4001"]');
  await page.waitForSelector('body[data-part-loaded="4001:*:0"]', { timeout: 60000 });
  const metas = await page.$$eval('svg.graph g.node text.meta', (m) => m.map((x) => x.textContent));
  check(metas.length === Math.min(2000, procEvents) && metas.every((m) => m.startsWith('service:4001')),
    'opening a process loads its events', metas.length);
  check((await page.textContent('.too-large')).includes('of ' + procEvents.toLocaleString('en-US') + ' of process service (pid 4001)'),
    'the marker names the process shown');
}

main().catch((e) => { console.error('ui_test: ' + (e && e.stack || e)); process.exitCode = 1; });
