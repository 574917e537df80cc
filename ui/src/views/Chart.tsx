import { useMemo } from 'react';

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

export function Chart({ svg, title }: { svg: string; title: string }) {
  const prepared = useMemo(() => prepareSvg(svg), [svg]);
  if (prepared === null) {
    return (
      <div className="chart chart-missing" data-testid="chart">
        The chart could not be shown. The table below has the same numbers.
      </div>
    );
  }
  return <figure className="chart" data-testid="chart" aria-label={`Chart: ${title}`} dangerouslySetInnerHTML={{ __html: prepared }} />;
}
