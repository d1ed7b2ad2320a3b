// A small history router: the path decides the page; links and redirects go through navigate().
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

export function currentPath(): string {
  return location.pathname + location.search;
}

export function navigate(to: string, replace = false): void {
  if (to === currentPath()) return;
  if (replace) {
    history.replaceState(null, '', to);
  } else {
    history.pushState(null, '', to);
  }
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

addEventListener('popstate', () => listeners.forEach((l) => l()));

export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

// Replaces the query string of the current page (filters, cursors) without a new history entry.
export function setQuery(values: Record<string, string | undefined>): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === '') {
      q.delete(k);
    } else {
      q.set(k, v);
    }
  }
  const s = q.toString();
  navigate(location.pathname + (s ? '?' + s : ''), true);
}

// Matches "/:mode/payments/:id" against a path; returns the named segments or null.
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      out[p[i].slice(1)] = decodeURIComponent(s[i]);
    } else if (p[i] !== s[i]) {
      return null;
    }
  }
  return out;
}
