/**
 * Stands in for the `whatwg-url` package in job bundles. Its only user, node-fetch 2, takes
 * `require('url').URL` whenever Node.js has one (every supported version) and falls back to
 * whatwg-url otherwise; the fallback's IDNA tables are a quarter of a bundle for code never run.
 */
export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;
