import type { Shelf, TemplateSummary } from '../backend';
import { reportHref } from '../route';

const SHELVES: { shelf: Shelf; title: string; hint: string }[] = [
  { shelf: 'built_in', title: 'Built-in reports', hint: 'Ready to run on any workspace.' },
  { shelf: 'team', title: 'Team reports', hint: 'Shared from your team folder.' },
  { shelf: 'personal', title: 'My reports', hint: 'Saved by you on this computer.' },
];

export function Library({ templates }: { templates: TemplateSummary[] }) {
  return (
    <section className="library" data-testid="library" aria-labelledby="library-title">
      <header className="page-header">
        <h1 id="library-title">Report library</h1>
        <p className="muted">Pick a report to run it on your data. You can change the period and timezone once it is open.</p>
      </header>
      {templates.length === 0 && <p className="empty">There are no reports in the library yet.</p>}
      {SHELVES.map(({ shelf, title, hint }) => {
        const onShelf = templates.filter((t) => t.shelf === shelf);
        if (onShelf.length === 0) return null;
        return (
          <section key={shelf} className="shelf" data-testid={`shelf-${shelf}`} aria-labelledby={`shelf-${shelf}-title`}>
            <h2 id={`shelf-${shelf}-title`}>
              {title} <span className="shelf-hint">{hint}</span>
            </h2>
            <ul className="cards">
              {onShelf.map((t) => (
                <li key={t.path}>{t.error ? <DamagedCard template={t} /> : <ReportCard template={t} />}</li>
              ))}
            </ul>
          </section>
        );
      })}
    </section>
  );
}

function ReportCard({ template }: { template: TemplateSummary }) {
  return (
    <a className="card report-card" href={reportHref(template.path)} data-testid="report-card">
      <span className="report-name">{template.name}</span>
      <span className="report-description">{template.description || 'No description.'}</span>
    </a>
  );
}

function DamagedCard({ template }: { template: TemplateSummary }) {
  return (
    <div className="card report-card damaged" data-testid="report-card-damaged">
      <span className="report-name">{template.name}</span>
      <span className="damaged-label">This report cannot be opened</span>
      <span className="report-description">{template.error}</span>
      <span className="report-path">{template.path}</span>
    </div>
  );
}
