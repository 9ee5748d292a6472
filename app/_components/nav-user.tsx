"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { LogoutButton } from "@/app/_components/logout-button";
import { whoAmI, type WhoAmI } from "@/app/_components/who-am-i";

const LINKS: { href: string; label: string; roles: string[] }[] = [
  { href: "/", label: "SAEs", roles: ["ADMIN", "VIEWER"] },
  { href: "/compare", label: "Compare", roles: ["ADMIN", "VIEWER"] },
  { href: "/rate", label: "Rate", roles: ["ADMIN", "RATER"] },
  { href: "/admin/studies", label: "Studies", roles: ["ADMIN"] },
  { href: "/admin/jobs", label: "Jobs", roles: ["ADMIN"] },
  { href: "/admin/users", label: "Users", roles: ["ADMIN"] },
];

/**
 * The signed-in part of the navigation: the links the user's role may open,
 * who they are, and logging out. `deferred` is set on dashboard snapshots,
 * which are rendered once for every viewer: the user is then asked for after
 * the page loads.
 */
export function NavUser({ user, deferred }: { user: WhoAmI | null; deferred: boolean }) {
  const [shown, setShown] = useState<{ user: WhoAmI | null; known: boolean }>({ user, known: !deferred });
  useEffect(() => {
    if (!deferred) return;
    let live = true;
    whoAmI().then((u) => live && setShown({ user: u, known: true }));
    return () => {
      live = false;
    };
  }, [deferred]);
  const current = shown.user;
  return (
    <>
      {current &&
        LINKS.filter((l) => l.roles.includes(current.role)).map((l) => (
          <Link key={l.href} href={l.href} data-nav={l.label} className="text-sm text-slate-700 hover:text-slate-950 hover:underline">
            {l.label}
          </Link>
        ))}
      <div className="ml-auto flex items-center gap-3 text-sm">
        {current ? (
          <>
            <span className="text-slate-600" data-testid="whoami">
              {current.name} <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs uppercase">{current.role.toLowerCase()}</span>
            </span>
            <LogoutButton />
          </>
        ) : shown.known ? (
          <Link href="/login" className="text-slate-700 hover:underline">
            Log in
          </Link>
        ) : null}
      </div>
    </>
  );
}
