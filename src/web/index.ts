/**
 * The web console: a dependency-free single page (HTML, CSS and vanilla ES modules under `static/`, no build step)
 * served at `/` and `/console/*` with a strict Content-Security-Policy, plus `POST /v1/console/login`. After
 * sign-in it reads integrations, devices, the audit log, the decision log and the policy through the public `/v1`
 * API with the pasted key (kept in sessionStorage only), so it shows the same data as the API.
 *
 * Who may import this module: main (the composition root registers the plugin) and api. Nothing else needs it.
 */
export { registerConsole, type ConsoleDeps } from './console.ts';
export { CONSOLE_HEADERS } from './static-files.ts';
