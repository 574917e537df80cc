// What a person would see in the app, read by a script that runs inside the page. Shared by
// the WebDriver test of the desktop app and the UI's browser tests (which check that it
// reads the fake backend's pages correctly), so the two cannot drift apart.

// Runs in the app's page; returns plain JSON describing what a person would see.
export const LOOK = `
  const text = (el) => (el ? el.textContent.replace(/\\s+/g, ' ').trim() : null);
  const alert = document.querySelector('[role=alert]');
  const bar = document.querySelector('[role=progressbar]');
  const chart = document.querySelector('[data-testid=chart] svg');
  return {
    href: location.href,
    // The start of the page's text, so a failure message shows what was on screen.
    page: document.body ? document.body.innerText.replace(/\\s+/g, ' ').trim().slice(0, 300) : null,
    alert: text(alert),
    progress: bar ? bar.getAttribute('aria-valuenow') : null,
    syncText: text(document.querySelector('[data-testid=sync-progress]')),
    cards: Array.from(document.querySelectorAll('[data-testid=report-card]')).map((c) => text(c.querySelector('.report-name') || c)),
    report: text(document.querySelector('#report-title')),
    chartMarks: chart ? chart.querySelectorAll('rect, path, polyline, polygon, line, circle').length : 0,
    // Bars are rects beyond the background; a data line is a path or polyline with more
    // points than an axis has.
    chartBars: chart ? Math.max(0, chart.querySelectorAll('rect').length - 1) : 0,
    chartLines: chart
      ? Array.from(chart.querySelectorAll('path, polyline')).filter(
          (el) => ((el.getAttribute('points') || el.getAttribute('d') || '').match(/-?\\d+(\\.\\d+)?[ ,]+-?\\d+(\\.\\d+)?/g) || []).length > 3,
        ).length
      : 0,
    tableRows: document.querySelectorAll('[data-testid=result-table] tbody tr').length,
    firstRow: text(document.querySelector('[data-testid=result-table] tbody tr')),
    empty: text(document.querySelector('[data-testid=empty-result]')),
  };
`;

/** The library has listed at least one report. */
export function libraryShown(seen) {
  return seen.cards.length > 0;
}

/** A report is open with a chart that has bars or a data line, and a table with rows. */
export function reportShown(seen) {
  return !!seen.report && (seen.chartBars >= 1 || seen.chartLines >= 1) && seen.tableRows > 0;
}
