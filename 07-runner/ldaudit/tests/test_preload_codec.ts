// test_preload_codec.ts — the Bun preload's wire codec against 02-ipc's
// conformance vectors (07-runner/ldaudit). Exits non-zero on any mismatch.
//     bun test_preload_codec.ts PRELOAD VECTOR_DIR
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const boot = await import(process.argv[2]);
const dir = process.argv[3];
let checked = 0;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
function fail(msg: string): never {
  console.error("preload codec:", msg);
  process.exit(1);
}

for (const name of readdirSync(dir).sort()) {
  if (!name.endsWith(".vec")) continue;
  const v: Record<string, string> = {};
  for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
    const t = line.trim();
    if (t && !t.startsWith("#") && t.includes("=")) v[t.slice(0, t.indexOf("="))] = t.slice(t.indexOf("=") + 1);
  }
  const raw = new Uint8Array(Buffer.from(v.hex, "hex"));
  if (name.startsWith("ok_") && v.type === "HELLO" && v.lang === "4") {
    if (hex(boot.encodeHello(+v.seq, +v.pid)) !== v.hex) fail(name);
    checked++;
  } else if (name.startsWith("ok_") && v.type === "QUERY") {
    if (hex(boot.encodeQuery(+v.seq, +v.request_id, v.category, v.request)) !== v.hex) fail(name);
    checked++;
  } else if (name.startsWith("ok_") && v.type === "VERDICT") {
    const m = boot.decode(raw);
    if (!m || m.type !== 9 || m.seq !== +v.seq || m.size !== raw.length) fail(name);
    const d = boot.decodeVerdict(m.payload);
    if (d.id !== +v.request_id || d.action !== +v.action || d.rule !== (v.rule ?? "") || d.reason !== (v.reason ?? ""))
      fail(name);
    checked++;
  } else if (name.startsWith("bad_") && /verdict|magic|version|oversize|reserved_flags/.test(name)) {
    let ok = false;
    try {
      const m = boot.decode(raw);
      if (m && m.type === 9) boot.decodeVerdict(m.payload);
      ok = m === null && v.error === "INCOMPLETE";
    } catch {
      ok = true;
    }
    if (!ok) fail(name + " was accepted");
    checked++;
  }
}
if (checked < 8) fail(`too few vectors checked: ${checked}`);
console.log(`preload codec: ${checked} vectors ok`);
