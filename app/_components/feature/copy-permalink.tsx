"use client";
/** Copies the page's permanent address (origin + path, no query) to the clipboard. */
import { useState } from "react";

export function CopyPermalink({ path }: { path: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      data-permalink={path}
      className="rounded border border-slate-300 px-2 py-1 text-sm text-slate-700 hover:bg-slate-50"
      onClick={async () => {
        const url = `${window.location.origin}${path}`;
        try {
          await navigator.clipboard.writeText(url);
        } catch {
          window.prompt("Copy this link:", url);
        }
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? "Link copied" : "Copy permalink"}
    </button>
  );
}
