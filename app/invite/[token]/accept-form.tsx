"use client";
import { useState } from "react";
import { api } from "@/app/_components/api-client";
import { FormError, LabelledInput } from "@/app/_components/form-fields";

export function AcceptInviteForm({ token }: { token: string }) {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
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
    <form
      className="mt-4 space-y-3"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        try {
          await api("/api/invites/accept", { body: { token, name: form.get("name"), password: form.get("password") } });
          setDone(true);
        } catch (e) {
          setError((e as Error).message);
        }
      }}
    >
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
