/*
 * pod.test.ts — the Bun worker SDK's conformance suite (layer 02-ipc).
 *
 * Layer 02-ipc, tests. `bun test pod.test.ts` (make test-bun sets
 * POD_RING_LIB, HARNESS, IPC_VECTORS, ECHO_FRAMES). Part 1 runs the shared
 * vectors (tests/vectors/*.vec) through bun/pod.ts's codec. Part 2 starts
 * tests/workers/worker.ts under the C harness (tests/harness.c), which plays
 * the runner with the real runner side: handshake, echo with sequence numbers
 * and checksums, bursty doorbell sleep/wake, STOP, PING, the runner killed
 * mid-stream and misbehaving runners.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CodecError, decode, encode, LANG_BUN, type Msg, parseArgs, PodError, TYPE_NAMES } from "../bun/pod.ts";

const HERE = import.meta.dir;
const VECTORS = process.env.IPC_VECTORS ?? join(HERE, "vectors");
const HARNESS = process.env.HARNESS ?? join(HERE, "..", "build", "tests", "harness");
const WORKER = join(HERE, "workers", "worker.ts");
const ECHO_FRAMES = Number(process.env.ECHO_FRAMES ?? "1000000");
const STRINGS = new Set(["text", "category", "request", "rule", "reason", "what", "detail"]);

type Vec = { name: string; kv: Record<string, string>; raw: Uint8Array };

function loadVectors(): Vec[] {
  return readdirSync(VECTORS).filter((f) => f.endsWith(".vec")).sort().map((name) => {
    const kv: Record<string, string> = {};
    for (const line of readFileSync(join(VECTORS, name), "utf8").split("\n")) {
      const i = line.indexOf("=");
      if (line.startsWith("#") || i < 0) continue;
      kv[line.slice(0, i)] = line.slice(i + 1);
    }
    const raw = Uint8Array.from(Buffer.from(kv.hex, "hex"));
    delete kv.hex;
    return { name, kv, raw };
  });
}

function vecMsg(kv: Record<string, string>): Msg {
  const m: Msg = { type: TYPE_NAMES.indexOf(kv.type), seq: Number(kv.seq) };
  for (const [k, v] of Object.entries(kv)) {
    if (k === "type" || k === "seq") continue;
    m[k] = STRINGS.has(k) ? new TextEncoder().encode(v) : k === "token" ? BigInt(v) : Number(v);
  }
  return m;
}

describe("codec", () => {
  const vs = loadVectors();
  test("there are vectors", () => expect(vs.length).toBeGreaterThan(40));

  test("valid vectors decode to the listed fields and re-encode exactly", () => {
    let n = 0;
    for (const v of vs.filter((v) => !v.kv.error)) {
      const want = vecMsg(v.kv);
      const [got, used] = decode(v.raw);
      expect(used).toBe(v.raw.length);
      expect(got).toEqual(want);
      expect(Buffer.from(encode(want)).toString("hex")).toBe(Buffer.from(v.raw).toString("hex"));
      n++;
    }
    expect(n).toBeGreaterThan(15);
  });

  test("invalid vectors fail with the listed error", () => {
    let n = 0;
    for (const v of vs.filter((v) => v.kv.error)) {
      n++;
      if (v.kv.error === "INCOMPLETE") {
        expect(decode(v.raw)).toEqual([null, 0]);
        continue;
      }
      let err: unknown = null;
      try { decode(v.raw); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(CodecError);
      expect([v.name, (err as CodecError).errnoName]).toEqual([v.name, v.kv.error]);
    }
    expect(n).toBeGreaterThan(20);
  });

  test("every prefix of a valid message is incomplete", () => {
    for (const v of vs.filter((v) => !v.kv.error))
      for (let i = 0; i < v.raw.length; i++) expect(decode(v.raw.subarray(0, i))).toEqual([null, 0]);
  });

  test("the encoder rejects bad values", () => {
    expect(() => encode({ type: 3, seq: 1, flags: 0 })).toThrow();
    expect(() => encode({ type: 5, seq: 1, code: 1, text: new Uint8Array(1025).fill(65) })).toThrow();
    expect(() => encode({ type: 5, seq: 1, code: 1, text: Uint8Array.of(97, 0, 98) })).toThrow();
    expect(() => encode({ type: 11, seq: 1 })).toThrow();
  });
});

describe("args", () => {
  test("pod arguments are parsed and removed from argv", () => {
    const argv = ["bun", "w.ts", "--pod-socket=/run/pod/x/ctl.sock", "-v", "--pod-shm-fd=3", "--", "--pod-shm-fd=9"];
    expect(parseArgs(argv)).toEqual({ socketPath: "/run/pod/x/ctl.sock", shmFd: 3 });
    expect(argv).toEqual(["bun", "w.ts", "-v", "--", "--pod-shm-fd=9"]);
    expect(() => parseArgs(["bun", "w.ts"])).toThrow(PodError);
    expect(() => parseArgs(["bun", "w.ts", "--pod-socket=/x", "--pod-shm-fd=x"])).toThrow(PodError);
  });
});

function harness(mode: (string | number)[], workerMode = "echo") {
  const p = Bun.spawnSync([HARNESS, "-k", "3", ...mode.map(String), "--", process.execPath, "run", WORKER, workerMode],
    { stdout: "pipe", stderr: "pipe" });
  const out = p.stdout.toString(), err = p.stderr.toString();
  const line = out.split("\n").filter((l) => l.startsWith("RESULT")).pop() ?? `RESULT fail no output: ${out}`;
  if (!line.startsWith("RESULT ok")) throw new Error(`${line}\n${err}`);
  const kv: Record<string, string> = {};
  for (const w of line.split(" ").slice(2)) { const [k, v] = w.split("="); kv[k] = v; }
  return { kv, err };
}

describe("session (Bun worker against the C runner side)", () => {
  test("handshake reports the Bun language and pid", () => {
    const { kv } = harness(["handshake"]);
    expect(Number(kv.lang)).toBe(LANG_BUN);
    expect(kv.pid).toBe(kv.peer);
  });

  test("echo with batches keeps order and content", () => {
    const { kv } = harness(["echo", ECHO_FRAMES, 64]);
    expect(Number(kv.frames)).toBe(ECHO_FRAMES);
    expect(Number(kv.doorbells_sent) + Number(kv.doorbells_received)).toBeLessThan(ECHO_FRAMES / 10);
  });

  test("echo through the async iterator, one frame at a time", () => {
    harness(["echo", 20000, 1000], "echo1");
  });

  test("no lost wake-up in 10,000 bursty sleep/wake cycles", () => {
    const { kv } = harness(["bursty", 10000]);
    expect(Number(kv.bursts)).toBeGreaterThanOrEqual(10000);
    expect(Number(kv.doorbells_sent)).toBeGreaterThan(5000);
  });

  test("STOP runs the handler and the worker exits within the deadline", () => {
    const { kv } = harness(["stop", 1000, 42], "handler");
    expect(Number(kv.close_ms)).toBeLessThan(1000);
  });

  test("a receiving and a sending task may wait at the same time", () => {
    const { kv } = harness(["echo", 200000, 512], "duplex");
    expect(Number(kv.frames)).toBe(200000);
  });

  test("a second concurrent recv is refused with EBUSY, not left hanging", () => {
    harness(["handshake"], "busy");
  });

  test("close() while a recv sleeps ends that recv with an error, no crash", () => {
    // "ping" keeps the runner quiet for 50 ms; the worker is gone by then, so
    // the harness itself reports a failed PING: only the worker's line counts
    const p = Bun.spawnSync([HARNESS, "-k", "3", "ping", "--", process.execPath, "run", WORKER, "close-waiting"],
      { stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toContain("close-waiting: PodError EBADF");
  });

  test("the STOP handler may recv while the main loop's recv is pending", () => {
    const { kv } = harness(["stop", 1000, 42], "handler-recv");
    expect(Number(kv.close_ms)).toBeLessThan(1000);
  });

  test("a message arriving after STOP is drained: the runner sees a clean close, not a reset", () => {
    harness(["stop-late"], "echo1");
  });

  test("PING is answered while the worker waits", () => {
    harness(["ping"], "echo1");
  });

  test("the runner killed mid-stream gives a clear error", () => {
    const { kv, err } = harness(["kill-runner", 5000], "fail");
    expect(kv.worker_exit).toBe("3");
    expect(err).toContain("RunnerGone: the runner closed the control socket");
  });

  const fakes: [string, string][] = [
    ["silent", "PodTimeout: handshake timed out"],
    ["refuse", "RunnerRefused: runner refused the session"],
    ["garbage", "ProtocolError: the runner sent a malformed control message"],
    ["geometry", "ProtocolError: READY does not match"],
    ["order", "ProtocolError: the runner sent HELLO out of order"],
    ["close", "RunnerGone: the runner closed the control socket"],
  ];
  for (const [script, error] of fakes) {
    test(`a misbehaving runner (${script}) gives a clear error`, () => {
      const { kv, err } = harness(["fake", script], "fail");
      expect(kv.worker_exit).toBe("3");
      expect(err).toContain(error);
    });
  }
});
