"use client";
/** Re-renders the page from the server every few seconds while something is in progress (live training/recording status). */
import { useEffect } from "react";
import { useRouter } from "next/navigation";

export function AutoRefresh({ active, seconds = 5 }: { active: boolean; seconds?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, seconds * 1000);
    return () => clearInterval(timer);
  }, [active, seconds, router]);
  return null;
}
