// worker.ts — example Bun worker for Pod/Runner (example/, see README.md).
//
// Two modes:
//
//   podrun run ... worker.ts act CAT=TARGET ...
//       tries each action and prints one line per action:
//           RESULT <cat> <target> ok|failed <detail>
//       CAT is ffi (a library through bun:ffi; "LIB#symbol" also calls a
//       `const char *symbol(void)`), read, write (a path), env (a variable) or
//       net (a URL, fetched through the runner's proxy).
//
//   podrun run ... worker.ts [serve]
//       a service on the 02-ipc Bun SDK (module "pod"): every message from the
//       runner is answered with "bun:" + the message, until STOP.
import { dlopen, FFIType } from "bun:ffi";
import { readFileSync, writeFileSync } from "node:fs";

type Outcome = [boolean, string];

function actFfi(spec: string): Outcome {
  const [lib, symbol] = spec.split("#");
  if (!symbol) {
    dlopen(lib, {}).close();
    return [true, "loaded"];
  }
  const l = dlopen(lib, { [symbol]: { args: [], returns: FFIType.cstring } });
  const value = String((l.symbols as any)[symbol]());
  l.close();
  return [true, `${symbol}() = ${value}`];
}

async function actNet(url: string): Promise<Outcome> {
  // the runner's proxy, explicitly (NO_PROXY would keep localhost in the pod)
  const proxy = process.env.HTTP_PROXY || process.env.http_proxy;
  const r = await fetch(url, proxy ? { proxy, signal: AbortSignal.timeout(10000) } : {});
  const body = (await r.text()).trim().slice(0, 60);
  return [r.status === 200, `${r.status} ${body}`];
}

const actions: Record<string, (t: string) => Outcome | Promise<Outcome>> = {
  ffi: actFfi,
  net: actNet,
  read: (p) => [true, `${readFileSync(p).length} bytes`],
  write: (p) => {
    writeFileSync(p, "written by a pod\n");
    return [true, `wrote ${p}`];
  },
  env: (n) => (process.env[n] !== undefined ? [true, "set"] : [false, "not in the environment"]),
};

async function act(args: string[]): Promise<void> {
  for (const arg of args) {
    const cat = arg.slice(0, arg.indexOf("=")), target = arg.slice(arg.indexOf("=") + 1);
    let ok = false, detail = "unknown action";
    if (actions[cat]) {
      try {
        [ok, detail] = await actions[cat](target);
      } catch (e) {
        detail = `${(e as any).code ?? "Error"}: ${(e as Error).message}`;
      }
    }
    console.log(`RESULT ${cat} ${target} ${ok ? "ok" : "failed"} ${detail.replace(/\n/g, " ")}`);
  }
}

async function serve(): Promise<void> {
  const pod = await import("pod"); // the 02-ipc Bun SDK (the pod's preload provides "pod")
  const w = await pod.connect();
  const prefix = new TextEncoder().encode("bun:");
  for await (const msg of w) {
    const out = new Uint8Array(prefix.length + msg.length);
    out.set(prefix, 0);
    out.set(msg, prefix.length);
    await w.send(out);
  }
  w.close();
}

// the runner puts its SDK arguments (--pod-socket=..., --pod-shm-fd=...) right
// after the script: the mode is the first other argument
const args = process.argv.slice(2).filter((a) => !a.startsWith("--pod-"));
if (args[0] === "act") await act(args.slice(1));
else await serve();
