// The screen shown lives in the URL hash, so the back button and reloads keep the place, and
// the desktop app (which loads one fixed page) needs no router.
import { useEffect, useState } from 'react';

export type Route =
  | { view: 'library' }
  | { view: 'report'; path: string }
  | { view: 'dashboard'; path: string }
  | { view: 'sources' }
  | { view: 'builder'; from?: string };

/** The decoded path after `#/<screen>/`; undefined when the hash is another screen's, null when it does not decode. */
function pathOf(hash: string, screen: string): string | null | undefined {
  const prefix = `#/${screen}/`;
  if (!hash.startsWith(prefix) || hash.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(hash.slice(prefix.length));
  } catch {
    return null;
  }
}

export function parseRoute(hash: string): Route {
  if (hash === SOURCES_HREF) return { view: 'sources' };
  if (hash === BUILDER_HREF) return { view: 'builder' };
  const from = pathOf(hash, 'builder');
  if (from !== undefined) return from === null ? { view: 'builder' } : { view: 'builder', from };
  for (const view of ['dashboard', 'report'] as const) {
    const path = pathOf(hash, view);
    if (path) return { view, path };
    if (path === null) return { view: 'library' };
  }
  return { view: 'library' };
}

export function reportHref(path: string): string {
  return `#/report/${encodeURIComponent(path)}`;
}

/** A dashboard of the library, by its path. */
export function dashboardHref(path: string): string {
  return `#/dashboard/${encodeURIComponent(path)}`;
}

export const LIBRARY_HREF = '#/library';
export const SOURCES_HREF = '#/sources';
export const BUILDER_HREF = '#/builder';

/** The builder opened on a copy of a saved report. */
export function builderHref(path: string): string {
  return `#/builder/${encodeURIComponent(path)}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
