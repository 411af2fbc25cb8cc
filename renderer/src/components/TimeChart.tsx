/** A time-series chart (d3 scales, SVG): lines, horizontal threshold lines, vertical event markers. */
import { useMemo, useRef } from 'react';
import { scaleLinear, scaleSymlog, scaleUtc } from 'd3-scale';
import { line as d3line, curveStepAfter } from 'd3-shape';
import { useSize } from './useSize';
import { TimeAxes } from './TimeAxes';
import { fmtTime } from '../lib/format';

export interface Series {
  name: string;
  color: string;
  points: Array<{ at: number; v: number }>;
  dashed?: boolean;
}

export interface Threshold {
  value: number;
  label: string;
  color: string;
}

export interface Marker {
  at: number;
  label: string;
  color: string;
}

/** yLog: a symmetric-log y axis with this linear region (rates spanning 1e-4..1, burn rates 1×..10,000×). */
export function TimeChart({ series, thresholds = [], markers = [], height = 170, yFormat = (v) => String(v), domain, testId, ariaLabel, yLog }: { series: Series[]; thresholds?: Threshold[]; markers?: Marker[]; height?: number; yFormat?: (v: number) => string; domain?: [number, number]; testId?: string; ariaLabel: string; yLog?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const { width } = useSize(host);
  const m = { top: 14, right: 22, bottom: 22, left: 58 };
  const iw = Math.max(10, width - m.left - m.right);
  const ih = height - m.top - m.bottom;
  const { x, y, path } = useMemo(() => {
    let lo = domain?.[0] ?? Infinity;
    let hi = domain?.[1] ?? -Infinity;
    let ymax = 0;
    for (const s of series)
      for (const p of s.points) {
        if (!domain) { lo = Math.min(lo, p.at); (hi = Math.max(hi, p.at)); }
        ymax = Math.max(ymax, p.v);
      }
    for (const t of thresholds) ymax = Math.max(ymax, t.value * 1.15);
    if (!Number.isFinite(lo)) { lo = 0; (hi = 1); }
    if (hi <= lo) hi = lo + 1;
    const x = scaleUtc().domain([new Date(lo / 1000), new Date(hi / 1000)]).range([0, iw]);
    const y = yLog ? scaleSymlog().constant(yLog).domain([0, ymax || 1]).range([ih, 0]) : scaleLinear().domain([0, ymax || 1]).nice().range([ih, 0]);
    const path = d3line<{ at: number; v: number }>()
      .x((p) => x(new Date(p.at / 1000)))
      .y((p) => y(p.v))
      .curve(curveStepAfter);
    return { x, y, path };
  }, [series, thresholds, iw, ih, domain, yLog]);
  const xt = x.ticks(Math.max(2, Math.floor(iw / 120)));
  const fmtX = x.tickFormat(Math.max(2, Math.floor(iw / 120)));
  const yt = yLog ? logTicks(y.domain()[1]!, yLog) : (y as ReturnType<typeof scaleLinear<number, number>>).ticks(4);
  return (
    <div ref={host} className="chart" data-testid={testId}>
      {width > 0 ? (
        <svg height={height} role="img" aria-label={ariaLabel}>
          <g transform={`translate(${m.left},${m.top})`}>
            <g className="grid">
              {yt.map((t) => (
                <line key={t} x1={0} x2={iw} y1={y(t)} y2={y(t)} />
              ))}
            </g>
            {series.map((s) => (
              <path key={s.name} d={path(s.points) ?? ''} fill="none" stroke={s.color} strokeWidth={1.5} strokeDasharray={s.dashed ? '4 3' : undefined} />
            ))}
            {thresholds.map((t, i) => (
              <g key={`t${i}`} data-testid="objective-line">
                <line x1={0} x2={iw} y1={y(t.value)} y2={y(t.value)} stroke={t.color} strokeDasharray="6 3" strokeWidth={1.2} />
                <text x={iw - 4} y={y(t.value) - 4} textAnchor="end" fontSize={10} fill={t.color}>
                  {t.label}
                </text>
              </g>
            ))}
            {markers.map((mk, i) => {
              const xx = x(new Date(mk.at / 1000));
              return (
                <g key={`m${i}`} data-testid="trigger-marker" data-at={mk.at}>
                  <title>{`${mk.label}\n${fmtTime(mk.at)} UTC`}</title>
                  <line x1={xx} x2={xx} y1={0} y2={ih} stroke={mk.color} strokeWidth={1.5} />
                  <path d={`M${xx - 5},0 L${xx + 5},0 L${xx},7 z`} fill={mk.color} />
                  <text x={xx + 6} y={10 + (i % 3) * 11} fontSize={10} fill={mk.color}>
                    {mk.label}
                  </text>
                </g>
              );
            })}
            <TimeAxes x={x} xTicks={xt} formatX={fmtX} y={y} yTicks={yt} formatY={yFormat} width={iw} height={ih} />
          </g>
        </svg>
      ) : null}
    </div>
  );
}

/** Ticks for a symlog axis: 0 and powers of ten from the linear region up to the max. */
function logTicks(max: number, c: number): number[] {
  const out = [0];
  let p = Math.pow(10, Math.floor(Math.log10(c)));
  while (p <= max * 1.0001) {
    if (p >= c) out.push(p);
    p *= 10;
  }
  if (out.length < 3) out.push(max);
  return out;
}
