/** The account forms' shared pieces (login, accepting an invitation, inviting): a labelled input and the form's error line. */
import type { InputHTMLAttributes } from "react";

/** A labelled full-width input; its props go to the input. */
export function LabelledInput({ label, ...input }: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="block text-sm">
      {label}
      <input {...input} className="mt-1 w-full rounded border border-slate-300 px-2 py-1.5" />
    </label>
  );
}

/** The form's error, announced to screen readers; nothing without one. */
export function FormError({ error, wide }: { error: string | null; wide?: boolean }) {
  if (!error) return null;
  return (
    <p role="alert" className={wide ? "w-full text-sm text-red-700" : "text-sm text-red-700"}>
      {error}
    </p>
  );
}
