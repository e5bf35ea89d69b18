// podrun.ts — Bun as the supervisor: drive pods from a Bun program through the
// runner's C API (layer 07-runner: Bun as the supervisor).
//
// Builds on include/podrun.h through bun:ffi: libpodrun.so is the whole runner
// (policy, rings, sandbox, proxy, eBPF audit) as one shared library, and this
// module is a thin typed wrapper — one code path with the `podrun` command.
//
//     import { Pod } from "./podrun.ts";
//     const pod = await Pod.start({ program: "worker.py", policy: "policy.json" });
//     pod.send("hello");
//     for await (const msg of pod.messages()) { ...; break; }
//     for await (const ev of pod.events()) console.log(ev.cat, ev.action, ev.what);
//     const status = await pod.stop();
//
// Messages travel through the same shared-memory rings as with `podrun`: send()
// copies into the to-pod ring (podrun_send), messages() copies each frame out,
// and peek() returns a zero-copy view straight into the pod-to-runner ring
// (podrun_peek + toArrayBuffer). The pod can still write that memory: copy
// before you parse (messages() does).
//
// Driving the loop: the runner's work happens in podrun_dispatch(). The async
// iterators call it without blocking (timeout 0) and back off with timers while
// the pod is quiet; request() blocks the JS thread in podrun_dispatch() until the
// reply is there (lowest latency, for tight request/response loops).
//
// Errors become PodError exceptions with the runner's sentence (podrun_error())
// and, for start failures, exit status of docs/contracts.md (2 usage/policy, 125 runner).
// Every live pod is freed (stopped, killed after the grace period, cleaned up)
// when the Bun process exits — normally, by an uncaught exception, or on
// SIGINT/SIGTERM/SIGHUP; a pod whose Pod object is garbage-collected is freed too.
import { dlopen, FFIType, ptr, toArrayBuffer, CString, type Pointer } from "bun:ffi";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

// ---- the C API -----------------------------------------------------------------

/** Pod states (enum podrun_state). */
export const PodState = {
  CONFIGURING: 0,
  STARTING: 1,
  RUNNING: 2,
  STOPPING: 3,
  EXITED: 4,
  FAILED: 5,
} as const;

const T = FFIType;
const symbols = {
  podrun_new: { args: [T.ptr], returns: T.i32 },
  podrun_set_program: { args: [T.ptr, T.ptr], returns: T.i32 },
  podrun_add_arg: { args: [T.ptr, T.ptr], returns: T.i32 },
  podrun_set_policy_file: { args: [T.ptr, T.ptr], returns: T.i32 },
  podrun_set_policy_json: { args: [T.ptr, T.ptr], returns: T.i32 },
  podrun_add_policy_flag: { args: [T.ptr, T.ptr], returns: T.i32 },
  podrun_set_limits: { args: [T.ptr, T.u32, T.u64, T.u32], returns: T.i32 },
  podrun_set_audit: { args: [T.ptr, T.ptr], returns: T.i32 },
  podrun_set_serve: { args: [T.ptr, T.i32], returns: T.i32 },
  podrun_set_stdio: { args: [T.ptr, T.i32, T.i32, T.i32], returns: T.i32 },
  podrun_set_verbosity: { args: [T.ptr, T.i32], returns: T.i32 },
  podrun_set_events: { args: [T.ptr, T.i32], returns: T.i32 },
  podrun_set_option: { args: [T.ptr, T.ptr, T.ptr], returns: T.i32 },
  podrun_start: { args: [T.ptr], returns: T.i32 },
  podrun_fd: { args: [T.ptr], returns: T.i32 },
  podrun_dispatch: { args: [T.ptr, T.i32], returns: T.i32 },
  podrun_send: { args: [T.ptr, T.ptr, T.u32], returns: T.i32 },
  podrun_recv: { args: [T.ptr, T.ptr, T.u32], returns: T.i32 },
  podrun_peek: { args: [T.ptr, T.ptr], returns: T.i32 },
  podrun_release: { args: [T.ptr], returns: T.i32 },
  podrun_next_event: { args: [T.ptr, T.ptr, T.u32], returns: T.i32 },
  podrun_stop: { args: [T.ptr, T.i32], returns: T.i32 },
  podrun_state: { args: [T.ptr], returns: T.i32 },
  podrun_exit_code: { args: [T.ptr], returns: T.i32 },
  podrun_id: { args: [T.ptr], returns: T.ptr },
  podrun_pid: { args: [T.ptr], returns: T.i32 },
  podrun_error: { args: [T.ptr], returns: T.ptr },
  podrun_count: { args: [T.ptr, T.ptr, T.ptr], returns: T.i64 },
  podrun_free: { args: [T.ptr], returns: T.void },
  podrun_pool_new: { args: [T.ptr], returns: T.i32 },
  podrun_pool_template: { args: [T.ptr], returns: T.ptr },
  podrun_pool_start: { args: [T.ptr, T.u32], returns: T.i32 },
  podrun_pool_take: { args: [T.ptr, T.ptr, T.ptr, T.i32, T.ptr], returns: T.i32 },
  podrun_pool_ready: { args: [T.ptr], returns: T.i32 },
  podrun_pool_count: { args: [T.ptr, T.ptr], returns: T.i64 },
  podrun_pool_error: { args: [T.ptr], returns: T.ptr },
  podrun_pool_free: { args: [T.ptr], returns: T.void },
  podrun_learned_policy: { args: [T.ptr, T.ptr, T.ptr, T.u32], returns: T.i64 },
} as const;

/** Where libpodrun.so is: $PODRUN_LIB, else the build next to this file. */
export function libraryPath(): string {
  if (process.env.PODRUN_LIB) return process.env.PODRUN_LIB;
  return resolve(join(dirname(import.meta.path), "..", "build", "libpodrun.so"));
}

let lib: ReturnType<typeof dlopen<typeof symbols>>["symbols"] | null = null;
function C() {
  if (!lib) {
    const path = libraryPath();
    if (!existsSync(path)) throw new PodError(`libpodrun.so not found at ${path} (make -C 07-runner)`, -2);
    lib = dlopen(path, symbols).symbols;
  }
  return lib;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** A NUL-terminated copy of a string for a `const char *` argument. */
function cstr(s: string): Uint8Array {
  const b = enc.encode(s);
  if (b.includes(0)) throw new PodError("string argument contains a NUL byte", -22);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

const ERRNO: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 11: "EAGAIN", 16: "EBUSY", 22: "EINVAL", 32: "EPIPE", 71: "EPROTO",
  77: "EBADFD", 90: "EMSGSIZE", 110: "ETIMEDOUT",
};

/** An error of the runner: `message` is its sentence, `errno` the negative errno. */
export class PodError extends Error {
  readonly errno: number;
  readonly code: string;
  /** Exit status (docs/contracts.md) for start failures (2 usage/policy, 125 runner), else undefined. */
  readonly exitCode?: number;
  constructor(message: string, errno: number, exitCode?: number) {
    super(message);
    this.name = "PodError";
    this.errno = errno;
    this.code = ERRNO[-errno] ?? `E${-errno}`;
    this.exitCode = exitCode;
  }
}

// ---- options and events ------------------------------------------------------------

/** How to start a pod (see docs/contracts.md and docs/policy.md). */
export interface PodOptions {
  /** Script (*.py, *.ts, *.js, *.mjs), library (*.so) or executable. */
  program: string;
  /** Worker arguments. */
  args?: string[];
  /** A policy file path, or a policy object (docs/policy.md) serialized to JSON. */
  policy?: string | Record<string, unknown>;
  /** Deno-style flags on top of the policy: "--allow-net=example.com:443", ... */
  flags?: string[];
  /** Limits; each overrides the policy's. */
  limits?: { timeoutS?: number; memoryBytes?: number; pids?: number };
  /** Also write the audit log (JSON lines) to this file ("-" = stderr). */
  audit?: string;
  /** Keep audit events for events() (default true). */
  events?: boolean;
  /** Service mode: stdin lines are messages (default false: messages come from send()). */
  serve?: boolean;
  /** The pod's stdout/stderr: "inherit" (the default) or "ignore". */
  stdio?: "inherit" | "ignore";
  /** Human log on stderr: -1 quiet, 0 normal (warn/deny lines), 1 verbose. Default -1. */
  verbosity?: number;
  /** Less common options by name (podrun_set_option): "grace-ms", "pod-id", ... */
  options?: Record<string, string>;
}

/** Learn mode (docs/contracts.md, `podrun learn`): the pod runs with every request its
 *  policy (the base) would deny allowed and reported; Pod.learn() returns the policy it needed. */
export interface LearnOptions extends PodOptions {
  /** A learned policy (object or JSON text) to add this run to (`--merge`). */
  merge?: string | Record<string, unknown>;
  /** Paths under one directory that make it a rule (`--group-at`, default 8). */
  groupAt?: number;
}

/** One audit event (docs/audit-events.md); source-specific fields are kept. */
export interface PodEvent {
  ts: string;
  pod: string;
  src: string;
  cat: string;
  action: "allow" | "deny" | "warn" | "info";
  what: string;
  rule: string;
  pid?: number;
  [field: string]: unknown;
}

// ---- cleanup of every live pod when this process ends ---------------------------------

// The runner handles not yet freed. Kept by handle, not by Pod: a Set of Pod
// objects would keep every Pod reachable, so a dropped Pod would never be
// collected and its pod would run (and hold its cgroup, sockets, rings) until
// this process ends. Whoever removes a handle from here frees it, exactly once.
const live = new Set<number>();
let hooksInstalled = false;
function freeHandle(handle: number): void {
  if (!live.delete(handle)) return;
  try {
    C().podrun_free(handle as unknown as Pointer);
  } catch {}
}
const registry = new FinalizationRegistry<number>(freeHandle);

// Warm pools not yet freed (PodPool). A pool is freed after the pods: its
// thread is the parent of its pods' init processes.
const livePools = new Set<number>();
function freePoolHandle(handle: number): void {
  if (!livePools.delete(handle)) return;
  try {
    C().podrun_pool_free(handle as unknown as Pointer);
  } catch {}
}
const poolRegistry = new FinalizationRegistry<number>(freePoolHandle);

function freeAll(): void {
  for (const handle of [...live]) freeHandle(handle);
  for (const handle of [...livePools]) freePoolHandle(handle);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", freeAll);
  process.on("uncaughtException", (err) => {
    freeAll();
    console.error(err);
    process.exit(1);
  });
  process.on("unhandledRejection", (err) => {
    freeAll();
    console.error(err);
    process.exit(1);
  });
  for (const [sig, n] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]] as const)
    process.on(sig, () => {
      freeAll();
      process.exit(128 + n);
    });
}

// ---- the pod ------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// PodPool.take() wraps a taken pod's handle (set by Pod's static block).
let adoptPod: (h: Pointer, keepEvents: boolean) => Pod;

/** One pod, supervised from this Bun process. */
export class Pod {
  #h: Pointer | null;
  #msgs: Uint8Array[] = [];
  #evs: PodEvent[] = [];
  #buf: Uint8Array;
  #evbuf = new Uint8Array(65536);
  #exit: number | null = null;
  #id: string;
  #ready = false; // the worker said HELLO (an SDK session exists)
  #counts = new Map<string, number>(); // count() after free(): the last numbers
  #keepEvents: boolean;

  private constructor(h: Pointer, maxFrame: number, keepEvents: boolean) {
    this.#h = h;
    this.#keepEvents = keepEvents;
    this.#buf = new Uint8Array(maxFrame);
    this.#id = new CString(C().podrun_id(h) as Pointer).toString();
    live.add(h as unknown as number);
    registry.register(this, h as unknown as number, this);
  }

  static {
    adoptPod = (h, keepEvents) => new Pod(h, 1 << 20, keepEvents);
  }

  /**
   * A warm pool for one policy and worker kind: `o` configures every pod as
   * for start() (no args: they come with each take); `o.program` names the
   * kind and the directory of the programs the pool runs (a C-library pool:
   * that library). See PodPool.
   */
  static async pool(o: PoolOptions): Promise<PodPool> {
    return PodPool.start(o);
  }

  /**
   * Learn mode: run the program to its end with every request the policy (the base)
   * would deny allowed and reported, and return the policy that run needed (the base
   * plus allow rules, with "_learned" saying which run needed each rule).
   */
  static async learn(o: LearnOptions): Promise<Record<string, unknown>> {
    const options: Record<string, string> = { ...(o.options ?? {}), learn: "1" };
    if (o.groupAt !== undefined) options["learn-group-at"] = String(o.groupAt);
    const pod = await Pod.start({ ...o, options });
    try {
      await pod.wait();
      return pod.learnedPolicy(o.merge);
    } finally {
      pod.free();
    }
  }

  /** The policy a pod started with options { learn: "1" } needed (call once it has ended). */
  learnedPolicy(merge?: string | Record<string, unknown>): Record<string, unknown> {
    const h = this.#h;
    if (!h) throw new PodError("learnedPolicy: the pod was freed", -9);
    const c = C();
    const m = merge === undefined ? null : cstr(typeof merge === "string" ? merge : JSON.stringify(merge));
    const n = Number(c.podrun_learned_policy(h, m, null, 0));
    if (n < 0) throw new PodError(`learnedPolicy: ${errorText(h) || ERRNO[-n] || n}`, n);
    const buf = new Uint8Array(n + 1);
    const r = Number(c.podrun_learned_policy(h, m, buf, n + 1));
    if (r !== n) throw new PodError(`learnedPolicy: ${errorText(h) || ERRNO[-r] || r}`, r);
    return JSON.parse(dec.decode(buf.subarray(0, n))) as Record<string, unknown>;
  }

  /** Configure and start a pod; resolves once the worker has been released. */
  static async start(o: PodOptions): Promise<Pod> {
    installHooks();
    const c = C();
    const out = new BigUint64Array(1);
    check(c.podrun_new(ptr(out)), null, "podrun_new");
    const h = Number(out[0]) as unknown as Pointer;
    try {
      configure(h, o);
      const r = c.podrun_start(h);
      if (r < 0) {
        const code = c.podrun_exit_code(h);
        throw new PodError(errorText(h) || `podrun_start: ${ERRNO[-r] ?? r}`, r, code >= 0 ? code : undefined);
      }
    } catch (e) {
      c.podrun_free(h);
      throw e;
    }
    const pod = new Pod(h, 1 << 20, o.events !== false);
    // a C-lib always talks through the SDK (the pod host): wait for its session,
    // so that messages and stop() reach the service itself
    if (o.program.endsWith(".so")) await pod.ready();
    return pod;
  }

  /**
   * Wait until the worker has opened its SDK session (said HELLO), so that
   * messages are read and stop() reaches its STOP handler. Workers that do not
   * use an SDK never do: this then waits until timeoutMs or their exit.
   * @returns true when the session is there
   */
  async ready(timeoutMs = 10000): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    let idle = 0;
    while (!this.#ready && this.#h && this.#exit === null && performance.now() < end)
      idle = (await this.#tick(idle)) ? 0 : idle + 1;
    return this.#ready;
  }

  /** The pod's id (as in events). */
  get id(): string {
    return this.#id;
  }

  /** Current state (PodState). */
  get state(): number {
    return this.#h ? C().podrun_state(this.#h) : PodState.EXITED;
  }

  /** Host pid of the pod's init, or -1 when not running. */
  get pid(): number {
    if (!this.#h) return -1;
    const p = C().podrun_pid(this.#h);
    return p > 0 ? p : -1;
  }

  /** Exit status once the pod has exited (docs/contracts.md, "Command line"), else null. */
  get exitCode(): number | null {
    return this.#exit;
  }

  /** Decisions so far in one category ("net", "fs", ...) and action ("deny", ...). */
  count(cat: string, action: string): number {
    if (!this.#h) return this.#counts.get(`${cat}.${action}`) ?? 0;
    return Number(C().podrun_count(this.#h, cstr(cat), cstr(action)));
  }

  /**
   * Send one message to the pod (copied into the ring). Blocks in the runner's
   * loop while the ring is full.
   */
  send(data: Uint8Array | string): void {
    const h = this.#live("send");
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    for (;;) {
      const r = C().podrun_send(h, bytes.length ? bytes : new Uint8Array(1), bytes.length);
      if (r === 0) return;
      if (r !== -11) throw new PodError(`send: ${errorText(h) || ERRNO[-r] || r}`, r);
      this.#pump(1); // ring full: let the pod drain it
    }
  }

  /**
   * Send one message and wait for the next one from the pod, blocking this
   * thread in the runner's loop (no timers: the lowest latency).
   * @returns the reply, or null when the pod ended or timeoutMs passed
   */
  request(data: Uint8Array | string, timeoutMs = 5000): Uint8Array | null {
    this.send(data);
    return this.receive(timeoutMs);
  }

  /** The next message, waiting at most timeoutMs while blocking this thread; null if none. */
  receive(timeoutMs = 0): Uint8Array | null {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.#msgs.length) return this.#msgs.shift()!;
      if (!this.#h || this.#exit !== null) return null;
      const left = deadline - performance.now();
      if (left <= 0 && timeoutMs > 0) return null;
      this.#pump(timeoutMs === 0 ? 0 : Math.max(1, Math.min(Math.ceil(left), 100)));
      if (timeoutMs === 0 && !this.#msgs.length) return null;
    }
  }

  /**
   * Zero-copy view of the next message, inside the shared ring, waiting at most
   * timeoutMs (blocking this thread). Valid until release(). The pod can still
   * write that memory: copy before parsing. Messages already copied out by
   * receive()/messages() come first: peek() returns null while any wait.
   */
  peek(timeoutMs = 0): Uint8Array | null {
    const deadline = performance.now() + timeoutMs;
    const slot = new BigUint64Array(1);
    for (;;) {
      if (this.#msgs.length || !this.#h) return null;
      const n = C().podrun_peek(this.#h, ptr(slot));
      if (n >= 0) return n === 0 ? new Uint8Array(0) : new Uint8Array(toArrayBuffer(Number(slot[0]) as unknown as Pointer, 0, n));
      if (n !== -11) throw new PodError(`peek: ${errorText(this.#h) || ERRNO[-n]}`, n);
      const left = deadline - performance.now();
      if (left <= 0 || this.#exit !== null) return null;
      this.#pump(Math.max(1, Math.min(Math.ceil(left), 100)), false);
    }
  }

  /** Consume the message returned by the last peek(). */
  release(): void {
    if (this.#h) C().podrun_release(this.#h);
  }

  /** Messages from the pod, copied out of the ring, until the pod has exited. */
  async *messages(): AsyncGenerator<Uint8Array> {
    let idle = 0;
    for (;;) {
      if (this.#msgs.length) {
        idle = 0;
        yield this.#msgs.shift()!;
        continue;
      }
      if (!this.#h || this.#exit !== null) return;
      idle = (await this.#tick(idle)) ? 0 : idle + 1;
    }
  }

  /** Audit events (decisions, life) as they happen, until the pod has exited. */
  async *events(): AsyncGenerator<PodEvent> {
    let idle = 0;
    for (;;) {
      if (this.#evs.length) {
        idle = 0;
        yield this.#evs.shift()!;
        continue;
      }
      if (!this.#h || this.#exit !== null) return;
      idle = (await this.#tick(idle)) ? 0 : idle + 1;
    }
  }

  /** Wait until the pod exits on its own; resolves its exit status. */
  async wait(): Promise<number> {
    let idle = 0;
    while (this.#exit === null && this.#h) idle = (await this.#tick(idle)) ? 0 : idle + 1;
    return this.#exit ?? -1;
  }

  /**
   * Stop the pod: STOP, SIGTERM, then SIGKILL after graceMs. Resolves the exit
   * status; queued messages and events stay readable; the runner's resources
   * are released.
   */
  async stop(graceMs = -1): Promise<number> {
    if (this.#h && this.#exit === null) {
      const r = C().podrun_stop(this.#h, graceMs);
      if (r < 0) throw new PodError(`stop: ${errorText(this.#h) || ERRNO[-r]}`, r);
    }
    const status = await this.wait();
    this.free();
    return status;
  }

  /** Release the runner side now (stops the pod first if needed; blocks up to the grace period). */
  free(): void {
    if (!this.#h) return;
    const h = this.#h;
    for (const cat of ["net", "fs", "run", "env", "ffi", "ipc", "life"])
      for (const action of ["allow", "warn", "deny", "info"])
        this.#counts.set(`${cat}.${action}`, Number(C().podrun_count(h, cstr(cat), cstr(action))));
    this.#h = null;
    registry.unregister(this);
    freeHandle(h as unknown as number);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  // ---- the loop ----

  #live(what: string): Pointer {
    if (!this.#h || this.#exit !== null) throw new PodError(`${what}: the pod has ended`, -32);
    return this.#h;
  }

  /** Run the runner's loop once (waiting at most timeoutMs) and collect what arrived
   *  (messages too unless takeMessages is false: peek() reads them in place). */
  #pump(timeoutMs: number, takeMessages = true): number {
    const h = this.#h;
    if (!h) return 0;
    const c = C();
    const r = c.podrun_dispatch(h, timeoutMs);
    if (r < 0 && r !== -4) throw new PodError(`dispatch: ${errorText(h) || ERRNO[-r]}`, r);
    let got = 0;
    while (takeMessages) {
      const n = c.podrun_recv(h, this.#buf, this.#buf.length);
      if (n === -90) {
        this.#buf = new Uint8Array(this.#buf.length * 2);
        continue;
      }
      if (n < 0) break;
      this.#msgs.push(this.#buf.slice(0, n));
      got++;
    }
    for (;;) {
      const n = c.podrun_next_event(h, this.#evbuf, this.#evbuf.length);
      if (n === -90) {
        this.#evbuf = new Uint8Array(this.#evbuf.length * 2);
        continue;
      }
      if (n < 0) break;
      try {
        const ev = JSON.parse(dec.decode(this.#evbuf.subarray(0, n))) as PodEvent;
        if (ev.cat === "ipc" && ev.src === "runner" && String(ev.what).startsWith("hello")) this.#ready = true;
        if (this.#keepEvents) this.#evs.push(ev);
      } catch {}
      got++;
    }
    if (this.#exit === null && c.podrun_state(h) === PodState.EXITED) this.#exit = c.podrun_exit_code(h);
    return got;
  }

  /** One non-blocking pump, then a back-off sleep (0, 1, 2, 4 ms) when nothing came. */
  async #tick(idle: number): Promise<boolean> {
    const got = this.#pump(0);
    if (got) return true;
    await sleep(idle === 0 ? 0 : 1 << Math.min(idle - 1, 2));
    return false;
  }
}

/** Options of Pod.pool(): a pod's options without args, and the pool's size. */
export interface PoolOptions extends Omit<PodOptions, "args"> {
  /** Warm pods to keep (1 to 64; default 2). */
  size?: number;
}

/**
 * A warm pool (podrun_pool_*): pods started ahead of time, each taken once
 * for one program and then the caller's like a started Pod. take() decides
 * the program as a fresh start would and refuses (PodError, exitCode 2) what
 * the pods' plan cannot cover: another kind, another directory, another
 * library, a read rule denying the program. The pool refills in the
 * background; close() (or the process's end) tears it down — and ends the
 * pods taken from it that still run, so close the pool after them.
 */
export class PodPool {
  #h: Pointer | null;
  #keepEvents: boolean;
  #clib: boolean;

  private constructor(h: Pointer, o: PoolOptions) {
    this.#h = h;
    this.#keepEvents = o.events !== false;
    this.#clib = o.program.endsWith(".so");
    livePools.add(h as unknown as number);
    poolRegistry.register(this, h as unknown as number, this);
  }

  static async start(o: PoolOptions): Promise<PodPool> {
    installHooks();
    const c = C();
    const out = new BigUint64Array(1);
    check(c.podrun_pool_new(ptr(out)), null, "podrun_pool_new");
    const h = Number(out[0]) as unknown as Pointer;
    try {
      configure(c.podrun_pool_template(h) as Pointer, { ...o, args: [] });
      const r = c.podrun_pool_start(h, o.size ?? 2);
      if (r < 0) throw new PodError(poolError(h) || `podrun_pool_start: ${ERRNO[-r] ?? r}`, r, r === -22 ? 2 : 125);
    } catch (e) {
      c.podrun_pool_free(h);
      throw e;
    }
    return new PodPool(h, o);
  }

  /** Warm pods ready to be taken now. */
  get ready(): number {
    return this.#h ? C().podrun_pool_ready(this.#h) : 0;
  }

  /** "started", "taken", "lost" or "failed". */
  count(what: string): number {
    return this.#h ? Number(C().podrun_pool_count(this.#h, cstr(what))) : 0;
  }

  /**
   * Take a warm pod and run `program` with `args` in it. Waits (without
   * blocking the event loop) up to timeoutMs for a warm pod.
   */
  async take(program: string, args: string[] = [], timeoutMs = 60000): Promise<Pod> {
    const h = this.#h;
    if (!h) throw new PodError("take: the pool is closed", -77);
    const c = C();
    const bufs = [cstr(program), ...args.map(cstr)];
    const argv = new BigUint64Array(args.length + 1);
    for (let i = 0; i < args.length; i++) argv[i] = BigInt(ptr(bufs[i + 1]));
    const out = new BigUint64Array(1);
    const end = performance.now() + timeoutMs;
    for (let idle = 0; ; idle++) {
      const r = c.podrun_pool_take(h, bufs[0], argv, 0, ptr(out));
      if (r === 0) break;
      if (r !== -11 || performance.now() >= end)
        throw new PodError(poolError(h) || `take: ${ERRNO[-r] ?? r}`, r, r === -22 ? 2 : undefined);
      await sleep(idle < 4 ? 1 : 5);
    }
    const pod = adoptPod(Number(out[0]) as unknown as Pointer, this.#keepEvents);
    if (this.#clib) await pod.ready();
    return pod;
  }

  /** Tear the pool down: warm pods are freed (and taken ones still running end). */
  close(): void {
    if (!this.#h) return;
    poolRegistry.unregister(this);
    freePoolHandle(this.#h as unknown as number);
    this.#h = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function poolError(h: Pointer): string {
  const p = C().podrun_pool_error(h);
  return p ? new CString(p as Pointer).toString() : "";
}

function errorText(h: Pointer): string {
  const p = C().podrun_error(h);
  return p ? new CString(p as Pointer).toString() : "";
}

function check(r: number, h: Pointer | null, what: string, exitCode?: number): void {
  if (r < 0) throw new PodError(`${what}: ${(h && errorText(h)) || ERRNO[-r] || r}`, r, exitCode);
}

function configure(h: Pointer, o: PodOptions): void {
  const c = C();
  check(c.podrun_set_program(h, cstr(o.program)), h, "program", 2);
  for (const a of o.args ?? []) check(c.podrun_add_arg(h, cstr(a)), h, "argument", 2);
  if (typeof o.policy === "string") check(c.podrun_set_policy_file(h, cstr(o.policy)), h, "policy", 2);
  else if (o.policy) check(c.podrun_set_policy_json(h, cstr(JSON.stringify(o.policy))), h, "policy", 2);
  for (const f of o.flags ?? []) check(c.podrun_add_policy_flag(h, cstr(f)), h, `flag ${f}`, 2);
  if (o.limits)
    check(c.podrun_set_limits(h, o.limits.timeoutS ?? 0, BigInt(o.limits.memoryBytes ?? 0), o.limits.pids ?? 0), h, "limits", 2);
  if (o.audit) check(c.podrun_set_audit(h, cstr(o.audit)), h, "audit");
  check(c.podrun_set_events(h, 1), h, "events"); // also how ready() learns of HELLO
  check(c.podrun_set_serve(h, o.serve ? 1 : 0), h, "serve");
  if (o.stdio === "ignore") check(c.podrun_set_stdio(h, -1, -1, -1), h, "stdio");
  else check(c.podrun_set_stdio(h, -1, 1, 2), h, "stdio");
  c.podrun_set_verbosity(h, o.verbosity ?? -1);
  for (const [k, v] of Object.entries(o.options ?? {})) check(c.podrun_set_option(h, cstr(k), cstr(v)), h, `option ${k}`, 2);
}
