// Who is signed in (GET /dashboard/api/me), which merchant and mode the pages act on, and what
// the user's role allows. Nothing here is written to web storage except the chosen merchant id.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, request, setCsrfToken } from './api';
import type { Me, Membership } from './types';

type Listener = () => void;
const listeners = new Set<Listener>();
let me: Me | null = null;
let merchantId: string | null = sessionStorage.getItem('lp.merchant');

function emit(): void {
  listeners.forEach((l) => l());
}

export function currentMe(): Me | null {
  return me;
}

export function setMe(next: Me | null): void {
  me = next;
  if (next) setCsrfToken(next.csrf_token);
  emit();
}

// Loads /me; null when there is no usable session (401, or no back end yet).
export async function loadMe(): Promise<Me | null> {
  try {
    const m = await request<Me>('GET', '/me', { noSessionHooks: true });
    setMe(m);
    return m;
  } catch (e) {
    if (e instanceof ApiError && e.status !== 0 && e.status < 500) {
      setMe(null);
      return null;
    }
    throw e;
  }
}

export function useMe(): Me | null {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return me;
}

export function membership(): Membership | null {
  if (!me || me.memberships.length === 0) return null;
  return me.memberships.find((m) => m.merchant.id === merchantId) ?? me.memberships[0];
}

export function selectMerchant(id: string): void {
  merchantId = id;
  sessionStorage.setItem('lp.merchant', id);
  emit();
}

// `payments:write` includes `payments:read` (docs/dashboard-api.md §2).
export function can(permission: string): boolean {
  const m = membership();
  if (!m) return false;
  if (m.permissions.includes(permission)) return true;
  if (permission.endsWith(':read')) {
    return m.permissions.includes(permission.slice(0, -':read'.length) + ':write');
  }
  return false;
}

export function merchantPath(rest: string): string {
  const m = membership();
  return '/merchants/' + encodeURIComponent(m ? m.merchant.id : '-') + rest;
}
