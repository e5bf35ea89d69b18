// fixture_bun.ts — a Bun worker for the runtime tests (07-runner/runtime).
const n: number = [1, 2, 3].reduce((a, b) => a + b, 0);
console.log(`bun sum=${n} ${process.argv.slice(2).join(" ")}`);
