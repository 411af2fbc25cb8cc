/** Run starts over the incident's time range, harmful runs stacked in the danger colour (d3 scales, SVG). */
import { useMemo, useRef } from 'react';
import { scaleLinear, scaleUtc } from 'd3-scale';
import { useSize } from './useSize';
import { TimeAxes } from './TimeAxes';
import { fmtInt, fmtTime } from '../lib/format';

export interface HistogramBucket {
  from: number;
  to: number;
  runs: number;
  harmful: number;
}

export function Histogram({ buckets, height = 150, marks = [] }: { buckets: HistogramBucket[]; height?: number; marks?: Array<{ at: number; label: string }> }) {
  const host = useRef<HTMLDivElement>(null);
  const { width } = useSize(host);
  const m = { top: 8, right: 24, bottom: 20, left: 44 };
  const iw = Math.max(10, width - m.left - m.right);
  const ih = height - m.top - m.bottom;
  const { x, y, xt, yt } = useMemo(() => {
    const from = buckets.length ? buckets[0]!.from : 0;
    const to = buckets.length ? buckets[buckets.length - 1]!.to : 1;
    const x = scaleUtc().domain([new Date(from / 1000), new Date(to / 1000)]).range([0, iw]);
    const max = Math.max(1, ...buckets.map((b) => b.runs));
    const y = scaleLinear().domain([0, max]).nice().range([ih, 0]);
    return { x, y, xt: x.ticks(Math.max(2, Math.floor(iw / 110))), yt: y.ticks(4) };
  }, [buckets, iw, ih]);
  const fmt = x.tickFormat(Math.max(2, Math.floor(iw / 110)));
  return (
    <div ref={host} className="chart" data-testid="histogram">
      {width > 0 ? (
        <svg height={height} role="img" aria-label="Runs over time">
          <g transform={`translate(${m.left},${m.top})`}>
            <g className="grid">
              {yt.map((t) => (
                <line key={t} x1={0} x2={iw} y1={y(t)} y2={y(t)} />
              ))}
            </g>
            {buckets.map((b, i) => {
              const x0 = x(new Date(b.from / 1000));
              const x1 = x(new Date(b.to / 1000));
              const w = Math.max(1, x1 - x0 - 1);
              return (
                <g key={i}>
                  <title>{`${fmtTime(b.from)} – ${fmtTime(b.to)}\n${fmtInt(b.runs)} runs, ${fmtInt(b.harmful)} harmful`}</title>
                  <rect x={x0} width={w} y={y(b.runs)} height={ih - y(b.runs)} fill="var(--chart-1)" opacity={0.55} />
                  {b.harmful > 0 ? <rect x={x0} width={w} y={y(b.harmful)} height={ih - y(b.harmful)} fill="var(--danger)" /> : null}
                </g>
              );
            })}
            {marks.map((mk, i) => {
              const xx = x(new Date(mk.at / 1000));
              return (
                <g key={i}>
                  <line x1={xx} x2={xx} y1={0} y2={ih} stroke="var(--warn)" strokeDasharray="3 2" />
                  <text x={xx + 3} y={10} fontSize={10} fill="var(--warn)">
                    {mk.label}
                  </text>
                </g>
              );
            })}
            <TimeAxes x={x} xTicks={xt} formatX={fmt} y={y} yTicks={yt} formatY={fmtInt} width={iw} height={ih} />
          </g>
        </svg>
      ) : null}
    </div>
  );
}
