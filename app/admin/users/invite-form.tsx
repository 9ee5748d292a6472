"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { api } from "@/app/_components/api-client";
import { FormError } from "@/app/_components/form-fields";
import { useFormSubmit } from "@/app/_components/use-form-submit";

export function InviteForm() {
  const router = useRouter();
  const [link, setLink] = useState<string | null>(null);
  const { error, onSubmit } = useFormSubmit(async (form) => {
    const result = await api<{ link: string }>("/api/admin/invites", { body: { email: form.get("email"), role: form.get("role") } });
    setLink(result.link);
    router.refresh(); // the pending invitations list below
  });
  return (
    <form className="mt-3 flex flex-wrap items-end gap-3" onSubmit={onSubmit}>
      <label className="text-sm">
        Email
        <input name="email" type="email" required className="mt-1 block rounded border border-slate-300 px-2 py-1.5" />
      </label>
      <label className="text-sm">
        Role
        <select name="role" className="mt-1 block rounded border border-slate-300 px-2 py-1.5">
          <option value="RATER">Rater</option>
          <option value="VIEWER">Viewer</option>
        </select>
      </label>
      <button type="submit" className="rounded bg-slate-900 px-3 py-1.5 text-white">
        Create invitation link
      </button>
      <FormError error={error} wide />
      {link && (
        <p className="w-full text-sm">
          Send this one-time link to the invitee:{" "}
          <code data-testid="invite-link" className="break-all rounded bg-slate-100 px-1">
            {link}
          </code>
        </p>
      )}
    </form>
  );
}
