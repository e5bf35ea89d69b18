// triv.ts — the trivial Bun worker of the start-up benchmark: does nothing.
export {};
