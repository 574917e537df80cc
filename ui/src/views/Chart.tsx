import { useMemo, type KeyboardEvent } from 'react';
import type { ChartRegion } from '../backend';

/**
 * Makes the backend's SVG safe and scalable before it goes into the page: scripts, event
 * attributes and embedded HTML are dropped (a label could carry text from the platform), and
 * a fixed-size drawing gets a viewBox so it shrinks with the window instead of overflowing.
 */
export function prepareSvg(markup: string): string | null {
  const doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName.toLowerCase() !== 'svg' || doc.getElementsByTagName('parsererror').length > 0) return null;
  for (const el of Array.from(svg.querySelectorAll('script, foreignObject, iframe'))) el.remove();
  for (const el of [svg, ...Array.from(svg.querySelectorAll('*'))]) {
    for (const attr of Array.from(el.attributes)) {
      const value = attr.value.trim().toLowerCase();
      if (attr.name.toLowerCase().startsWith('on') || ((attr.name === 'href' || attr.name === 'xlink:href') && value.startsWith('javascript:'))) {
        el.removeAttribute(attr.name);
      }
    }
  }
  const width = parseFloat(svg.getAttribute('width') ?? '');
  const height = parseFloat(svg.getAttribute('height') ?? '');
  if (!svg.hasAttribute('viewBox') && width > 0 && height > 0) svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', '100%');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  svg.setAttribute('role', 'img');
  return new XMLSerializer().serializeToString(svg);
}

/** The drawing's own coordinate system: its viewBox (prepareSvg gives every chart one). */
export function viewBoxOf(markup: string): string | null {
  const m = /<svg[^>]*\sviewBox="([^"]+)"/.exec(markup);
  return m ? m[1] : null;
}

/**
 * The chart, and — when the backend sent where its marks lie — a focusable region over each
 * bar, point, slice or cell. The regions live in a second SVG with the drawing's viewBox and
 * the same aspect rule, laid exactly over it, so they scale with the chart at any width.
 * A region that stands for one result cell opens that cell's rows (Enter, Space or a click);
 * one that puts several rows together ("Other", a bin of a distribution) only says what it is.
 */
export function Chart({ svg, title, regions, onRegion }: { svg: string; title: string; regions?: ChartRegion[]; onRegion?: (region: ChartRegion) => void }) {
  const prepared = useMemo(() => prepareSvg(svg), [svg]);
  if (prepared === null) {
    return (
      <div className="chart chart-missing" data-testid="chart">
        The chart could not be shown. The table below has the same numbers.
      </div>
    );
  }
  const viewBox = viewBoxOf(prepared);
  const marks = regions && viewBox && onRegion ? regions : [];
  if (marks.length === 0) {
    return <figure className="chart" data-testid="chart" aria-label={`Chart: ${title}`} dangerouslySetInnerHTML={{ __html: prepared }} />;
  }
  const open = (region: ChartRegion) => region.row != null && onRegion?.(region);
  const onKey = (e: KeyboardEvent, region: ChartRegion) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(region);
    }
  };
  return (
    <figure className="chart" data-testid="chart" aria-label={`Chart: ${title}`}>
      <div className="chart-canvas">
        <div dangerouslySetInnerHTML={{ __html: prepared }} />
        <svg className="chart-regions" viewBox={viewBox!} preserveAspectRatio="xMidYMid meet" role="group" aria-label={`Marks of ${title}: open one to see the rows behind it`} data-testid="chart-regions">
          {marks.map((region, i) => {
            const drillable = region.row != null;
            return (
              <g
                key={i}
                className="chart-region"
                role="button"
                tabIndex={0}
                aria-label={drillable ? region.label : `${region.label} (several rows together: open them from the table)`}
                aria-disabled={drillable ? undefined : true}
                data-testid="chart-region"
                data-row={region.row ?? ''}
                onClick={() => open(region)}
                onKeyDown={(e) => onKey(e, region)}
              >
                <title>{region.label}</title>
                <RegionOutline region={region} />
              </g>
            );
          })}
        </svg>
      </div>
    </figure>
  );
}

function RegionOutline({ region }: { region: ChartRegion }) {
  const s = region.shape;
  if (s.kind === 'rect') return <rect className="region-shape" x={s.x} y={s.y} width={Math.max(s.width, 1)} height={Math.max(s.height, 1)} />;
  if (s.kind === 'circle') return <circle className="region-shape" cx={s.cx} cy={s.cy} r={s.r} />;
  return <polygon className="region-shape" points={s.points.map(([x, y]) => `${x},${y}`).join(' ')} />;
}
