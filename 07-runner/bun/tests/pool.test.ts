// pool.test.ts — `bun test` suite of warm pools in the Bun module: Pod.pool()
// and pool.take(program). Real pods through libpodrun.so; needs root.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Pod, PodError, PodState } from "../podrun.ts";

const TOP = process.env.POD_TOP ?? join(import.meta.dir, "../../..");
const ECHO = join(TOP, "example/build/echo.so");
const SERVICE = join(TOP, "example/policies/service.json");
const WORKER = join(TOP, "07-runner/tests/workers/worker.py");
const CRASH = join(TOP, "07-runner/tests/workers/pool_crash.py");
const dec = new TextDecoder();

describe("warm pools", () => {
  test("a Python pool runs each program once, with its own id and exit status", async () => {
    const pool = await Pod.pool({ program: WORKER, size: 2, stdio: "ignore" });
    try {
      const a = await pool.take(WORKER, ["exit", "3"]);
      expect(await a.wait()).toBe(3);
      const b = await pool.take(CRASH);
      expect(await b.wait()).toBe(128 + 11); // the pool survives it
      const c = await pool.take(WORKER, ["echo"]);
      expect(await c.ready()).toBe(true);
      expect(dec.decode(c.request("hi") ?? new Uint8Array())).toBe("hi");
      expect(new Set([a.id, b.id, c.id]).size).toBe(3);
      expect(await c.stop()).toBe(0);
      expect(pool.count("taken")).toBe(3);
    } finally {
      pool.close();
    }
  });

  test("a program the pods' plan cannot cover is refused with the reason", async () => {
    const pool = await Pod.pool({ program: WORKER, size: 1, stdio: "ignore" });
    try {
      let err: unknown = null;
      try {
        await pool.take("/bin/true");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PodError);
      expect((err as PodError).exitCode).toBe(2);
      expect((err as PodError).message).toContain("python");
      const p = await pool.take(WORKER, ["exit", "0"]); // the warm pod was not used
      expect(await p.wait()).toBe(0);
    } finally {
      pool.close();
    }
    await expect(Pod.pool({ program: "/bin/true" })).rejects.toThrow(/pools run Python/);
  });

  test("a C-library pool serves its library: request() after take()", async () => {
    const pool = await Pod.pool({ program: ECHO, policy: SERVICE, size: 1, stdio: "ignore" });
    try {
      const pod = await pool.take(ECHO);
      expect(pod.state).toBe(PodState.RUNNING);
      expect(dec.decode(pod.request("hello") ?? new Uint8Array())).toBe("echo: hello");
      expect(await pod.stop()).toBe(0);
    } finally {
      pool.close();
    }
  });
});
