// worker.ts — the Bun test worker of 07-runner's end-to-end suite.
//
// Layer 07 (runner), tests. Run by podrun as a Bun worker (the project's Bun,
// the 02-ipc Bun SDK importable as "pod"). One command per run, like the
// native worker; prints "ok ..." on success, "error: ..." on stderr and exits
// 1 when the sandbox refused:
//   exit N | read PATH | write PATH | env NAME | run PROG | ffi LIB
//   net HOST PORT (fetch through the pod's proxy) | echo (SDK, until STOP)
import { readFileSync, writeFileSync } from "node:fs";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--pod-"));
const [cmd, ...rest] = args;

function fail(e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`error: ${cmd} ${rest.join(" ")}: ${msg}`);
  return 1;
}

async function main(): Promise<number> {
  try {
    switch (cmd) {
      case "exit":
        return Number(rest[0]);
      case "read":
        console.log(`ok read ${readFileSync(rest[0]).length} bytes`);
        return 0;
      case "write":
        writeFileSync(rest[0], "written by pod\n");
        console.log(`ok wrote ${rest[0]}`);
        return 0;
      case "env": {
        const v = process.env[rest[0]];
        console.log(v !== undefined ? `ok ${rest[0]}=${v}` : `unset ${rest[0]}`);
        return v !== undefined ? 0 : 1;
      }
      case "run": {
        const r = Bun.spawnSync(rest);
        if (!r.success && r.exitCode === null) throw new Error("cannot execute");
        console.log(`ok ran ${rest[0]} status ${r.exitCode}`);
        return 0;
      }
      case "ffi": {
        const { dlopen } = await import("bun:ffi");
        dlopen(rest[0], { [rest[1] ?? "cJSON_Version"]: { args: [], returns: "ptr" } });
        console.log(`ok loaded ${rest[0]}`);
        return 0;
      }
      case "net": {
        // through the runner's proxy explicitly (NO_PROXY keeps localhost in the pod)
        const proxy = process.env.HTTP_PROXY;
        delete process.env.NO_PROXY;
        delete process.env.no_proxy;
        const r = await fetch(`http://${rest[0]}:${rest[1]}/`, proxy ? { proxy } : {});
        const body = (await r.text()).trim();
        if (r.status !== 200) throw new Error(`HTTP ${r.status} ${body}`);
        console.log(`ok net ${r.status} ${body}`);
        return 0;
      }
      case "echo": {
        // the SDK by its in-pod path (a bare "pod" needs a package.json there)
        const pod: any = await import("/pod/sdk/bun/pod.ts");
        const w = await pod.connect({ argv: process.argv });
        for await (const msg of w) await w.send(msg); // until the runner says STOP
        return 0;
      }
    }
  } catch (e) {
    return fail(e);
  }
  console.error(`error: unknown command ${cmd}`);
  return 2;
}

process.exit(await main());
