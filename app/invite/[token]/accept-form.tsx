"use client";
import { useState } from "react";
import { api } from "@/app/_components/api-client";
import { FormError, LabelledInput } from "@/app/_components/form-fields";
import { useFormSubmit } from "@/app/_components/use-form-submit";

export function AcceptInviteForm({ token }: { token: string }) {
  const [done, setDone] = useState(false);
  const { error, onSubmit } = useFormSubmit(async (form) => {
    await api("/api/invites/accept", { body: { token, name: form.get("name"), password: form.get("password") } });
    setDone(true);
  });
  if (done)
    return (
      <p className="mt-4 text-sm">
        Your account is ready.{" "}
        <a className="text-sky-700 underline" href="/login">
          Log in
        </a>
        .
      </p>
    );
  return (
    <form className="mt-4 space-y-3" onSubmit={onSubmit}>
      <LabelledInput label="Name" name="name" required />
      <LabelledInput
        label="Password (12 characters or more)"
        name="password"
        type="password"
        required
        minLength={12}
        autoComplete="new-password"
      />
      <FormError error={error} />
      <button type="submit" className="w-full rounded bg-slate-900 py-2 text-white">
        Create account
      </button>
    </form>
  );
}
