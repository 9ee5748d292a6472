"use client";
/**
 * Hover and focus details for highlighted tokens: one listener for a whole
 * list (event delegation over the spans exampleHtml renders) showing the token
 * and its activation, plus a toggle between the trimmed and the whole contexts.
 */
import { useRef, useState } from "react";

interface Hovered {
  text: string;
  act: string;
  x: number;
  y: number;
}

export function TokenHover({ children, label, expandable = true }: { children: React.ReactNode; label: string; expandable?: boolean }) {
  const [hovered, setHovered] = useState<Hovered | null>(null);
  const [full, setFull] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  function show(target: EventTarget | null) {
    const el = target as HTMLElement | null;
    if (!el || el.tagName !== "SPAN" || !el.parentElement?.classList.contains("tokens")) return;
    const box = el.getBoundingClientRect();
    setHovered({ text: el.textContent ?? "", act: el.dataset.act ?? "0", x: box.left, y: box.bottom });
  }

  return (
    <div
      ref={root}
      className={`tok-list ${full ? "tok-full" : ""}`}
      onMouseOver={(e) => show(e.target)}
      onMouseLeave={() => setHovered(null)}
    >
      {expandable && (
        <button
          type="button"
          className="mb-2 rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-50"
          aria-pressed={full}
          onClick={() => setFull((f) => !f)}
        >
          {full ? "Trim contexts to the max token" : "Show whole contexts"}
        </button>
      )}
      <span className="sr-only">{label}</span>
      {children}
      {hovered && (
        <div
          role="status"
          data-testid="token-tooltip"
          className="pointer-events-none fixed z-50 rounded bg-slate-900 px-2 py-1 font-mono text-xs text-white shadow"
          style={{ left: hovered.x, top: hovered.y + 4 }}
        >
          “{hovered.text}” = {hovered.act}
        </div>
      )}
    </div>
  );
}
