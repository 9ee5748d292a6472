"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { api } from "@/app/_components/api-client";

/** An admin's controls for one account: disable or enable, end its sessions, reset its password (shown once). */
export function UserActions({ user, self }: { user: { id: string; email: string; disabled: boolean }; self: boolean }) {
  const router = useRouter();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function act(path: string, body: unknown, describe: (result: never) => string, confirmText?: string) {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true);
    setError(null);
    setMessage(null);
    try {
      const result = await api<never>(`/api/admin/users/${encodeURIComponent(user.id)}/${path}`, { body });
      setMessage(describe(result));
      router.refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }
  const button = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50";
  return (
    <div className="flex flex-wrap items-center gap-2" data-testid={`user-actions-${user.email}`}>
      {!self && (
        <button
          type="button"
          className={button}
          disabled={busy}
          onClick={() =>
            act(
              "disabled",
              { disabled: !user.disabled },
              () => (user.disabled ? "Enabled." : "Disabled; signed out everywhere."),
              user.disabled ? undefined : `Disable ${user.email}? They are signed out at once and cannot log in.`,
            )
          }
        >
          {user.disabled ? "Enable" : "Disable"}
        </button>
      )}
      <button
        type="button"
        className={button}
        disabled={busy}
        onClick={() => act("end-sessions", {}, (r: { ended: number }) => `${r.ended} session(s) ended.`)}
      >
        End sessions
      </button>
      <button
        type="button"
        className={button}
        disabled={busy}
        onClick={() =>
          act(
            "reset-password",
            {},
            (r: { password: string }) => `New password (shown once, hand it over safely): ${r.password}`,
            `Reset the password of ${user.email}? Their current password stops working and they are signed out.`,
          )
        }
      >
        Reset password
      </button>
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
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  return (
    <span>
      <button
        type="button"
        className="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
        data-testid={`revoke-${email}`}
        onClick={async () => {
          setError(null);
          try {
            await api(`/api/admin/invites/${encodeURIComponent(inviteId)}/revoke`, { body: {} });
            router.refresh();
          } catch (e) {
            setError((e as Error).message);
          }
        }}
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
