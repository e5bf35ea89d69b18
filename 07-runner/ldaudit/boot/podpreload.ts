// podpreload.ts — Bun preload of a pod (layer 07-runner: the SDK module and the
// FFI gate for Bun).
//
// The runtime module (07-runner/runtime) starts every Bun worker as
//     /pod/bin/bun --no-install --preload /pod/sdk/boot/podpreload.ts /pod/app/SCRIPT ARGS...
// Before the worker's first line runs, this file
//   1. registers the module "pod": `import { connect } from "pod"` is the 02-ipc
//      Bun SDK at $POD_SDK_BUN (/pod/sdk/bun/pod.ts), whatever the worker's
//      directory holds (Bun.plugin's virtual module; a node_modules folder would
//      need a package.json that the SDK folder does not have);
//   2. when the runner asked for it (POD_FFI_GATE=1), wraps `dlopen` of bun:ffi
//      (the same object that `import { dlopen } from "bun:ffi"` reads), the
//      native `Bun.FFI.dlopen` under it, and `process.dlopen` (Node-API
//      addons): the library is resolved to an absolute
//      path the way the loader would find it, and the runner is asked over the
//      FFI query socket (POD_FFI_SOCKET) with a 02-ipc QUERY(category "ffi"). A
//      deny throws
//          Error("pod: ffi denied: LIB (rule RULE)")   with code "EACCES"
//      before any native code of the library is loaded. No socket, no answer
//      within POD_FFI_TIMEOUT_MS (default 2000) or a broken answer = deny.
//
// dlopen must answer synchronously, and Bun has no synchronous socket API, so
// the question is asked with libc's socket/connect/write/poll/read through
// bun:ffi itself (libc is already loaded: the LD_AUDIT library does not ask
// about it). The LD_AUDIT library (libpodaudit.so) still sees the dlopen()
// underneath, so code that reaches the loader another way (bun:ffi's `cc`, a
// JIT) meets the same policy there.
//
// Wire format: 02-ipc's (ipc.h), the same bytes as podboot.py; see there.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, normalize, resolve } from "node:path";

const HELLO = 1, READY = 2, QUERY = 8, VERDICT = 9;
const LANG_LOADER = 4;
const ACT_ALLOW = 0, ACT_WARN = 1, ACT_DENY = 2;
const HDR = 16, MAX_PAYLOAD = 4080;

const env = process.env;
const settings = {
  socket: env.POD_FFI_SOCKET || env.POD_QUERY_SOCKET || "",
  timeoutMs: Math.max(parseInt(env.POD_FFI_TIMEOUT_MS || "2000", 10) || 2000, 1),
  quiet: env.POD_FFI_QUIET === "1",
  trusted: (env.POD_FFI_TRUSTED || "").split(":").filter((t) => t.startsWith("/")),
  libPath: (env.LD_LIBRARY_PATH || "").split(":").filter((d) => d.startsWith("/")),
};

// ---- codec (exported for the conformance test) ----------------------------

const enc = new TextEncoder();

function str(text: string): Uint8Array {
  const b = enc.encode(text);
  if (b.length > 0xffff || b.includes(0)) throw new Error("string not encodable");
  const out = new Uint8Array(2 + b.length);
  new DataView(out.buffer).setUint16(0, b.length, true);
  out.set(b, 2);
  return out;
}

export function encode(type: number, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HDR + payload.length);
  const dv = new DataView(out.buffer);
  out.set([0x50, 0x4f, 0x44, 0x49], 0); // "PODI"
  dv.setUint8(4, 1);
  dv.setUint8(5, type);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, payload.length, true);
  dv.setUint32(12, seq, true);
  out.set(payload, HDR);
  return out;
}

export function encodeHello(seq: number, pid: number): Uint8Array {
  const p = new Uint8Array(8);
  const dv = new DataView(p.buffer);
  dv.setUint16(0, 1, true);
  dv.setUint8(2, LANG_LOADER);
  dv.setUint32(4, pid, true);
  return encode(HELLO, seq, p);
}

export function encodeQuery(seq: number, id: number, category: string, request: string): Uint8Array {
  const c = str(category), r = str(request);
  const p = new Uint8Array(4 + c.length + r.length);
  new DataView(p.buffer).setUint32(0, id, true);
  p.set(c, 4);
  p.set(r, 4 + c.length);
  return encode(QUERY, seq, p);
}

export type Message = { type: number; seq: number; payload: Uint8Array; size: number };

/** The first message of buf, or null when incomplete; throws when malformed. */
export function decode(buf: Uint8Array): Message | null {
  if (buf.length < HDR) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  if (buf[0] !== 0x50 || buf[1] !== 0x4f || buf[2] !== 0x44 || buf[3] !== 0x49) throw new Error("bad magic");
  const type = dv.getUint8(5), len = dv.getUint32(8, true);
  if (dv.getUint8(4) !== 1 || dv.getUint16(6, true) !== 0 || type < 1 || type > 10) throw new Error("bad header");
  if (len > MAX_PAYLOAD) throw new Error("oversize");
  if (buf.length < HDR + len) return null;
  return { type, seq: dv.getUint32(12, true), payload: buf.slice(HDR, HDR + len), size: HDR + len };
}

const dec = new TextDecoder();

export function decodeVerdict(p: Uint8Array): { id: number; action: number; rule: string; reason: string } {
  if (p.length < 6) throw new Error("short verdict");
  const dv = new DataView(p.buffer, p.byteOffset, p.length);
  const id = dv.getUint32(0, true), action = dv.getUint8(4);
  if (action > ACT_DENY || dv.getUint8(5) !== 0) throw new Error("bad verdict");
  let off = 6;
  const take = (): string => {
    if (off + 2 > p.length) throw new Error("short string");
    const n = dv.getUint16(off, true);
    if (off + 2 + n > p.length) throw new Error("string overrun");
    const raw = p.subarray(off + 2, off + 2 + n);
    if (raw.includes(0)) throw new Error("NUL in string");
    off += 2 + n;
    return dec.decode(raw);
  };
  const rule = take(), reason = take();
  if (off !== p.length) throw new Error("trailing bytes");
  return { id, action, rule, reason };
}

// ---- libc through bun:ffi (synchronous socket I/O) --------------------------

// Only require() here, never `import ... from "bun:ffi"`: the ES namespace of
// bun:ffi is built from this CommonJS object the first time someone imports
// it, so patching the object before that patches every later import too.
const ffi: any = require("bun:ffi");
const realDlopen = ffi.dlopen;
let libc: any = null;
function c(): any {
  if (!libc) {
    const T = ffi.FFIType;
    libc = realDlopen("libc.so.6", {
      socket: { args: [T.i32, T.i32, T.i32], returns: T.i32 },
      connect: { args: [T.i32, T.ptr, T.u32], returns: T.i32 },
      write: { args: [T.i32, T.ptr, T.u64], returns: T.i64 },
      read: { args: [T.i32, T.ptr, T.u64], returns: T.i64 },
      poll: { args: [T.ptr, T.u64, T.i32], returns: T.i32 },
      close: { args: [T.i32], returns: T.i32 },
    }).symbols;
  }
  return libc;
}

function waitReadable(fd: number, deadline: number): void {
  const pfd = new Uint8Array(8);
  const dv = new DataView(pfd.buffer);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error("timed out");
    dv.setInt32(0, fd, true);
    dv.setInt16(4, 1 /* POLLIN */, true);
    dv.setInt16(6, 0, true);
    const r = c().poll(pfd, 1, left);
    if (r > 0) return;
    if (r < 0) throw new Error("poll failed");
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    const n = Number(c().write(fd, bytes.subarray(off), bytes.length - off));
    if (n <= 0) throw new Error("write failed");
    off += n;
  }
}

function readMessage(fd: number, buf: { data: Uint8Array }, deadline: number): Message {
  for (;;) {
    const m = decode(buf.data);
    if (m) {
      buf.data = buf.data.slice(m.size);
      return m;
    }
    waitReadable(fd, deadline);
    const chunk = new Uint8Array(8192);
    const n = Number(c().read(fd, chunk, chunk.length));
    if (n <= 0) throw new Error("runner closed the query socket");
    const joined = new Uint8Array(buf.data.length + n);
    joined.set(buf.data, 0);
    joined.set(chunk.subarray(0, n), buf.data.length);
    buf.data = joined;
  }
}

let nextId = 1;

/** Ask the runner: [allowed, rule]. Every failure denies. */
function ask(path: string): [boolean, string] {
  if (!settings.socket) return [false, "no-runner: POD_FFI_SOCKET not set"];
  const sockPath = enc.encode(settings.socket);
  if (sockPath.length >= 108) return [false, "no-runner: socket path too long"];
  const id = nextId++;
  const fd = c().socket(1 /* AF_UNIX */, 1 | 0o2000000 /* SOCK_STREAM|SOCK_CLOEXEC */, 0);
  if (fd < 0) return [false, "no-answer: socket() failed"];
  try {
    const deadline = Date.now() + settings.timeoutMs;
    const sa = new Uint8Array(110);
    new DataView(sa.buffer).setUint16(0, 1, true); // sun_family = AF_UNIX
    sa.set(sockPath, 2);
    if (c().connect(fd, sa, 2 + sockPath.length + 1) !== 0) return [false, "no-answer: cannot connect"];
    const buf = { data: new Uint8Array(0) };
    writeAll(fd, encodeHello(1, process.pid));
    if (readMessage(fd, buf, deadline).type !== READY) return [false, "no-answer: no READY"];
    writeAll(fd, encodeQuery(2, id, "ffi", path));
    const m = readMessage(fd, buf, deadline);
    if (m.type !== VERDICT) return [false, "no-answer: no VERDICT"];
    const v = decodeVerdict(m.payload);
    if (v.id !== id) return [false, "no-answer: VERDICT for another request"];
    return [v.action === ACT_ALLOW || v.action === ACT_WARN, v.rule || "default"];
  } catch (e) {
    return [false, `no-answer: ${(e as Error).message}`];
  } finally {
    c().close(fd);
  }
}

// ---- where the loader would find a name -------------------------------------

function cacheLookup(name: string): string | null {
  let data: Buffer;
  try {
    data = readFileSync("/etc/ld.so.cache");
  } catch {
    return null;
  }
  if (data.length < 48 || data.toString("latin1", 0, 20) !== "glibc-ld.so.cache1.1") return null;
  const nlibs = data.readUInt32LE(20);
  const cstr = (off: number) => data.toString("latin1", off, data.indexOf(0, off));
  for (let i = 0; i < Math.min(nlibs, Math.floor((data.length - 48) / 24)); i++) {
    const e = 48 + 24 * i;
    const flags = data.readInt32LE(e), key = data.readUInt32LE(e + 4), value = data.readUInt32LE(e + 8);
    const hwcapHi = data.readUInt32LE(e + 20);
    if ((flags & 0xff) !== 3 || hwcapHi & (1 << 30) || key >= data.length || value >= data.length) continue;
    if (cstr(key) === name) {
      const p = cstr(value);
      if (existsSync(p)) return p;
    }
  }
  return null;
}

export function resolveLibrary(name: string): string | null {
  if (name.includes("/")) return normalize(isAbsolute(name) ? name : resolve(name));
  for (const d of settings.libPath) if (existsSync(join(d, name))) return normalize(join(d, name));
  const cached = cacheLookup(name);
  if (cached) return cached;
  const arch = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  for (const d of [`/lib/${arch}`, `/usr/lib/${arch}`, "/lib64", "/usr/lib64", "/lib", "/usr/lib"])
    if (existsSync(join(d, name))) return join(d, name);
  return null;
}

function isTrusted(path: string): boolean {
  let real = path, canon = path;
  try {
    real = realpathSync(path);
    canon = join(realpathSync(dirname(path)), basename(path));
  } catch {}
  return settings.trusted.some((t) => [path, real, canon].some((p) => (t.endsWith("/") ? p.startsWith(t) : p === t)));
}

const decided = new Map<string, [boolean, string]>();

/** Throw when the runner denies loading `name`. */
export function check(name: unknown): void {
  if (name === null || name === undefined) return;
  const text = name instanceof URL ? name.pathname : String(name);
  const path = resolveLibrary(text);
  if (path === null || isTrusted(path)) return; // not found: the loader fails on its own
  let verdict = decided.get(path);
  // ask with the directory canonical and the file name as searched
  // (what a policy rule names: /usr/lib/.../libz.so.1)
  let canon = path;
  try {
    canon = join(realpathSync(dirname(path)), basename(path));
  } catch {}
  if (!verdict) {
    verdict = ask(canon);
    decided.set(path, verdict);
  }
  if (!verdict[0]) {
    const msg = `pod: ffi denied: ${canon} (rule ${verdict[1]})`;
    if (!settings.quiet) process.stderr.write(msg + "\n");
    const err = new Error(msg) as Error & { code: string };
    err.code = "EACCES";
    throw err;
  }
}

// ---- 1. the "pod" module --------------------------------------------------------

const sdkDir = env.POD_SDK_BUN || "/pod/sdk/bun";
const sdkMain = ["pod.ts", "index.ts", "pod.js", "index.js"].map((f) => join(sdkDir, f)).find((f) => existsSync(f));
if (sdkMain && typeof Bun !== "undefined" && Bun.plugin) {
  Bun.plugin({
    name: "pod-sdk",
    setup(build) {
      build.module("pod", () => ({ contents: `export * from ${JSON.stringify(sdkMain)};`, loader: "ts" }));
    },
  });
}

// ---- 2. the FFI gate ------------------------------------------------------------

if (env.POD_FFI_GATE === "1") {
  ffi.dlopen = function podDlopen(path: any, symbols: any) {
    check(path);
    return realDlopen(path, symbols);
  };
  // Bun.FFI is the native object bun:ffi is built on: its dlopen is a second
  // way to the same loader call, so it gets the same gate
  const native: any = typeof Bun !== "undefined" ? (Bun as any).FFI : undefined;
  if (native && typeof native.dlopen === "function" && native.dlopen !== ffi.dlopen) {
    const realNativeDlopen = native.dlopen;
    native.dlopen = function podNativeDlopen(path: any, ...rest: any[]) {
      check(path);
      return realNativeDlopen.call(native, path, ...rest);
    };
  }
  const realProcessDlopen = (process as any).dlopen;
  if (typeof realProcessDlopen === "function") {
    (process as any).dlopen = function podProcessDlopen(module: any, filename: any, flags?: any) {
      check(filename);
      return flags === undefined ? realProcessDlopen(module, filename) : realProcessDlopen(module, filename, flags);
    };
  }
}
