/**
 * Stands in for `react-devtools-core`, an optional import of ink that is only used when
 * `DEV=true`. It is mapped here in `deno.json` so `deno bundle` does not fail to resolve it.
 *
 * @module
 */

/** Does nothing: codex-swarm never connects to React DevTools. */
export function connectToDevTools(): void {}

/** What ink imports by default. */
export default { connectToDevTools };
