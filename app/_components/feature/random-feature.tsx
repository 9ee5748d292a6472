"use client";
/**
 * "Random feature", chosen when used, not when the page was rendered: a
 * dashboard snapshot is rendered once, so a server-chosen target would be the
 * same for everyone, every time. `fallback` (chosen on the server) serves
 * opening the link in a new tab.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";

export function randomFeatureHref(base: string, dSae: number): string {
  return `${base}/${Math.floor(Math.random() * dSae)}`;
}

export function RandomFeatureLink({ base, dSae, fallback }: { base: string; dSae: number; fallback: string }) {
  const router = useRouter();
  return (
    <Link
      href={fallback}
      prefetch={false}
      className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50"
      aria-keyshortcuts="r"
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || e.button !== 0) return;
        e.preventDefault();
        router.push(randomFeatureHref(base, dSae));
      }}
    >
      Random
    </Link>
  );
}
