/*
 * pod.ts — the Bun worker SDK of Pod/Runner (layer 02-ipc): the pod's end of a
 * session, in TypeScript.
 *
 * Layer 02. Builds on 01-ring's libring.so through bun:ffi (the rings) and on
 * Bun's own Unix socket support (Bun.connect({ unix })) for the control
 * channel, which is why the protocol is SOCK_STREAM with length-prefixed
 * messages and the ring's descriptor is inherited rather than passed with
 * SCM_RIGHTS (README "Why SOCK_STREAM and an inherited fd"). Used by Bun
 * workers that 07-runner starts as
 *
 *     bun run worker.ts --pod-socket=PATH --pod-shm-fd=N [program args...]
 *
 *     import { connect } from "./pod.ts";
 *     const w = await connect();                 // strips --pod-* from process.argv
 *     for await (const frame of w) await w.send(frame);   // until STOP
 *     // batches: const b = await w.recvBatch(); await w.sendBatch(b);
 *     w.onStop(async (deadlineMs) => { await w.send(enc("bye")); return 0; });
 *
 * Behaviour mirrors the C SDK (src/worker.c): sleep only after
 * ring_prepare_wait() and a re-check; doorbells only when the runner sleeps;
 * merged doorbells while the socket is full; every wait ends on a message, the
 * socket closing, or a timeout. Bun has no blocking socket reads, so "blocking"
 * recv is `await w.recv()`. While frames flow, the event loop is given a turn
 * once per quarter ring so that STOP, PING and WANT_SPACE are seen.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { dirname, join } from "node:path";

/* ---- wire format (ipc.h, README "Byte-level spec") ------------------- */

export const VERSION = 1;
export const HDR_SIZE = 16;
export const MAX_PAYLOAD = 4080;
export const TEXT_MAX = 1024;
export const CATEGORY_MAX = 32;
export const REQUEST_MAX = 2048;
export const RULE_MAX = 256;

export const enum T {
  HELLO = 1, READY = 2, DATA = 3, STOP = 4, ERROR = 5, PING = 6, PONG = 7, QUERY = 8,
  VERDICT = 9, EVENT = 10,
}
export const TYPE_NAMES = ["?", "HELLO", "READY", "DATA", "STOP", "ERROR", "PING", "PONG", "QUERY",
  "VERDICT", "EVENT"];
export const DATA_FRAMES = 1, DATA_SPACE = 2, DATA_WANT_SPACE = 4, DATA_ALL = 7;
export const LANG_C = 1, LANG_PYTHON = 2, LANG_BUN = 3, LANG_LOADER = 4;
export const ACT_ALLOW = 0, ACT_WARN = 1, ACT_DENY = 2, ACT_INFO = 3;

/** One control message: type, seq and the type's fields (strings as Uint8Array). */
export interface Msg {
  type: number;
  seq: number;
  [field: string]: number | bigint | Uint8Array;
}

type Kind = "u8" | "u16" | "u32" | "i32" | "u64" | "z" | ["s", number];
const LAYOUT: Record<number, [string, Kind][]> = {
  [T.HELLO]: [["version", "u16"], ["lang", "u8"], ["", "z"], ["pid", "u32"]],
  [T.READY]: [["ring_capacity", "u32"], ["max_frame", "u32"]],
  [T.DATA]: [["flags", "u32"]],
  [T.STOP]: [["deadline_ms", "u32"]],
  [T.ERROR]: [["code", "i32"], ["text", ["s", TEXT_MAX]]],
  [T.PING]: [["token", "u64"]],
  [T.PONG]: [["token", "u64"]],
  [T.QUERY]: [["request_id", "u32"], ["category", ["s", CATEGORY_MAX]], ["request", ["s", REQUEST_MAX]]],
  [T.VERDICT]: [["request_id", "u32"], ["action", "u8"], ["", "z"], ["rule", ["s", RULE_MAX]],
    ["reason", ["s", TEXT_MAX]]],
  [T.EVENT]: [["action", "u8"], ["", "z"], ["category", ["s", CATEGORY_MAX]], ["what", ["s", TEXT_MAX]],
    ["detail", ["s", TEXT_MAX]]],
};

/** A message that breaks the wire format; errnoName is EBADMSG, EPROTONOSUPPORT or EMSGSIZE. */
export class CodecError extends Error {
  constructor(public errnoName: string, why: string) {
    super(`${errnoName}: ${why}`);
  }
}

function checkValues(m: Msg, bad: (why: string) => Error): void {
  const t = m.type;
  if (t === T.HELLO && !((m.lang as number) >= 1 && (m.lang as number) <= LANG_LOADER)) throw bad("lang");
  if (t === T.DATA && ((m.flags as number) === 0 || ((m.flags as number) & ~DATA_ALL) !== 0)) throw bad("DATA flags");
  if (t === T.VERDICT && !((m.action as number) >= 0 && (m.action as number) <= ACT_DENY)) throw bad("verdict action");
  if (t === T.EVENT && !((m.action as number) >= 0 && (m.action as number) <= ACT_INFO)) throw bad("event action");
}

const te = new TextEncoder();

/** Bytes of one message (header + payload). Throws RangeError for bad values. */
export function encode(m: Msg): Uint8Array {
  const layout = LAYOUT[m.type];
  if (!layout) throw new RangeError(`unknown type ${m.type}`);
  checkValues(m, (why) => new RangeError(why));
  const out = new Uint8Array(HDR_SIZE + MAX_PAYLOAD);
  const dv = new DataView(out.buffer);
  let o = HDR_SIZE;
  for (const [name, kind] of layout) {
    const v = m[name];
    if (kind === "z") out[o++] = 0;
    else if (kind === "u8") out[o++] = v as number;
    else if (kind === "u16") { dv.setUint16(o, v as number, true); o += 2; }
    else if (kind === "u32") { dv.setUint32(o, v as number, true); o += 4; }
    else if (kind === "i32") { dv.setInt32(o, v as number, true); o += 4; }
    else if (kind === "u64") { dv.setBigUint64(o, BigInt(v as number | bigint), true); o += 8; }
    else {
      const s = (typeof v === "string" ? te.encode(v) : (v as Uint8Array | undefined)) ?? new Uint8Array(0);
      if (s.length > kind[1] || s.includes(0)) throw new RangeError(`${name}: too long or contains NUL`);
      dv.setUint16(o, s.length, true);
      out.set(s, o + 2);
      o += 2 + s.length;
    }
  }
  out.set([0x50, 0x4f, 0x44, 0x49, VERSION, m.type, 0, 0], 0);
  dv.setUint32(8, o - HDR_SIZE, true);
  dv.setUint32(12, m.seq >>> 0, true);
  return out.subarray(0, o);
}

function checkPrefix(b: Uint8Array): void {
  const magic = [0x50, 0x4f, 0x44, 0x49];
  for (let i = 0; i < Math.min(4, b.length); i++)
    if (b[i] !== magic[i]) throw new CodecError("EBADMSG", "bad magic");
  if (b.length > 4 && b[4] !== VERSION) throw new CodecError("EPROTONOSUPPORT", `version ${b[4]}`);
  if (b.length > 5 && !(b[5] >= T.HELLO && b[5] <= T.EVENT)) throw new CodecError("EBADMSG", `type ${b[5]}`);
  if (b.length > 7 && (b[6] | b[7]) !== 0) throw new CodecError("EBADMSG", "reserved header flags");
  if (b.length > 11) {
    const len = (b[8] | (b[9] << 8) | (b[10] << 16)) + b[11] * 16777216;
    if (len > MAX_PAYLOAD) throw new CodecError("EMSGSIZE", "declared length too large");
  }
}

/**
 * Decode the message at the start of @p b. Returns [msg, bytes] or [null, 0]
 * when only a valid prefix is there; throws CodecError. Strings are copies.
 */
export function decode(b: Uint8Array): [Msg | null, number] {
  checkPrefix(b.subarray(0, HDR_SIZE));
  if (b.length < HDR_SIZE) return [null, 0];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = b[5], len = dv.getUint32(8, true), seq = dv.getUint32(12, true);
  if (b.length < HDR_SIZE + len) return [null, 0];
  const m: Msg = { type, seq };
  const end = HDR_SIZE + len;
  let o = HDR_SIZE;
  const bad = (why: string) => new CodecError("EBADMSG", `${TYPE_NAMES[type]}: ${why}`);
  const need = (n: number, what: string) => { if (o + n > end) throw bad(`truncated ${what}`); };
  for (const [name, kind] of LAYOUT[type]) {
    if (kind === "z") { need(1, "reserved"); if (b[o++] !== 0) throw bad("reserved byte"); }
    else if (kind === "u8") { need(1, name); m[name] = b[o++]; }
    else if (kind === "u16") { need(2, name); m[name] = dv.getUint16(o, true); o += 2; }
    else if (kind === "u32") { need(4, name); m[name] = dv.getUint32(o, true); o += 4; }
    else if (kind === "i32") { need(4, name); m[name] = dv.getInt32(o, true); o += 4; }
    else if (kind === "u64") { need(8, name); m[name] = dv.getBigUint64(o, true); o += 8; }
    else {
      need(2, name);
      const n = dv.getUint16(o, true);
      o += 2;
      if (n > kind[1] || o + n > end) throw bad(`string ${name} too long`);
      const s = b.slice(o, o + n);
      if (s.includes(0)) throw bad(`NUL in ${name}`);
      m[name] = s;
      o += n;
    }
  }
  if (o !== end) throw bad(`${end - o} trailing bytes`);
  checkValues(m, bad);
  return [m, end];
}

/* ---- errors ---------------------------------------------------------- */

/** Base of every SDK error; errno names the condition (ECONNRESET, EBADMSG, ...). */
export class PodError extends Error {
  constructor(message: string, public errno: string = "EIO") {
    super(message);
    this.name = new.target.name;
  }
}
/** The runner closed or reset the control socket (it exited or was killed). */
export class RunnerGone extends PodError {}
/** The runner sent something malformed or out of order, or the ring is corrupt. */
export class ProtocolError extends PodError {}
/** The runner answered with ERROR (e.g. at the handshake). */
export class RunnerRefused extends PodError {}
/** STOP arrived and no handler exited the process. */
export class Stopped extends PodError {}
/** A timeout given to recv() or to the handshake passed. */
export class PodTimeout extends PodError {}

/* ---- libring.so ------------------------------------------------------ */

const RING_DIR_TO_POD = 0, RING_DIR_TO_RUNNER = 1;
const EAGAIN = 11, EMSGSIZE = 90, EPROTO = 71;

function ringLibPath(): string {
  return process.env.POD_RING_LIB ?? join(dirname(import.meta.path), "..", "..", "01-ring", "build", "libring.so");
}

function loadRing() {
  const p = FFIType.ptr, i32 = FFIType.i32, u32 = FFIType.u32;
  return dlopen(ringLibPath(), {
    ring_shm_attach_fd: { args: [i32, p], returns: i32 },
    ring_shm_ring: { args: [p, i32], returns: p },
    ring_shm_capacity: { args: [p], returns: u32 },
    ring_shm_destroy: { args: [p], returns: FFIType.void },
    ring_write: { args: [p, p, u32], returns: i32 },
    ring_write_batch: { args: [p, p, u32], returns: i32 },
    ring_read: { args: [p, p, u32], returns: i32 },
    ring_read_batch: { args: [p, p, FFIType.u64, p, u32], returns: i32 },
    ring_free: { args: [p], returns: FFIType.i64_fast },
    ring_used: { args: [p], returns: FFIType.i64_fast },
    ring_max_frame: { args: [p], returns: u32 },
    ring_prepare_wait: { args: [p], returns: i32 },
    ring_cancel_wait: { args: [p], returns: FFIType.void },
    ring_need_wakeup: { args: [p], returns: i32 },
  }).symbols;
}

function loadLibc() {
  return dlopen("libc.so.6", { close: { args: [FFIType.i32], returns: FFIType.i32 } }).symbols;
}

let ring: ReturnType<typeof loadRing> | null = null;

/* ---- argv ------------------------------------------------------------ */

/** What a worker needs to connect. */
export interface PodArgs {
  socketPath: string;
  shmFd: number;
}

/**
 * Remove --pod-socket=PATH and --pod-shm-fd=N from argv (default
 * process.argv; the program's own arguments start at index 2; anything after
 * "--" is left alone). Throws PodError when --pod-socket is missing.
 */
export function parseArgs(argv: string[] = process.argv, first = 2): PodArgs {
  let socketPath = "", shmFd = -1, done = false;
  const keep = argv.slice(0, first);
  for (const a of argv.slice(first)) {
    if (!done && a === "--") done = true;
    else if (!done && a.startsWith("--pod-socket=")) { socketPath = a.slice(13); continue; }
    else if (!done && a.startsWith("--pod-shm-fd=")) {
      const v = a.slice(13);
      if (!/^[0-9]+$/.test(v)) throw new PodError(`malformed ${a}`, "EINVAL");
      shmFd = Number(v);
      continue;
    }
    keep.push(a);
  }
  argv.splice(0, argv.length, ...keep);
  if (!socketPath) throw new PodError("no --pod-socket=PATH argument: not started by a runner", "ENOENT");
  return { socketPath, shmFd };
}

/* ---- batches --------------------------------------------------------- */

const MAX_BATCH = 256;

/**
 * Frames from recvBatch(): packed in the worker's buffer and valid until the
 * next recvBatch(). frame(i) and iteration give views (subarray), not copies;
 * pass the batch to sendBatch() to echo it without a copy.
 */
export class Batch {
  n = 0;
  constructor(readonly buf: Uint8Array, readonly lens: Uint32Array) {}
  get length(): number { return this.n; }
  /** Frame @p i as a view into the worker's buffer. */
  frame(i: number): Uint8Array {
    let off = 0;
    for (let k = 0; k < i; k++) off += this.lens[k];
    return this.buf.subarray(off, off + this.lens[i]);
  }
  *[Symbol.iterator](): IterableIterator<Uint8Array> {
    let off = 0;
    for (let i = 0; i < this.n; i++) {
      yield this.buf.subarray(off, off + this.lens[i]);
      off += this.lens[i];
    }
  }
}

/* ---- the worker ------------------------------------------------------ */

/** Options of connect(). */
export interface ConnectOptions {
  argv?: string[];
  socketPath?: string;
  shmFd?: number;
  handshakeTimeoutMs?: number;
  /** Poll an empty ring this long before sleeping (default $POD_SPIN_US, else 0). */
  spinUs?: number;
}

type StopHandler = (deadlineMs: number) => unknown;

const OUT_MAX = 64 * 1024;

export class Worker {
  readonly capacity: number;
  readonly maxFrame: number;
  stopping = false;
  stopDeadlineMs = 0;

  private shm: number;
  private rx: number;
  private tx: number;
  private sock: any = null;
  private inbuf = new Uint8Array(0);
  private out: Uint8Array[] = [];
  private outLen = 0;
  private txSeq = 0;
  private rxSeq = 0;
  private deferred = 0;
  private peerWantsSpace = false;
  private wantSpaceSent = false;
  private consumed = 0;
  private err: PodError | null = null;
  /* Everyone awaiting a control-plane event (a recv sleeping on the doorbell
   * and a send waiting for SPACE may wait at the same time): all are woken on
   * each event, message, close or error, and each re-checks its own condition.
   * One slot would lose the older waiter, which then never wakes. */
  private waiters: (() => void)[] = [];
  private rxBusy = false; /* a recv/recvBatch is running: a second one is EBUSY */
  private rxOwner = 0;    /* token of the receiver that owns the to-pod ring */
  private stopFn: StopHandler | null = null;
  private stopRunning = false;
  private exiting = false;
  private readyMsg: Msg | null = null;
  private closing: Promise<void> = Promise.resolve();
  private closed: (() => void) | null = null; /* resolves closing when the runner's end closes */

  private readonly buf: Uint8Array;
  private readonly bufPtr: number;
  private readonly lens = new Uint32Array(MAX_BATCH);
  private readonly lensPtr: number;
  private readonly iov = new Uint32Array(4 * MAX_BATCH); // struct iovec as lo/hi words
  private readonly iovPtr: number;
  private staging = new Uint8Array(1 << 16);
  private readonly batch: Batch;
  private spinMs = 0;

  private constructor(shmFd: number) {
    if (!ring) ring = loadRing();
    if (shmFd < 0) throw new PodError("no --pod-shm-fd=N argument", "EBADF");
    const out = new BigUint64Array(1);
    const ret = ring.ring_shm_attach_fd(shmFd, ptr(out));
    if (ret < 0) throw new ProtocolError(`cannot map the rings from fd ${shmFd} (errno ${-ret})`, "EPROTO");
    loadLibc().close(shmFd); // children of the worker must not inherit it
    this.shm = Number(out[0]);
    this.rx = ring.ring_shm_ring(this.shm, RING_DIR_TO_POD) as number;
    this.tx = ring.ring_shm_ring(this.shm, RING_DIR_TO_RUNNER) as number;
    this.capacity = ring.ring_shm_capacity(this.shm);
    this.maxFrame = ring.ring_max_frame(this.tx);
    this.buf = new Uint8Array(Math.max(1 << 20, this.maxFrame * 2));
    this.bufPtr = ptr(this.buf);
    this.lensPtr = ptr(this.lens);
    this.iovPtr = ptr(this.iov);
    this.batch = new Batch(this.buf, this.lens);
  }

  /** Connect (see the module function connect()). */
  static async connect(o: ConnectOptions = {}): Promise<Worker> {
    let socketPath = o.socketPath, shmFd = o.shmFd ?? -1;
    if (!socketPath) ({ socketPath, shmFd } = parseArgs(o.argv ?? process.argv));
    const w = new Worker(shmFd);
    w.spinMs = Math.max(0, o.spinUs ?? Number(process.env.POD_SPIN_US ?? 0)) / 1000;
    try {
      await w.handshake(socketPath, o.handshakeTimeoutMs ?? 5000);
    } catch (e) {
      w.close();
      throw e;
    }
    return w;
  }

  /* -- control socket -- */

  private async handshake(path: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const self = this;
    try {
      this.sock = await Bun.connect({
        unix: path,
        socket: {
          data(_s: any, d: Uint8Array) { self.onData(d); },
          drain() { self.flush(); if (self.deferred) self.doorbell(0); },
          close() { self.gone("the runner closed the control socket"); self.closed?.(); },
          end() { self.gone("the runner closed the control socket"); },
          error(_s: any, e: Error) { self.gone(`the runner closed the control socket (${e.message})`); },
        },
      });
    } catch (e: any) {
      throw new PodError(`cannot connect to the runner at ${path}: ${e?.message ?? e}`, e?.code ?? "ECONNREFUSED");
    }
    this.sendMsg({ type: T.HELLO, seq: 0, version: VERSION, lang: LANG_BUN, pid: process.pid });
    while (!this.readyMsg) {
      if (this.err) throw this.err;
      const left = deadline - performance.now();
      if (left <= 0) throw new PodTimeout("handshake timed out", "ETIMEDOUT");
      await this.waitEvent(left);
    }
    const m = this.readyMsg;
    if (m.ring_capacity !== this.capacity || m.max_frame !== ring!.ring_max_frame(this.rx))
      throw new ProtocolError("READY does not match the mapped rings", "EPROTO");
  }

  private fail(e: PodError): never {
    if (!this.err) this.err = e;
    this.wakeUp();
    throw this.err;
  }

  private gone(why: string): void {
    if (!this.err) this.err = new RunnerGone(why + (this.inbuf.length ? " mid-message" : ""), "ECONNRESET");
    this.wakeUp();
  }

  private wakeUp(): void {
    if (!this.waiters.length) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolve on the next control message, close, error, or after @p ms (undefined = never). */
  private waitEvent(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const w = () => { if (timer) clearTimeout(timer); resolve(); };
      this.waiters.push(w);
      if (ms !== undefined)
        timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        }, Math.max(1, ms));
    });
  }

  private flush(): boolean {
    while (this.out.length && this.sock) {
      const chunk = this.out[0];
      const n = this.sock.write(chunk);
      if (n < 0) { this.gone("the runner closed the control socket"); return false; }
      if (n < chunk.length) { this.out[0] = chunk.subarray(n); this.outLen -= n; return false; }
      this.out.shift();
      this.outLen -= chunk.length;
    }
    return this.out.length === 0;
  }

  private sendMsg(m: Msg): void {
    m.seq = ++this.txSeq;
    const data = encode(m);
    if (this.outLen + data.length > OUT_MAX)
      this.fail(new ProtocolError("the runner does not read its control socket", "EBADMSG"));
    this.out.push(data.slice());
    this.outLen += data.length;
    this.flush();
  }

  /** DATA, merged while the socket cannot take more (see src/worker.c). */
  private doorbell(flags: number): void {
    this.deferred |= flags;
    if (!this.deferred || this.err || (this.out.length && !this.flush())) return;
    const f = this.deferred;
    this.deferred = 0;
    this.sendMsg({ type: T.DATA, seq: 0, flags: f });
  }

  private maybeSendSpace(): void {
    if (this.peerWantsSpace && Number(ring!.ring_free(this.rx)) >= this.capacity / 2) {
      this.peerWantsSpace = false;
      this.doorbell(DATA_SPACE);
    }
  }

  private onData(d: Uint8Array): void {
    if (this.err) return;
    if (this.inbuf.length) {
      const b = new Uint8Array(this.inbuf.length + d.length);
      b.set(this.inbuf);
      b.set(d, this.inbuf.length);
      this.inbuf = b;
    } else {
      this.inbuf = d.slice();
    }
    try {
      for (;;) {
        let m: Msg | null, n: number;
        try {
          [m, n] = decode(this.inbuf);
        } catch (e: any) {
          this.fail(new ProtocolError(`the runner sent a malformed control message (${e.message})`, "EBADMSG"));
        }
        if (!m) break;
        this.inbuf = this.inbuf.subarray(n);
        if (m.seq !== ((this.rxSeq + 1) >>> 0))
          this.fail(new ProtocolError("the runner skipped a message sequence number", "EBADMSG"));
        this.rxSeq = m.seq;
        this.onMsg(m);
      }
    } catch (e) {
      if (!(e instanceof PodError)) throw e;
    }
    this.wakeUp();
  }

  private onMsg(m: Msg): void {
    if (!this.readyMsg) {
      if (m.type === T.READY) { this.readyMsg = m; return; }
      if (m.type === T.ERROR)
        this.fail(new RunnerRefused(`runner refused the session (code ${m.code}): ${new TextDecoder().decode(m.text as Uint8Array)}`, "EREMOTEIO"));
      this.fail(new ProtocolError(`handshake: expected READY, got ${TYPE_NAMES[m.type]}`, "EBADMSG"));
    }
    switch (m.type) {
      case T.DATA: {
        const f = m.flags as number;
        if (f & DATA_SPACE) this.wantSpaceSent = false;
        if (f & DATA_WANT_SPACE) { this.peerWantsSpace = true; this.maybeSendSpace(); }
        return;
      }
      case T.STOP:
        if (!this.stopping) {
          this.stopping = true;
          this.stopDeadlineMs = m.deadline_ms as number;
          if (this.stopFn) queueMicrotask(() => this.runStop());
        }
        return;
      case T.PING:
        this.sendMsg({ type: T.PONG, seq: 0, token: m.token as bigint });
        return;
      case T.ERROR:
        this.fail(new RunnerGone(`the runner reported error ${m.code}: ${new TextDecoder().decode(m.text as Uint8Array)}`, "EREMOTEIO"));
      default:
        this.fail(new ProtocolError(`the runner sent ${TYPE_NAMES[m.type]} out of order`, "EBADMSG"));
    }
  }

  private async runStop(): Promise<void> {
    if (this.stopRunning || !this.stopFn) return;
    this.stopRunning = true;
    let status: unknown = 0;
    try {
      status = await this.stopFn(this.stopDeadlineMs);
    } catch (e) {
      console.error("pod: STOP handler failed:", e);
      status = 1;
    }
    this.exiting = true; /* the code the handler interrupted waits for the exit */
    await this.close();
    process.exit(typeof status === "number" ? status : 0);
  }

  private stopped(): never {
    throw new Stopped(`the runner asked the worker to stop (deadline ${this.stopDeadlineMs} ms)`, "ESHUTDOWN");
  }

  private check(): void {
    if (this.err) throw this.err;
    if (this.stopping && !this.stopFn) this.stopped();
  }

  /* -- data path -- */

  /** Account for consumed bytes; once per quarter ring, let the event loop run. */
  private async afterConsume(bytes: number): Promise<void> {
    if (this.deferred) this.doorbell(0);
    if (this.peerWantsSpace) this.maybeSendSpace();
    this.consumed += bytes;
    if (this.consumed >= this.capacity / 4) {
      this.consumed = 0;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** afterConsume(), keeping a failure for the next call so that the frames just read are not lost. */
  private async afterConsumeQuietly(bytes: number): Promise<void> {
    if (this.err) return;
    try {
      await this.afterConsume(bytes);
    } catch (e) {
      if (!(e instanceof PodError)) throw e;
    }
  }

  /** Sleep until a doorbell/message or the deadline (performance.now() ms). */
  private async sleepOnRx(me: number, deadline?: number): Promise<void> {
    if (this.spinMs) {
      const end = performance.now() + this.spinMs, r = ring!;
      while (performance.now() < end) if (Number(r.ring_used(this.rx)) !== 0) return;
    }
    this.maybeSendSpace(); // the ring is empty: all of it is free
    const a = ring!.ring_prepare_wait(this.rx); // announce, then re-check
    if (a < 0) this.fail(new ProtocolError("the to-pod ring is corrupt", "EPROTO"));
    if (a === 0) return;
    try {
      if (deadline === undefined) await this.waitEvent();
      else if (deadline > performance.now()) await this.waitEvent(deadline - performance.now());
    } finally {
      // close() may have unmapped the rings meanwhile; a STOP handler's recv may own the word now
      if (this.shm && this.rxOwner === me) ring!.ring_cancel_wait(this.rx);
    }
  }

  /** Install the STOP handler: runs once when STOP arrives; then the process exits with its number result (0 otherwise). */
  onStop(fn: StopHandler): void {
    this.stopFn = fn;
    if (this.stopping) queueMicrotask(() => this.runStop());
  }

  /** Next frame (a copy), waiting on the doorbell when the ring is empty.
   *  One recv/recvBatch at a time: a second concurrent one throws EBUSY. */
  async recv(timeoutMs?: number): Promise<Uint8Array> {
    const me = this.rxEnter();
    try {
      return await this.recvOne(me, timeoutMs);
    } finally {
      if (this.rxOwner === me) this.rxBusy = false;
    }
  }

  /* The consumer side of the to-pod ring and its waiting word have one owner:
   * two receivers would cancel each other's wait and lose a wake-up. The one
   * exception is the STOP handler: its recv takes the ring over, and the
   * receiver it interrupted parks for good (the process exits after the handler). */
  private rxEnter(): number {
    if (this.rxBusy && !this.stopRunning)
      throw new PodError("another recv() or recvBatch() is already waiting", "EBUSY");
    this.rxBusy = true;
    return ++this.rxOwner;
  }

  /** A receiver that lost the ring to the STOP handler: wait for the exit. */
  private parkIfDisowned(me: number): Promise<never> | null {
    return this.rxOwner === me && !this.exiting ? null : new Promise<never>(() => {});
  }

  private async recvOne(me: number, timeoutMs?: number): Promise<Uint8Array> {
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    for (;;) {
      const park = this.parkIfDisowned(me);
      if (park) await park;
      // frames already in the ring are delivered even after a failure; the
      // error is thrown once the ring is empty (STOP acts at once)
      if (!this.shm) throw this.err!;
      if (this.stopping && !this.stopFn) this.stopped();
      const n = ring!.ring_read(this.rx, this.bufPtr, this.buf.length);
      if (n >= 0) {
        const f = this.buf.slice(0, n);
        await this.afterConsumeQuietly(n + 8);
        return f;
      }
      this.check();
      if (n === -EPROTO) this.fail(new ProtocolError("the to-pod ring is corrupt", "EPROTO"));
      if (n !== -EAGAIN) throw new PodError(`ring_read failed (errno ${-n})`);
      if (deadline !== undefined && performance.now() >= deadline) throw new PodTimeout("recv timed out", "ETIMEDOUT");
      await this.sleepOnRx(me, deadline);
    }
  }

  /** Up to @p max frames (at least one) in a Batch that reuses the worker's buffer.
   *  One recv/recvBatch at a time: a second concurrent one throws EBUSY. */
  async recvBatch(max = MAX_BATCH, timeoutMs?: number): Promise<Batch> {
    const me = this.rxEnter();
    try {
      return await this.recvBatchOne(me, max, timeoutMs);
    } finally {
      if (this.rxOwner === me) this.rxBusy = false;
    }
  }

  private async recvBatchOne(me: number, max: number, timeoutMs?: number): Promise<Batch> {
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    const r = ring!;
    for (;;) {
      const park = this.parkIfDisowned(me);
      if (park) await park;
      if (!this.shm) throw this.err!;
      if (this.stopping && !this.stopFn) this.stopped();
      const n = r.ring_read_batch(this.rx, this.bufPtr, this.buf.length, this.lensPtr, Math.min(max, MAX_BATCH));
      if (n > 0) {
        let bytes = 8 * n;
        for (let i = 0; i < n; i++) bytes += this.lens[i];
        this.batch.n = n;
        await this.afterConsumeQuietly(bytes);
        return this.batch;
      }
      this.check();
      if (n === -EPROTO) this.fail(new ProtocolError("the to-pod ring is corrupt", "EPROTO"));
      if (n < 0) throw new PodError(`ring_read_batch failed (errno ${-n})`);
      if (deadline !== undefined && performance.now() >= deadline) throw new PodTimeout("recv timed out", "ETIMEDOUT");
      await this.sleepOnRx(me, deadline);
    }
  }

  /** Frames (copies) until STOP; a handler set with onStop() runs and exits first. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    for (;;) {
      try {
        yield await this.recv();
      } catch (e) {
        if (e instanceof Stopped) return;
        throw e;
      }
    }
  }

  private published(): void {
    const need = ring!.ring_need_wakeup(this.tx); // clears the word when set
    if (need || this.deferred) this.doorbell(need ? DATA_FRAMES : 0);
  }

  private async waitForSpace(): Promise<void> {
    if (!this.wantSpaceSent) {
      this.wantSpaceSent = true;
      this.doorbell(DATA_WANT_SPACE);
      return; // retry the write once before sleeping
    }
    await this.waitEvent();
  }

  /** Write one frame without waiting; false when the ring is full. */
  trySend(data: Uint8Array): boolean {
    this.check();
    const ret = ring!.ring_write(this.tx, data, data.length);
    if (ret === 0) { this.published(); return true; }
    if (ret === -EAGAIN) return false;
    if (ret === -EMSGSIZE) throw new PodError(`frame of ${data.length} bytes is over the limit ${this.maxFrame}`, "EMSGSIZE");
    this.fail(new ProtocolError("the to-runner ring is corrupt", "EPROTO"));
  }

  /** Send one frame, waiting while the ring is full. */
  async send(data: Uint8Array): Promise<void> {
    while (!this.trySend(data)) {
      await this.waitForSpace();
      if (this.exiting) await new Promise<never>(() => {});
      if (this.err) throw this.err;
    }
  }

  /** Send a Batch (zero copy) or a list of frames (copied once), waiting while full. */
  async sendBatch(frames: Batch | Uint8Array[]): Promise<void> {
    let base: number, lens: ArrayLike<number>, n: number;
    if (frames instanceof Batch) {
      base = this.bufPtr; lens = frames.lens; n = frames.n;
    } else {
      let total = 0;
      for (const f of frames) total += f.length;
      if (total > this.staging.length) this.staging = new Uint8Array(total * 2);
      let o = 0;
      const l = new Uint32Array(frames.length);
      frames.forEach((f, i) => { this.staging.set(f, o); o += f.length; l[i] = f.length; });
      base = ptr(this.staging); lens = l; n = frames.length;
    }
    const iov = this.iov, r = ring!;
    let done = 0;
    while (done < n) {
      const k = Math.min(n - done, MAX_BATCH);
      let addr = base;
      for (let i = 0; i < k; i++) {
        const len = lens[done + i];
        iov[4 * i] = addr % 4294967296;
        iov[4 * i + 1] = Math.floor(addr / 4294967296);
        iov[4 * i + 2] = len;
        iov[4 * i + 3] = 0;
        addr += len;
      }
      let pos = 0;
      while (pos < k) {
        this.check();
        const got = r.ring_write_batch(this.tx, this.iovPtr + 16 * pos, k - pos);
        if (got > 0) { pos += got; this.published(); }
        else if (got === 0) {
          await this.waitForSpace();
          if (this.exiting) await new Promise<never>(() => {});
          if (this.err) throw this.err;
        }
        else if (got === -EPROTO) this.fail(new ProtocolError("the to-runner ring is corrupt", "EPROTO"));
        else throw new PodError(`ring_write_batch failed (errno ${-got})`);
      }
      done += k;
      base = addr;
    }
  }

  /** Report an application error (ERROR message) to the runner. */
  sendError(code: number, text: string): void {
    this.check();
    const t = te.encode(text).subarray(0, TEXT_MAX).map((c) => (c === 0 ? 32 : c));
    this.sendMsg({ type: T.ERROR, seq: 0, code, text: t });
  }

  /** The last failure, or null. */
  get error(): PodError | null { return this.err; }

  /**
   * End the session and unmap the rings. The rings and every wait end at
   * once; the returned promise resolves when the runner has closed its end
   * too (at most @p lingerMs later). Await it before process.exit(): a control
   * message still on its way (say, SPACE answering a WANT_SPACE sent just
   * before STOP arrived) that is unread when the process exits turns the
   * runner's view of a clean close into a reset (ECONNRESET), so the socket is
   * half-closed and drained until the runner closes it.
   */
  close(lingerMs = 1000): Promise<void> {
    if (this.sock) {
      this.flush();
      const s = this.sock;
      this.sock = null;
      if (!this.err) this.err = new PodError("the session is closed", "EBADF");
      this.wakeUp();
      this.closing = new Promise<void>((resolve) => {
        const timer = setTimeout(() => { s.end(); resolve(); }, Math.max(1, lingerMs));
        this.closed = () => { clearTimeout(timer); resolve(); };
      });
      s.shutdown(); /* our EOF: the runner ends the session and closes */
    }
    if (this.shm) {
      ring!.ring_shm_destroy(this.shm);
      this.shm = 0;
    }
    return this.closing;
  }
}

/**
 * Connect to the runner named in argv (default process.argv, whose --pod-*
 * arguments are removed) and complete the handshake.
 */
export function connect(o: ConnectOptions = {}): Promise<Worker> {
  return Worker.connect(o);
}
