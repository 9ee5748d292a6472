"use client";
/** The raters to pick, as checkboxes: one list for designing a study and for extending one. */

export interface RaterChoice {
  id: string;
  name: string;
  email: string;
  role: string;
}

/** A checkbox per rater (named "Rater <name>" for assistive technology), `chosen` the ids ticked. */
export function RaterChecklist({
  raters,
  chosen,
  onChange,
}: {
  raters: RaterChoice[];
  chosen: string[];
  onChange: (ids: string[]) => void;
}) {
  const toggle = (id: string) => onChange(chosen.includes(id) ? chosen.filter((x) => x !== id) : [...chosen, id]);
  return (
    <ul className="grid gap-1 sm:grid-cols-2">
      {raters.map((r) => (
        <li key={r.id}>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={chosen.includes(r.id)} onChange={() => toggle(r.id)} aria-label={`Rater ${r.name}`} />
            {r.name} <span className="text-slate-500">{r.email}</span>
            {r.role === "ADMIN" && <span className="text-xs text-slate-500">(admin)</span>}
          </label>
        </li>
      ))}
    </ul>
  );
}
