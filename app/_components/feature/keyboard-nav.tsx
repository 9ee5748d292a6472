"use client";
/** Keyboard shortcuts for stepping through features: ← / → (or k / j) previous / next, r random. */
import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { randomFeatureHref } from "@/app/_components/feature/random-feature";

export function KeyboardNav({ prev, next, base, dSae }: { prev: string | null; next: string | null; base: string; dSae: number }) {
  const router = useRouter();
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const t = e.target as HTMLElement | null;
      if (e.altKey || e.ctrlKey || e.metaKey || (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)))) return;
      const to =
        e.key === "ArrowLeft" || e.key === "k"
          ? prev
          : e.key === "ArrowRight" || e.key === "j"
            ? next
            : e.key === "r"
              ? randomFeatureHref(base, dSae)
              : null;
      if (to) {
        e.preventDefault();
        router.push(to);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [prev, next, base, dSae, router]);
  return null;
}
