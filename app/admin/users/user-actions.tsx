"use client";
import { useState } from "react";
import { useAdminAction } from "@/app/_components/use-admin-action";

/** An admin's controls for one account: disable or enable, end its sessions, reset its password (shown once). */
export function UserActions({ user, self }: { user: { id: string; email: string; disabled: boolean }; self: boolean }) {
  const { run, busy, error } = useAdminAction();
  const [message, setMessage] = useState<string | null>(null);
  interface Action<T> {
    label: string;
    path: string;
    body: unknown;
    describe: (result: T) => string;
    question?: string;
  }
  const actions: Action<never>[] = [
    ...(self
      ? []
      : [
          {
            label: user.disabled ? "Enable" : "Disable",
            path: "disabled",
            body: { disabled: !user.disabled },
            describe: () => (user.disabled ? "Enabled." : "Disabled; signed out everywhere."),
            question: user.disabled ? undefined : `Disable ${user.email}? They are signed out at once and cannot log in.`,
          },
        ]),
    { label: "End sessions", path: "end-sessions", body: {}, describe: (r: { ended: number }) => `${r.ended} session(s) ended.` },
    {
      label: "Reset password",
      path: "reset-password",
      body: {},
      describe: (r: { password: string }) => `New password (shown once, hand it over safely): ${r.password}`,
      question: `Reset the password of ${user.email}? Their current password stops working and they are signed out.`,
    },
  ];
  async function act(a: Action<never>) {
    if (a.question && !window.confirm(a.question)) return;
    // the last action's message goes as this one starts, so what is shown is always this action's
    setMessage(null);
    const result = await run<never>(`/api/admin/users/${encodeURIComponent(user.id)}/${a.path}`, a.body);
    if (result !== undefined) setMessage(a.describe(result));
  }
  const button = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50";
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid={`user-actions-${user.email}`}>
      {actions.map((a) => (
        <button key={a.path} type="button" className={button} disabled={busy} onClick={() => act(a)}>
          {a.label}
        </button>
      ))}
      {message && (
        <span role="status" className="w-full break-all text-xs text-slate-700">
          {message}
        </span>
      )}
      {error && (
        <span role="alert" className="w-full text-xs text-red-700">
          {error}
        </span>
      )}
    </div>
  );
}

/** Revokes a pending invitation. */
export function RevokeInvite({ inviteId, email }: { inviteId: string; email: string }) {
  const { run, error } = useAdminAction();
  return (
    <span>
      <button
        type="button"
        className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
        data-testid={`revoke-${email}`}
        onClick={() => run(`/api/admin/invites/${encodeURIComponent(inviteId)}/revoke`, {})}
      >
        Revoke
      </button>
      {error && (
        <span role="alert" className="ml-2 text-xs text-red-700">
          {error}
        </span>
      )}
    </span>
  );
}
