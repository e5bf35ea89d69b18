// bench.ts — Bun supervisor vs C supervisor: message round trip with a C-lib
// echo worker (07-runner/bun). Run by `make -C 07-runner/bun bench`.
//
//     bun bench/bench.ts C_RTT ECHO_SO POLICY [N]
//
// Both sides start the same pod through libpodrun and do N request/response
// round trips (1-byte message, "echo: x" reply) after 1000 warm-up ones: Bun
// with Pod.request(), C with podrun_send()/podrun_dispatch()/podrun_recv()
// (bench/c_rtt.c). Best of 3 runs each, interleaved, on the same machine.
import { Pod } from "../podrun.ts";

const [cRtt, echoSo, policy] = process.argv.slice(2);
const n = Number(process.argv[5] ?? 20000);

async function bunRun(): Promise<number> {
  const pod = await Pod.start({ program: echoSo, policy, stdio: "ignore" });
  try {
    for (let i = 0; i < 1000; i++) if (!pod.request("x")) throw new Error("no reply");
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (!pod.request("x")) throw new Error("no reply");
    return ((performance.now() - t0) * 1000) / n;
  } finally {
    await pod.stop();
  }
}

function cRun(): number {
  const r = Bun.spawnSync([cRtt, echoSo, policy, String(n)]);
  const m = /rtt_us ([0-9.]+)/.exec(r.stdout.toString());
  if (r.exitCode !== 0 || !m) throw new Error(`c_rtt failed: ${r.stderr.toString()}`);
  return Number(m[1]);
}

const bun: number[] = [], c: number[] = [];
for (let i = 0; i < 3; i++) {
  bun.push(await bunRun());
  c.push(cRun());
}
const b = Math.min(...bun), cc = Math.min(...c);
const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
console.log(`Bun supervisor vs C supervisor: ${n} round trips with a C-lib echo pod, best of 3 (load ${load})`);
console.log(`  ${"supervisor".padEnd(12)} ${"rtt us".padStart(8)}   runs`);
console.log(`  ${"bun".padEnd(12)} ${b.toFixed(2).padStart(8)}   ${bun.map((x) => x.toFixed(2)).join(" ")}`);
console.log(`  ${"c".padEnd(12)} ${cc.toFixed(2).padStart(8)}   ${c.map((x) => x.toFixed(2)).join(" ")}`);
console.log(`BENCH 07-runner bun_supervisor_rtt ${b.toFixed(2)} us vs=c_supervisor ratio=${(b / cc).toFixed(2)}`);
