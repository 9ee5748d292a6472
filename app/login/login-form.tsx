"use client";
import { api } from "@/app/_components/api-client";
import { FormError, LabelledInput } from "@/app/_components/form-fields";
import { useFormSubmit } from "@/app/_components/use-form-submit";

export function LoginForm({ next }: { next: string }) {
  const { error, sent, onSubmit } = useFormSubmit(async (form) => {
    await api("/api/auth/login", { body: { email: form.get("email"), password: form.get("password") } });
    window.location.href = next;
  });
  return (
    <form className="mt-4 space-y-3" onSubmit={onSubmit}>
      <LabelledInput label="Email" name="email" type="email" required autoComplete="username" />
      <LabelledInput label="Password" name="password" type="password" required autoComplete="current-password" />
      <FormError error={error} />
      <button type="submit" disabled={sent} className="w-full rounded bg-slate-900 py-2 text-white disabled:opacity-60">
        {sent ? "Logging in…" : "Log in"}
      </button>
    </form>
  );
}
