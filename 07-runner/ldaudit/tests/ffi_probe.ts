// ffi_probe.ts — Bun side of the FFI gate tests (07-runner/ldaudit).
// Run as: bun --preload boot/podpreload.ts ffi_probe.ts LIB...
// For each library prints "ok <name>", "denied <message>" (the preload's
// error) or "fail <arg>" (the loader refused).
import { dlopen, FFIType } from "bun:ffi";

for (const lib of process.argv.slice(2)) {
  try {
    const l = dlopen(lib, { ffi_lib_name: { args: [], returns: FFIType.cstring } });
    console.log("ok", String(l.symbols.ffi_lib_name()));
  } catch (e) {
    const msg = (e as Error).message;
    if (msg.startsWith("pod: ffi denied") && (e as any).code === "EACCES") console.log("denied", msg);
    else console.log("fail", lib);
  }
}
