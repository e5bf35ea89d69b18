/*
 * worker.ts — the Bun test and benchmark worker of layer 02-ipc.
 *
 * Layer 02-ipc, tests and bench. Builds on the Bun SDK (bun/pod.ts). Started
 * by tests/harness.c (the runner) from tests/pod.test.ts and the benchmark:
 *
 *     bun run worker.ts MODE --pod-socket=PATH --pod-shm-fd=N   (or --sp-fd=N)
 *
 * MODE: echo (batches), echo1 (the async iterator, one frame at a time),
 * handler (STOP handler sends "bye", exits 42; handler-recv: it first calls
 * recv while the main loop's recv is pending), fail (recv until an error,
 * print it, exit 3), sp-echo (plain socketpair echo through libc, the
 * benchmark peer: Bun has no socketpair of its own), busy (a second
 * concurrent recv must be EBUSY), close-waiting (close() under a sleeping
 * recv), duplex (echo with separate receiving and sending tasks).
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { connect, PodError } from "../../bun/pod.ts";

function spEcho(): number {
  const fd = Number(process.argv.find((a) => a.startsWith("--sp-fd="))!.slice(8));
  const libc = dlopen("libc.so.6", {
    recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
    send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
  }).symbols;
  const buf = new Uint8Array(65536);
  const p = ptr(buf);
  for (;;) {
    const n = Number(libc.recv(fd, p, buf.length, 0));
    if (n <= 0) return n === 0 ? 0 : 1;
    if (Number(libc.send(fd, p, n, 0)) !== n) return 1;
  }
}

/* A second concurrent recv is refused at once; the first still ends at STOP. */
async function busy(w: any): Promise<number> {
  const first = w.recv().catch((e: PodError) => e);
  let second = "none";
  try { await w.recv(); } catch (e) { second = (e as PodError).errno; }
  const f = await first;
  console.error(`busy: second=${second} first=${(f as PodError).errno}`);
  return second === "EBUSY" && (f as PodError).errno === "ESHUTDOWN" ? 0 : 4;
}

/* close() while a recv sleeps on the doorbell: the recv fails cleanly (the
 * rings are unmapped under it: no touching them when it wakes). */
async function closeWaiting(w: any): Promise<number> {
  const first = w.recv().catch((e: PodError) => e); // asleep on the doorbell now
  w.close();
  const e = (await first) as PodError;
  console.error(`close-waiting: ${e.name} ${e.errno}`);
  return e instanceof PodError ? 0 : 4;
}

/* Echo with a receiving task and a sending task that wait at the same time
 * (a recv asleep on the doorbell while a send waits for SPACE). */
async function duplex(w: any): Promise<void> {
  const q: Uint8Array[] = [];
  let kick: (() => void) | null = null, done = false;
  const poke = () => { const k = kick; kick = null; if (k) k(); };
  const rx = (async () => {
    try {
      for await (const f of w) { q.push(f); poke(); }
    } finally { done = true; poke(); }
  })();
  const tx = (async () => {
    for (;;) {
      while (q.length) await w.send(q.shift()!);
      if (done) return;
      await new Promise<void>((r) => (kick = r));
    }
  })();
  await Promise.all([rx, tx]);
}

async function main(): Promise<number> {
  if (process.argv.includes("sp-echo")) return spEcho();
  let w;
  try {
    w = await connect(); // removes the --pod-* arguments from process.argv
  } catch (e) {
    console.error(`worker.ts: connect: ${(e as Error).name}: ${(e as Error).message}`);
    return 3;
  }
  if (process.argv.some((a) => a.startsWith("--pod-"))) throw new Error("pod args left in argv");
  const mode = process.argv[2];
  if (mode === "busy") return busy(w);
  if (mode === "close-waiting") return closeWaiting(w);
  try {
    if (mode === "duplex") {
      await duplex(w);
      await w.close();
      return 0;
    }
    if (mode === "echo") {
      for (;;) await w.sendBatch(await w.recvBatch());
    }
    if (mode === "handler" || mode === "handler-recv") {
      w.onStop(async () => {
        if (mode === "handler-recv") { // the main loop's recv is pending: the handler may still receive
          try { await w.recv(50); } catch (e) { if ((e as PodError).errno !== "ETIMEDOUT") return 7; }
        }
        await w.send(new TextEncoder().encode("bye"));
        return 42;
      });
    }
    for await (const f of w) await w.send(f);
  } catch (e) {
    if ((e as PodError).errno === "ESHUTDOWN") return 0;
    console.error(`worker.ts: ${(e as Error).name}: ${(e as Error).message}`);
    return 3;
  }
  await w.close(); // drained: the runner sees a clean close, not a reset
  return 0;
}

process.exit(await main());
