import type { Timeline } from '../renewal/status/timeline';
import { esc } from './escape';

const WIDTH = 720;
const HEIGHT = 200;
const TOP = 22;
const BOTTOM = 28;

/**
 * The next 72 hours as bars, one an hour, drawn with attributes only (no style attribute: the page's
 * policy allows none), with the next run and the due horizon (what the next run renews) marked: a gap
 * or a cliff shows at a glance.
 */
export function timelineSvg(t: Timeline): string {
  const from = Date.parse(t.from);
  const spanMs = t.hours * 3_600_000;
  const max = Math.max(1, ...t.buckets.map((b) => b.count));
  const plot = HEIGHT - TOP - BOTTOM;
  const step = WIDTH / t.buckets.length;
  const x = (at: string) => ((Date.parse(at) - from) / spanMs) * WIDTH;
  const bars = t.buckets
    .map((b, i) => {
      if (b.count === 0) return '';
      const h = Math.max(1, (b.count / max) * plot);
      return `<rect class="bar" x="${(i * step + 1).toFixed(1)}" y="${(TOP + plot - h).toFixed(1)}" width="${(step - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(b.start)}: ${b.count}</title></rect>`;
    })
    .join('');
  const ticks: string[] = [];
  for (let hour = 0; hour <= t.hours; hour += 12) {
    const tx = (hour / t.hours) * WIDTH;
    ticks.push(
      `<line class="axis" x1="${tx.toFixed(1)}" y1="${TOP + plot}" x2="${tx.toFixed(1)}" y2="${TOP + plot + 4}"/><text x="${Math.min(tx, WIDTH - 36).toFixed(1)}" y="${HEIGHT - 8}">+${hour} h</text>`,
    );
  }
  const mark = (at: string, cls: string, label: string) => {
    const mx = x(at);
    if (mx < 0 || mx > WIDTH) return '';
    return `<line class="${cls}" x1="${mx.toFixed(1)}" y1="${TOP - 6}" x2="${mx.toFixed(1)}" y2="${TOP + plot}"/><text class="mark" x="${Math.min(mx + 3, WIDTH - 90).toFixed(1)}" y="${TOP - 9}">${esc(label)}</text>`;
  };
  const total = t.buckets.reduce((sum, b) => sum + b.count, 0);
  const dueNote = x(t.due_horizon) > WIDTH ? ` The due horizon (${esc(t.due_horizon)}) is past the chart's end.` : '';
  return `<figure>
<svg class="timeline" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(`${total} subscriptions expire in the next ${t.hours} hours, ${t.later} later`)}">
<line class="axis" x1="0" y1="${TOP + plot}" x2="${WIDTH}" y2="${TOP + plot}"/>
${bars}
${ticks.join('')}
${mark(t.next_run, 'next', 'next run')}
${mark(t.due_horizon, 'due', 'due horizon')}
<text x="4" y="${TOP - 9}">max ${max} an hour</text>
</svg>
<figcaption>${total.toLocaleString('en-US')} expire in the next ${t.hours} h (one bar an hour, from ${esc(t.from)}), ${t.later.toLocaleString('en-US')} later${t.before > 0 ? `, ${t.before.toLocaleString('en-US')} already past` : ''}. What expires before the due horizon is renewed by the next run.${dueNote}</figcaption>
</figure>`;
}
