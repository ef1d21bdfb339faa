import { createHash } from 'node:crypto';

/**
 * The page's one style block. The Content-Security-Policy allows exactly this text (its SHA-256), no
 * other style, no script, nothing fetched: the page works offline and nothing injected can run.
 */
export const PAGE_STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bad: #b42318; --ok: #1a7f37; --bar: #3266cc; --due: #bf5b04; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f8fa; }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.1rem; margin: 0 0 8px; }
section, header { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 0 0 14px; }
header.ok { border-left: 6px solid var(--ok); }
header.bad { border-left: 6px solid var(--bad); }
header.bad h1 { color: var(--bad); }
header.ok h1 { color: var(--ok); }
.muted, figcaption { color: var(--muted); font-size: 0.9rem; }
ol.problems { margin: 0; padding-left: 1.3rem; }
ol.problems li { margin: 0 0 10px; overflow-wrap: anywhere; }
.todo { margin: 2px 0 0; color: var(--muted); }
.todo strong { color: var(--ink); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
td.when { white-space: nowrap; }
td.long { overflow-wrap: anywhere; min-width: 14em; }
dl.counts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 0; }
dl.counts div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
dl.counts dt { color: var(--muted); font-size: 0.8rem; }
dl.counts dd { margin: 0; font-size: 1.3rem; font-weight: 600; }
dl.counts .bad dd { color: var(--bad); }
svg.timeline { width: 100%; height: auto; display: block; }
svg .bar { fill: var(--bar); }
svg .axis { stroke: var(--line); stroke-width: 1; }
svg .due { stroke: var(--due); stroke-width: 2; stroke-dasharray: 6 4; }
svg .next { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 2 3; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg text.mark { fill: var(--due); font-weight: 600; }
.kind { font-weight: 600; white-space: nowrap; }
figure { margin: 0; }
/* Narrow screens: each row of a long table becomes a card, nothing scrolls sideways. */
@media (max-width: 700px) {
  table.stack thead { display: none; }
  table.stack tr { display: block; padding: 6px 0; border-bottom: 1px solid var(--line); }
  table.stack td { display: block; border: 0; padding: 2px 0; min-width: 0; white-space: normal; }
  table.stack td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
}
`;

export const PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}`;

export const PAGE_SECURITY_POLICY = `default-src 'none'; style-src '${PAGE_STYLE_HASH}'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
