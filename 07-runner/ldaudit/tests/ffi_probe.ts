// ffi_probe.ts — Bun side of the FFI gate tests (07-runner/ldaudit).
// Run as: bun --preload boot/podpreload.ts ffi_probe.ts LIB...
// For each library prints "ok <name>", "denied <message>" (the preload's
// error) or "fail <arg>" (the loader refused). "native:LIB" uses Bun.FFI.dlopen.
import { dlopen, FFIType } from "bun:ffi";

for (const arg of process.argv.slice(2)) {
  // "native:LIB" opens LIB with Bun.FFI.dlopen, the native call under bun:ffi
  const native = arg.startsWith("native:");
  const lib = native ? arg.slice(7) : arg;
  const open = native ? (Bun as any).FFI.dlopen : dlopen;
  try {
    const l = open(lib, { ffi_lib_name: { args: [], returns: FFIType.cstring } });
    console.log("ok", String(l.symbols.ffi_lib_name()));
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.startsWith("pod: ffi denied") && (e as any).code === "EACCES") console.log("denied", msg);
    else console.log("fail", lib);
  }
}
