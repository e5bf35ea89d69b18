// podrun.test.ts — `bun test` suite of the Bun supervisor module (07-runner/bun).
//
// Real pods through libpodrun.so: a C-lib echo worker (example/build/echo.so), the
// example Python worker in SDK service mode, and zinfo.so (links libz) for a denied
// FFI load. Needs root (namespaces, cgroups), like every end-to-end test of 07-runner.
import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Pod, PodError, PodState } from "../podrun.ts";

const TOP = process.env.POD_TOP ?? join(import.meta.dir, "../../..");
const EX = join(TOP, "example");
const ECHO = join(EX, "build/echo.so");
const ZINFO = join(EX, "build/zinfo.so");
const SERVICE = join(EX, "policies/service.json");
const BUN = process.execPath;
const dec = new TextDecoder();
const text = (b: Uint8Array | null) => (b ? dec.decode(b) : null);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await Bun.sleep(20);
  }
  return !alive(pid);
}

/** The canonical path of a system library, as the FFI gates name it. */
function libPath(name: string): string {
  const out = Bun.spawnSync(["/sbin/ldconfig", "-p"]).stdout.toString();
  for (const line of out.split("\n")) {
    const m = /^\s*(\S+) \(([^)]*)\) => (\S+)/.exec(line);
    if (m && m[1] === name && /x86-64|64bit|AArch64/.test(m[2])) {
      const p = m[3];
      const dir = Bun.spawnSync(["realpath", p.slice(0, p.lastIndexOf("/"))]).stdout.toString().trim();
      return `${dir}/${name}`;
    }
  }
  throw new Error(`${name} not found`);
}

describe("start and stop", () => {
  test("a C-lib pod starts, runs, stops with status 0 and leaves no process", async () => {
    const pod = await Pod.start({ program: ECHO, policy: SERVICE, stdio: "ignore" });
    expect(pod.state).toBe(PodState.RUNNING);
    expect(pod.id).toMatch(/^[0-9a-f]{12}$/);
    const pid = pod.pid;
    expect(pid).toBeGreaterThan(1);
    expect(alive(pid)).toBe(true);
    expect(await pod.stop()).toBe(0);
    expect(pod.state).toBe(PodState.EXITED);
    expect(pod.exitCode).toBe(0);
    expect(await gone(pid)).toBe(true);
    expect(() => pod.send("late")).toThrow(PodError);
  });

  test("a bad program or flag is a PodError with the runner's sentence", async () => {
    let err: unknown = null;
    try {
      await Pod.start({ program: "/nonexistent/worker.py" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PodError);
    expect((err as PodError).message).toContain("/nonexistent/worker.py");
    expect((err as PodError).exitCode).toBe(2);
    await expect(Pod.start({ program: ECHO, flags: ["--allow-nonsense"] })).rejects.toThrow(/allow-nonsense/);
  });
});

describe("round trips", () => {
  test("C-lib worker: request(), messages() and a zero-copy peek()", async () => {
    const pod = await Pod.start({ program: ECHO, policy: SERVICE, stdio: "ignore" });
    try {
      expect(text(pod.request("hello"))).toBe("echo: hello");
      for (let i = 0; i < 100; i++) expect(text(pod.request(`m${i}`))).toBe(`echo: m${i}`);
      pod.send(new Uint8Array([0x61, 0x00, 0x62])); // bytes, with a NUL inside
      for await (const m of pod.messages()) {
        expect([...m]).toEqual([...new TextEncoder().encode("echo: "), 0x61, 0x00, 0x62]);
        break;
      }
      pod.send("zero-copy");
      const view = pod.peek(5000); // a view into the shared ring, no copy
      expect(view).not.toBeNull();
      expect(text(view)).toBe("echo: zero-copy");
      pod.release();
      expect(pod.peek(0)).toBeNull(); // consumed
    } finally {
      await pod.stop();
    }
  });

  const sdk = existsSync(join(TOP, "02-ipc/python/pod/__init__.py"));
  test.skipIf(!sdk)("Python worker (02-ipc SDK): messages both ways", async () => {
    const pod = await Pod.start({ program: join(EX, "python/worker.py"), policy: SERVICE, stdio: "ignore" });
    try {
      expect(text(pod.request("one", 10000))).toBe("py:one");
      expect(text(pod.request("two", 10000))).toBe("py:two");
    } finally {
      expect(await pod.stop()).toBe(0);
    }
  });

  const bunSdk = existsSync(join(TOP, "02-ipc/bun/pod.ts"));
  test.skipIf(!bunSdk)("Bun worker (02-ipc SDK as `import \"pod\"`): messages both ways", async () => {
    const pod = await Pod.start({ program: join(EX, "bun/worker.ts"), policy: SERVICE, stdio: "ignore" });
    try {
      expect(await pod.ready()).toBe(true);
      expect(text(pod.request("one", 10000))).toBe("bun:one");
      expect(text(pod.request("two", 10000))).toBe("bun:two");
    } finally {
      expect(await pod.stop()).toBe(0);
    }
  });
});

describe("events", () => {
  test("a denied FFI load arrives as a deny event with the rule", async () => {
    const libz = libPath("libz.so.1");
    const pod = await Pod.start({ program: ZINFO, policy: SERVICE, flags: [`--deny-ffi=${libz}`], stdio: "ignore" });
    const denied: any[] = [];
    for await (const ev of pod.events()) if (ev.action === "deny" && ev.cat === "ffi") denied.push(ev);
    expect(denied.length).toBeGreaterThanOrEqual(1);
    expect(denied[0].what).toBe(libz);
    expect(denied[0].rule).toBe(libz);
    expect(denied[0].src).toBe("loader");
    expect(pod.exitCode).toBe(1); // the pod host could not load zinfo.so
    expect(pod.count("ffi", "deny")).toBeGreaterThanOrEqual(1);
    await pod.stop();
  });

  test("the pod's life ends with a life event carrying the exit status", async () => {
    const pod = await Pod.start({ program: ECHO, policy: SERVICE, stdio: "ignore" });
    const stopping = pod.stop();
    const evs: any[] = [];
    for await (const ev of pod.events()) evs.push(ev);
    expect(await stopping).toBe(0);
    const life = evs.filter((e) => e.cat === "life" && e.what === "exit" && e.src === "runner");
    expect(life.length).toBe(1);
    expect(life[0].exit).toBe(0);
  });
});

describe("cleanup when the Bun supervisor ends", () => {
  async function supervisor(mode: string): Promise<{ pid: number; dir: string; existed: boolean; proc: any; rest: () => Promise<string> }> {
    const proc = Bun.spawn([BUN, join(import.meta.dir, "fixture_exit.ts"), mode, ECHO, SERVICE], {
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env },
    });
    const reader = proc.stdout.getReader();
    let out = "";
    while (!/pod \d+ \S*[^\n]*\n/.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += dec.decode(value);
    }
    const m = /pod (\d+) (\S*)[^\n]*\n/.exec(out);
    const rest = async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return out;
        out += dec.decode(value);
      }
    };
    const existed = new RegExp(`pod ${m?.[1]} \\S* exists\n`).test(out);
    return { pid: Number(m?.[1] ?? -1), dir: m?.[2] ?? "", existed, proc, rest };
  }

  for (const [mode, want] of [["throw", 1], ["reject", 1], ["exit", 3]] as const) {
    test(`${mode}: the pod is stopped and cleaned up`, async () => {
      const s = await supervisor(mode);
      expect(s.pid).toBeGreaterThan(1);
      expect(s.dir).toMatch(/^\//);
      expect(s.existed).toBe(true); // seen by the supervisor while the pod ran (no race with its exit)
      expect(await s.proc.exited).toBe(want);
      expect(await gone(s.pid)).toBe(true);
      expect(existsSync(s.dir)).toBe(false); // the runner side was cleaned up, not just killed
    });
  }

  test("a Pod dropped without stop() is freed when it is garbage-collected", async () => {
    const s = await supervisor("drop");
    expect(s.pid).toBeGreaterThan(1);
    expect(s.dir).toMatch(/^\//);
    const rest = await s.rest();
    expect(await s.proc.exited).toBe(0);
    expect(rest).toContain("collected"); // gone while the supervisor was still running
    expect(existsSync(s.dir)).toBe(false);
  }, 20000);

  test("SIGTERM and SIGKILL of the supervisor take the pod down", async () => {
    for (const sig of ["SIGTERM", "SIGKILL"] as const) {
      const s = await supervisor("wait");
      expect(alive(s.pid)).toBe(true);
      expect(existsSync(s.dir)).toBe(true);
      s.proc.kill(sig);
      const status = await s.proc.exited;
      expect(await gone(s.pid)).toBe(true);
      // SIGTERM: the module's handler freed the pod (STOP, cleanup), exit 128+15;
      // SIGKILL: nothing could run, the next start's sweep removes the directory
      // (rootless too: the record is in the user's own run directory)
      if (sig === "SIGTERM") {
        expect(status).toBe(143);
      } else {
        const next = await Pod.start({ program: ECHO, policy: SERVICE, stdio: "ignore" });
        expect(await next.stop()).toBe(0);
      }
      expect(existsSync(s.dir)).toBe(false);
    }
  });
});

describe("learn mode", () => {
  // learn mode needs the eBPF audit (every open of the pod): root only
  test.skipIf(process.getuid?.() !== 0)("Pod.learn() on a Bun worker returns the policy it needed; under it the run has no deny or warn", async () => {
    const worker = join(EX, "bun/worker.ts");
    // the data outside /tmp (where the tree may lie): a pod has its own /tmp,
    // so a learning pod cannot see the host's
    const dir = mkdtempSync("/var/tmp/podrun-learn-bun-");
    chmodSync(dir, 0o755);
    const data = join(dir, "public.txt");
    copyFileSync(join(EX, "data/public.txt"), data);
    chmodSync(data, 0o644);
    const args = ["act", `read=${data}`, "env=HOME"];
    try {
      const policy = await Pod.learn({ program: worker, args, stdio: "ignore" });
      const fs = policy.fs as { read: { allow?: string[] } };
      expect(fs.read.allow).toContain(data);
      expect((policy.env as { allow?: string[] }).allow).toContain("HOME");
      const learned = policy._learned as { runs: { run: number; exit: number }[]; rules: Record<string, number[]> };
      expect(learned.runs.length).toBe(1);
      expect(learned.runs[0].exit).toBe(0);
      expect(learned.rules[`fs.read ${data}`]).toEqual([1]);

      // enforce: the same run, no deny and no warn
      const pod = await Pod.start({ program: worker, args, policy, stdio: "ignore" });
      expect(await pod.wait()).toBe(0);
      const bad = [];
      for await (const ev of pod.events()) if (ev.action === "deny" || ev.action === "warn") bad.push(ev);
      expect(bad).toEqual([]);
      pod.free();

      // without the read rule, exactly that read is denied
      const fewer = structuredClone(policy) as typeof policy;
      (fewer.fs as { read: { allow: string[] } }).read.allow = fs.read.allow!.filter((p) => p !== data);
      const pod2 = await Pod.start({ program: worker, args, policy: fewer, stdio: "ignore" });
      await pod2.wait();
      const denied = new Set<string>();
      for await (const ev of pod2.events()) if (ev.action === "deny" || ev.action === "warn") denied.add(`${ev.cat} ${ev.what}`);
      expect([...denied]).toEqual([`fs ${data}`]);
      pod2.free();

      // merge: a second run (another variable) is added as run 2
      const merged = await Pod.learn({ program: worker, args: ["act", "env=LANG"], merge: policy, stdio: "ignore" });
      const m = merged._learned as { runs: unknown[]; rules: Record<string, number[]> };
      expect(m.runs.length).toBe(2);
      expect(m.rules[`fs.read ${data}`]).toEqual([1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);
});
