// Undo and redo for the builder: every change of the report is a snapshot of the spec, so
// any step can be taken back whatever it touched. Snapshots are plain data (specs are small).
import { useCallback, useState } from 'react';

const LIMIT = 200;

export interface History<T> {
  value: T;
  set: (next: T | ((current: T) => T)) => void;
  undo: () => void;
  redo: () => void;
  canUndo: boolean;
  canRedo: boolean;
  /** Starts over from `value` with no history (another report opened). */
  reset: (value: T) => void;
}

interface State<T> {
  past: T[];
  present: T;
  future: T[];
}

export function useHistory<T>(initial: T): History<T> {
  const [state, setState] = useState<State<T>>({ past: [], present: initial, future: [] });
  const set = useCallback((next: T | ((current: T) => T)) => {
    setState((s) => {
      const value = typeof next === 'function' ? (next as (c: T) => T)(s.present) : next;
      if (JSON.stringify(value) === JSON.stringify(s.present)) return s;
      return { past: [...s.past, s.present].slice(-LIMIT), present: value, future: [] };
    });
  }, []);
  const undo = useCallback(() => {
    setState((s) => (s.past.length === 0 ? s : { past: s.past.slice(0, -1), present: s.past[s.past.length - 1], future: [s.present, ...s.future] }));
  }, []);
  const redo = useCallback(() => {
    setState((s) => (s.future.length === 0 ? s : { past: [...s.past, s.present], present: s.future[0], future: s.future.slice(1) }));
  }, []);
  const reset = useCallback((value: T) => setState({ past: [], present: value, future: [] }), []);
  return { value: state.present, set, undo, redo, canUndo: state.past.length > 0, canRedo: state.future.length > 0, reset };
}
