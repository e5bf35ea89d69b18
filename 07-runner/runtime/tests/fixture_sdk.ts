// fixture_sdk.ts — the runtime tests' check that `import "pod"` (the 02-ipc Bun
// SDK, provided by the preload) works with only the planned mounts.
import { connect, parseArgs } from "pod";

console.log(`sdk ${typeof connect} ${typeof parseArgs}`);
