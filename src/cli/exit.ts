/** Exit codes: 0 ok, 1 failure (state, I/O, tools), 2 bad input (profile or arguments). */
export const EXIT = Object.freeze({ ok: 0, failure: 1, badInput: 2 });
