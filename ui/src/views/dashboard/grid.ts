// The dashboard's grid: tiles placed in cells of a grid `columns` wide (12 by default), as
// the template stores them (x, y, w, h). Editing works on the reading order (top to bottom,
// left to right), and after each change the tiles flow back onto the grid in that order, each
// in the first free place after the one before it: a tile never overlaps another or leaves
// the grid, and "earlier" and "later" mean what a reader sees.
import type { DashboardTile, TileLayout } from '../../backend';

export const MIN_W = 2;
export const MIN_H = 1;
export const MAX_H = 8;

/** Tiles in reading order. */
export function inReadingOrder<T extends { layout: TileLayout }>(tiles: T[]): T[] {
  return [...tiles].sort((a, b) => a.layout.y - b.layout.y || a.layout.x - b.layout.x);
}

/** Places `tiles` (already in the wanted order) keeping their sizes; returns new tiles. */
export function flow(tiles: DashboardTile[], columns: number): DashboardTile[] {
  const taken = new Set<string>();
  const free = (x: number, y: number, w: number, h: number) => {
    for (let r = y; r < y + h; r++) for (let c = x; c < x + w; c++) if (taken.has(`${c},${r}`)) return false;
    return true;
  };
  let after = { x: -1, y: 0 };
  return tiles.map((t) => {
    const w = Math.max(1, Math.min(t.layout.w, columns));
    const h = Math.max(MIN_H, t.layout.h);
    let at: { x: number; y: number } | null = null;
    for (let y = after.y; at === null; y++) {
      for (let x = y === after.y ? after.x + 1 : 0; x + w <= columns; x++) {
        if (free(x, y, w, h)) {
          at = { x, y };
          break;
        }
      }
    }
    for (let r = at.y; r < at.y + h; r++) for (let c = at.x; c < at.x + w; c++) taken.add(`${c},${r}`);
    after = at;
    return { ...t, layout: { x: at.x, y: at.y, w, h } };
  });
}

/** Moves the tile `id` one place earlier (-1) or later (+1) in reading order. */
export function move(tiles: DashboardTile[], id: string, by: -1 | 1, columns: number): DashboardTile[] {
  const order = inReadingOrder(tiles);
  const i = order.findIndex((t) => t.id === id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= order.length) return tiles;
  [order[i], order[j]] = [order[j], order[i]];
  return flow(order, columns);
}

/** Moves the tile `id` to where the tile `target` is in reading order (drag and drop). */
export function moveTo(tiles: DashboardTile[], id: string, target: string, columns: number): DashboardTile[] {
  const order = inReadingOrder(tiles);
  const from = order.findIndex((t) => t.id === id);
  const to = order.findIndex((t) => t.id === target);
  if (from < 0 || to < 0 || from === to) return tiles;
  const [t] = order.splice(from, 1);
  order.splice(to, 0, t);
  return flow(order, columns);
}

/** Changes a tile's width or height by `dw`/`dh` cells, within the grid. */
export function resize(tiles: DashboardTile[], id: string, dw: number, dh: number, columns: number): DashboardTile[] {
  const order = inReadingOrder(tiles).map((t) =>
    t.id === id
      ? { ...t, layout: { ...t.layout, w: clamp(t.layout.w + dw, Math.min(MIN_W, columns), columns), h: clamp(t.layout.h + dh, MIN_H, MAX_H) } }
      : t,
  );
  return flow(order, columns);
}

export function remove(tiles: DashboardTile[], id: string, columns: number): DashboardTile[] {
  return flow(inReadingOrder(tiles).filter((t) => t.id !== id), columns);
}

/** Adds a tile at the end, half the grid wide and three cells high. */
export function append(tiles: DashboardTile[], tile: Omit<DashboardTile, 'layout'>, columns: number): DashboardTile[] {
  const w = Math.max(1, Math.floor(columns / 2));
  return flow([...inReadingOrder(tiles), { ...tile, layout: { x: 0, y: 0, w, h: 3 } } as DashboardTile], columns);
}

/** A tile id not used yet, made from a title. */
export function freeId(tiles: { id: string }[], title: string): string {
  const base = title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 40) || 'tile';
  let id = base;
  for (let n = 2; tiles.some((t) => t.id === id); n++) id = `${base}-${n}`;
  return id;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
