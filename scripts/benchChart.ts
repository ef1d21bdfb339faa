import type { BenchResults } from './bench';

const W = 760;
const BAR_H = 18;
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

interface Bar {
  label: string;
  value: number;
  text: string;
  colour: string;
}

/** One panel of horizontal bars, scaled to its own largest value. */
function panel(title: string, bars: Bar[], y: number): { svg: string; height: number } {
  const max = Math.max(...bars.map((b) => b.value));
  const left = 250;
  const width = W - left - 120;
  const parts = [`<text x="10" y="${y + 14}" font-weight="bold">${esc(title)}</text>`];
  bars.forEach((bar, i) => {
    const top = y + 24 + i * (BAR_H + 6);
    const length = max === 0 ? 0 : Math.max(1, (bar.value / max) * width);
    parts.push(
      `<text x="${left - 8}" y="${top + 13}" text-anchor="end">${esc(bar.label)}</text>`,
      `<rect x="${left}" y="${top}" width="${length.toFixed(1)}" height="${BAR_H}" fill="${bar.colour}"/>`,
      `<text x="${(left + length + 6).toFixed(1)}" y="${top + 13}">${esc(bar.text)}</text>`,
    );
  });
  return { svg: parts.join('\n'), height: 24 + bars.length * (BAR_H + 6) + 16 };
}

/** The bench's figures as an SVG chart: wall time against the lower bound, the store's scale, cold start. */
export function chart(r: BenchResults): string {
  const ours = '#2b6cb0';
  const bound = '#a0aec0';
  const seedColour = '#c05621';
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const panels = [
    panel(
      `Renewal wall time vs lower bound (Graph time scaled down ${r.timeScale}x)`,
      [
        ...r.throughput.flatMap((t) => [
          {
            label: `${t.n.toLocaleString('en-US')} due: lower bound`,
            value: t.lowerBoundMs,
            text: sec(t.lowerBoundMs),
            colour: bound,
          },
          {
            label: `${t.n.toLocaleString('en-US')} due: this app`,
            value: t.wallMs,
            text: `${sec(t.wallMs)} (${t.ratio.toFixed(2)}x)`,
            colour: ours,
          },
        ]),
      ],
      0,
    ),
    panel(
      `The same ${r.seedWay.n.toLocaleString('en-US')} due: the seed's way (one at a time) vs this app`,
      [
        { label: 'one at a time', value: r.seedWay.wallMs, text: sec(r.seedWay.wallMs), colour: seedColour },
        {
          label: 'this app',
          value: r.throughput[0]!.wallMs,
          text: `${sec(r.throughput[0]!.wallMs)} (${r.seedWay.speedUp.toFixed(1)}x faster)`,
          colour: ours,
        },
      ],
      0,
    ),
    panel(
      'Run time by rows stored (same number due)',
      r.store.map((row) => ({
        label: `${row.stored.toLocaleString('en-US')} rows`,
        value: row.wallMs,
        text: sec(row.wallMs),
        colour: ours,
      })),
      0,
    ),
    panel(
      'Peak RSS of the run by rows stored',
      r.store.map((row) => ({
        label: `${row.stored.toLocaleString('en-US')} rows`,
        value: row.maxRssKb,
        text: `${(row.maxRssKb / 1024).toFixed(0)} MB`,
        colour: ours,
      })),
      0,
    ),
    panel(
      `Cold start, whole process, median of ${r.coldStart.runs}`,
      [
        { label: 'node -e 0', value: r.coldStart.nodeMs, text: `${r.coldStart.nodeMs.toFixed(0)} ms`, colour: bound },
        ...r.coldStart.entries.map((e) => ({
          label: e.deployableEntry ? e.entry : 'index.js + sdk.js',
          value: e.ms,
          text: `${e.ms.toFixed(0)} ms (${e.ratio.toFixed(2)}x)`,
          colour: ours,
        })),
      ],
      0,
    ),
  ];
  const t = r.tenants;
  if (t) {
    panels.push(
      panel(
        `${t.tenants} tenants x ${t.perTenant.toLocaleString('en-US')} due, against their bounds`,
        [
          {
            label: 'bound (per tenant, app-wide)',
            value: t.allHealthy.boundMs,
            text: sec(t.allHealthy.boundMs),
            colour: bound,
          },
          {
            label: 'all three: the run',
            value: t.allHealthy.wallMs,
            text: `${sec(t.allHealthy.wallMs)} (${t.allHealthy.ratio.toFixed(2)}x)`,
            colour: ours,
          },
          {
            label: 'one throttled: the other two',
            value: t.oneThrottled.othersLastRenewalMs,
            text: `${sec(t.oneThrottled.othersLastRenewalMs)} (${t.oneThrottled.othersRatio.toFixed(2)}x)`,
            colour: ours,
          },
          {
            label: 'one throttled: the run',
            value: t.oneThrottled.wallMs,
            text: `${sec(t.oneThrottled.wallMs)} (budget ${t.oneThrottled.budgetMinutes} min)`,
            colour: seedColour,
          },
          {
            label: 'control: one tenant alone',
            value: t.oneTenant.wallMs,
            text: `${sec(t.oneTenant.wallMs)} (${t.oneTenant.ratio.toFixed(2)}x)`,
            colour: ours,
          },
        ],
        0,
      ),
    );
  }
  let y = 10;
  const body = panels.map((p) => {
    const placed = `<g transform="translate(0 ${y})">${p.svg}</g>`;
    y += p.height;
    return placed;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    `<text x="10" y="${y + 2}" fill="#718096" font-size="10">${esc(`npm run bench, ${r.measuredAt}, ${r.machine}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
