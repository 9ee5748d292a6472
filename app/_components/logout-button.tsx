"use client";
import { api } from "@/app/_components/api-client";

export function LogoutButton() {
  return (
    <button
      type="button"
      className="rounded border border-slate-300 px-2 py-1 text-slate-700 hover:bg-slate-50"
      onClick={async () => {
        await api("/api/auth/logout", { body: {} });
        window.location.href = "/login";
      }}
    >
      Log out
    </button>
  );
}
