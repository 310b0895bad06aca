/**
 * The dashboard: `GET /` serves one page (dashboard/index.html) with its stylesheet and script, embedded at build time
 * (text imports, so `deno bundle` and `deno compile` carry them; nothing is read from disk at run time). The page
 * holds no data: it reads the control API with the operator's token, so the assets need none. A strict
 * Content-Security-Policy lets it load only itself and talk only to its own origin.
 *
 * @module
 */

import type { Hono } from "../deps.ts";
import css from "./dashboard/dashboard.css" with { type: "text" };
import script from "./dashboard/dashboard.js" with { type: "text" };
import html from "./dashboard/index.html" with { type: "text" };

/** The dashboard's paths: served without a token (they hold no data). */
export const DASHBOARD_PATHS: ReadonlySet<string> = new Set(["/", "/dashboard.css", "/dashboard.js"]);

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/** Adds the dashboard's routes. */
export function addDashboardRoutes(app: Hono): void {
  const asset = (body: string, type: string) => () =>
    new Response(body, { headers: { "content-type": type, ...SECURITY_HEADERS } });
  app.get("/", asset(html, "text/html; charset=utf-8"));
  app.get("/dashboard.css", asset(css, "text/css; charset=utf-8"));
  app.get("/dashboard.js", asset(script, "text/javascript; charset=utf-8"));
}
