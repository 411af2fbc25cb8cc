/** The x (time) and y axes shared by the charts: ticks, tick labels and the baseline, in SVG. */
export interface TimeAxesProps {
  x: (d: Date) => number;
  xTicks: Date[];
  formatX: (d: Date) => string;
  y: (v: number) => number;
  yTicks: number[];
  formatY: (v: number) => string;
  width: number;
  height: number;
}

export function TimeAxes({ x, xTicks, formatX, y, yTicks, formatY, width, height }: TimeAxesProps) {
  return (
    <>
      <g className="axis" transform={`translate(0,${height})`}>
        <line x1={0} x2={width} stroke="var(--border-strong)" />
        {xTicks.map((t) => (
          <g key={+t} transform={`translate(${x(t)},0)`}>
            <line y2={4} stroke="var(--border-strong)" />
            <text y={15} textAnchor="middle">
              {formatX(t)}
            </text>
          </g>
        ))}
      </g>
      <g className="axis">
        {yTicks.map((t) => (
          <text key={t} x={-6} y={y(t)} dy="0.32em" textAnchor="end">
            {formatY(t)}
          </text>
        ))}
      </g>
    </>
  );
}
