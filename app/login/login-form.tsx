"use client";
import { useState } from "react";
import { api } from "@/app/_components/api-client";
import { FormError, LabelledInput } from "@/app/_components/form-fields";

export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="mt-4 space-y-3"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        setBusy(true);
        setError(null);
        try {
          await api("/api/auth/login", { body: { email: form.get("email"), password: form.get("password") } });
          window.location.href = next;
        } catch (e) {
          setError((e as Error).message);
          setBusy(false);
        }
      }}
    >
      <LabelledInput label="Email" name="email" type="email" required autoComplete="username" />
      <LabelledInput label="Password" name="password" type="password" required autoComplete="current-password" />
      <FormError error={error} />
      <button type="submit" disabled={busy} className="w-full rounded bg-slate-900 py-2 text-white disabled:opacity-60">
        {busy ? "Logging in…" : "Log in"}
      </button>
    </form>
  );
}
