// supervisor.ts — Bun as the supervisor (example/, see README.md).
//
//     make -C example supervisor           (as root; builds what it needs, runs it with the
//                                          project's Bun from .deps/)
//
// A Bun program that embeds the runner (07-runner/bun/podrun.ts over
// libpodrun.so) and supervises two pods at once under policies/demo.json:
//   - the Python example worker in service mode (02-ipc Python SDK), and
//   - the C-lib echo worker (build/echo.so),
// exchanges messages with both through the shared-memory rings, asks the Python
// worker to try a few things the policy forbids, and prints every denied action
// as the runner reports it (one audit event per decision).
//
//     make -C example supervisor-learn     (bun supervisor.ts learn)
//
// Learn-then-enforce: Pod.learn() runs the Python worker's `act` once in learn
// mode and returns the policy that run needed; the same run is then enforced by
// that policy (no denial), and once more without one of its rules (exactly that
// denial).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pod, type PodEvent } from "../07-runner/bun/podrun.ts";

const EX = import.meta.dir;
const dec = new TextDecoder();
const tmp = mkdtempSync(join(tmpdir(), "pod-supervisor-"));

/** Print the denied actions of a pod as they arrive (runs until the pod ends). */
async function watch(name: string, pod: Pod): Promise<void> {
  for await (const ev of pod.events())
    if (ev.action === "deny") console.log(`  [${name}] DENIED ${ev.cat} ${ev.what} (rule ${ev.rule}, from ${ev.src})`);
}

/** One request/response (blocking in the runner's loop), then a moment for the watchers. */
async function ask(name: string, pod: Pod, msg: string): Promise<void> {
  const reply = pod.request(msg, 10000);
  console.log(`  ${name} <- ${JSON.stringify(msg)}  -> ${reply ? JSON.stringify(dec.decode(reply)) : "(no reply)"}`);
  await Bun.sleep(20);
}

/** Learn a policy for one run of the Python worker, then enforce it. */
async function learnThenEnforce(): Promise<void> {
  const program = join(EX, "python/worker.py");
  const args = ["act", `read=${EX}/data/public.txt`, "run=/usr/bin/uname", "env=LANG"];
  console.log(`learn: ${program} ${args.join(" ")}`);
  const policy = await Pod.learn({ program, args, stdio: "ignore" });
  const rules = (policy._learned as { rules: Record<string, number[]> }).rules;
  // env rules name every variable the pod was given (this process's environment)
  const env = Object.keys(rules).filter((r) => r.startsWith("env "));
  for (const r of Object.keys(rules)) if (!r.startsWith("env ")) console.log(`  learned ${r}`);
  console.log(`  learned ${env.length} env names (${env.includes("env LANG") ? "LANG among them" : "no LANG"})`);
  for (const [label, pol] of [["enforce the learned policy", policy], ["enforce it without the read rule", dropRead(policy)]] as const) {
    const pod = await Pod.start({ program, args, policy: pol, stdio: "ignore" });
    const status = await pod.wait();
    const denied: string[] = [];
    for await (const ev of pod.events()) if (ev.action === "deny" || ev.action === "warn") denied.push(`${ev.action} ${ev.cat} ${ev.what}`);
    pod.free();
    console.log(`${label}: exit ${status}, ${denied.length ? denied.join("; ") : "no deny, no warn"}`);
  }
}

function dropRead(policy: Record<string, unknown>): Record<string, unknown> {
  const p = structuredClone(policy);
  const read = (p.fs as { read: { allow?: string[] } }).read;
  read.allow = (read.allow ?? []).filter((x) => x !== `${EX}/data/public.txt`);
  return p;
}

try {
  if (process.argv[2] === "learn") {
    await learnThenEnforce();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(0);
  }
  // 1. start both pods (the audit file turns on the eBPF syscall view too)
  const py = await Pod.start({
    program: join(EX, "python/worker.py"),
    policy: join(EX, "policies/demo.json"),
    // this checkout's paths, and one net rule so that the pod gets the proxy
    flags: [`--allow-read=${EX}/data/public.txt`, `--deny-read=${EX}/data/secret.txt`, "--warn-net=example.invalid:443"],
    audit: join(tmp, "python.jsonl"),
  });
  const echo = await Pod.start({ program: join(EX, "build/echo.so"), policy: join(EX, "policies/service.json") });
  const watchers = [watch("python", py), watch("echo.so", echo)];
  if (!(await py.ready())) throw new Error("the Python worker did not open its SDK session");
  console.log(`pods: python ${py.id} (pid ${py.pid}), echo.so ${echo.id} (pid ${echo.pid})`);

  // 2. messages both ways, with each
  console.log("messages:");
  await ask("python", py, "hello");
  await ask("echo.so", echo, "hello");
  for (let i = 1; i <= 3; i++) await ask("echo.so", echo, `message ${i}`);

  // 3. the Python worker tries what the policy forbids (and one allowed read);
  //    the runner's denials are printed by the watchers as they arrive
  console.log("actions (the worker's view; the runner's denials follow each):");
  await ask("python", py, `act read=${EX}/data/public.txt`);
  await ask("python", py, `act read=${EX}/data/secret.txt`);
  await ask("python", py, "act run=/usr/bin/id");
  await ask("python", py, "act env=AWS_SECRET_ACCESS_KEY");
  await ask("python", py, "act net=http://blocked.example/");

  // 4. stop both; the watchers end with their pods
  const [a, b] = await Promise.all([py.stop(), echo.stop()]);
  await Promise.all(watchers);
  console.log(`exit: python ${a}, echo.so ${b}; python denials: ` +
    ["net", "fs", "run", "env", "ffi"].map((c) => `${c} ${py.count(c, "deny")}`).join(", "));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

export type { PodEvent };
