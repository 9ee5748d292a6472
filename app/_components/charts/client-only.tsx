"use client";
/**
 * Renders charts only in the browser. Recharts renders whole SVGs (and sets up
 * its own store) when server-rendered, which was a large share of a feature
 * page's server time; a chart needs the browser's layout anyway, so the server
 * sends a placeholder of the same height and the chart draws after hydration.
 */
import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

export function ClientOnly({ children, height, label }: { children: React.ReactNode; height: number; label: string }) {
  const mounted = useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
  if (!mounted)
    return <div style={{ height }} className="w-full animate-pulse rounded bg-slate-100" role="img" aria-label={`${label} (loading)`} />;
  return <>{children}</>;
}
