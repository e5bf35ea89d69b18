/*
 * cdp_check.ts — drive headless Chromium over the DevTools protocol to check the
 * debug UI page (07-runner/debug-ui, debug-only tooling; run by test_debug_ui.sh).
 *
 * Usage: bun cdp_check.ts DEVTOOLS_PORT PAGE_URL SCREENSHOT.png [TIMEOUT_S]
 * Opens PAGE_URL in a new tab, waits until the decisions table shows a row
 * whose action is "deny", saves a screenshot, and exits 0; exits 1 (with the
 * page's state) when no deny row appears in time. With a fifth argument HOST,
 * the traffic table must also show HOST's pod total (the end-of-pod
 * host_total event) with its bytes. Uses Bun's built-in
 * WebSocket client, so it needs nothing beyond Bun and Chromium.
 */
const [portArg, pageUrl, shotPath, timeoutArg, trafficHost] = Bun.argv.slice(2);
if (!portArg || !pageUrl || !shotPath) {
  console.error("usage: bun cdp_check.ts DEVTOOLS_PORT PAGE_URL SCREENSHOT.png [TIMEOUT_S]");
  process.exit(2);
}
const deadline = Date.now() + 1000 * Number(timeoutArg ?? 20);

// 1. A new tab on the page (Chromium wants PUT for /json/new).
const res = await fetch(`http://127.0.0.1:${portArg}/json/new?${encodeURI(pageUrl)}`, { method: "PUT" });
if (!res.ok) throw new Error(`DevTools /json/new: HTTP ${res.status}`);
const target = (await res.json()) as { webSocketDebuggerUrl: string };

// 2. A tiny CDP client: one request at a time, matched by id.
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
let nextId = 1;
const pending = new Map<number, (v: any) => void>();
ws.onmessage = (m) => {
  const msg = JSON.parse(String(m.data));
  if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)!(msg);
    pending.delete(msg.id);
  }
};
function call(method: string, params: object = {}): Promise<any> {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((ok) => pending.set(id, ok));
}
async function evaluate(expr: string): Promise<any> {
  const r = await call("Runtime.evaluate", { expression: expr, returnByValue: true });
  return r.result?.result?.value;
}

// 3. Wait for a deny row, then take the screenshot.
await call("Page.enable");
await call("Emulation.setDeviceMetricsOverride", { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
let denies = 0;
while (Date.now() < deadline) {
  denies = (await evaluate(`document.querySelectorAll('#decisions tbody tr[data-action="deny"]').length`)) ?? 0;
  if (denies > 0) break;
  await Bun.sleep(200);
}
await Bun.sleep(300); // let the last frame paint
const shot = await call("Page.captureScreenshot", { format: "png" });
if (shot.result?.data) await Bun.write(shotPath, Buffer.from(shot.result.data, "base64"));
const traffic = trafficHost
  ? await evaluate(`(document.querySelector('#traffic tbody tr[data-host=${JSON.stringify(trafficHost)}]') || {}).innerText || ""`)
  : null;
const summary = await evaluate(`JSON.stringify({state: document.getElementById('state').textContent,
  rows: document.querySelectorAll('#decisions tbody tr').length,
  conn: document.getElementById('conn').textContent,
  firstDeny: (document.querySelector('#decisions tbody tr[data-action="deny"]') || {}).innerText || null})`);
ws.close();
if (trafficHost && !(traffic && traffic.includes("pod total") && traffic.includes("5.1kB"))) {
  console.error(`debug-ui: no pod total for ${trafficHost} in the traffic table (row: ${JSON.stringify(traffic)}; ${summary})`);
  process.exit(1);
}
if (denies > 0) {
  console.log(`debug-ui: deny event shown in the page (${summary}); screenshot ${shotPath}`);
  process.exit(0);
}
console.error(`debug-ui: no deny event appeared in the page in time (${summary})`);
process.exit(1);
