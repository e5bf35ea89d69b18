// fixture_exit.ts — a Bun supervisor that ends badly (07-runner/bun tests).
//     bun fixture_exit.ts MODE ECHO_SO POLICY
// Starts a C-lib echo pod, prints "pod <init pid> <runner socket dir>" (the
// directory is found in the pod host's --pod-socket= argument), then ends by MODE:
// "throw" (uncaught exception), "reject" (unhandled rejection), "exit"
// (process.exit(3) with the pod running), "wait" (sleeps: the test kills it),
// "drop" (drops the Pod without stop(), collects garbage until the pod is gone,
// prints "collected" or "still-running", exits 0).
import { existsSync, readFileSync } from "node:fs";
import { Pod } from "../podrun.ts";

/** The runner's socket directory, from the command line of a process in the pod. */
function socketDir(pid: number, depth = 0): string {
  try {
    const arg = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").find((a) => a.startsWith("--pod-socket="));
    if (arg) return arg.slice(13, arg.lastIndexOf("/"));
    if (depth > 3) return "";
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/)) {
      const d = child ? socketDir(Number(child), depth + 1) : "";
      if (d) return d;
    }
  } catch {}
  return "";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start a pod and drop every reference to it (mode "drop"). */
async function startAndDrop(program: string, policy: string): Promise<number> {
  const dropped = await Pod.start({ program, policy, stdio: "ignore" });
  if (!dropped.request("ping")) throw new Error("no reply");
  console.log(`pod ${dropped.pid} ${socketDir(dropped.pid)}`);
  return dropped.pid;
}

const [mode, program, policy] = process.argv.slice(2);
if (mode === "drop") {
  // the Pod is unreachable now: collecting it must free the pod, long before exit
  const pid = await startAndDrop(program, policy);
  for (let i = 0; i < 300 && alive(pid); i++) {
    Bun.gc(true);
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(alive(pid) ? "still-running" : "collected");
  process.exit(0);
}
const pod = await Pod.start({ program, policy, stdio: "ignore" });
if (!pod.request("ping")) throw new Error("no reply");
// Whether the runner's directory exists is checked here, while the pod surely
// runs: the modes below may end this process (and clean up) right after.
const dir = socketDir(pod.pid);
console.log(`pod ${pod.pid} ${dir} ${dir && existsSync(dir) ? "exists" : "missing"}`);
if (mode === "throw") throw new Error("supervisor failed on purpose");
if (mode === "reject") Promise.reject(new Error("rejected on purpose"));
if (mode === "exit") process.exit(3);
await new Promise((r) => setTimeout(r, 60000));
