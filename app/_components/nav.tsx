import Link from "next/link";
import type { SessionUser } from "@/lib/auth/sessions";
import { LogoutButton } from "@/app/_components/logout-button";

/** Navigation shows only what the user's role may open. */
export function Nav({ user }: { user: SessionUser | null }) {
  const links: { href: string; label: string; roles: string[] }[] = [
    { href: "/", label: "SAEs", roles: ["ADMIN", "VIEWER"] },
    { href: "/compare", label: "Compare", roles: ["ADMIN", "VIEWER"] },
    { href: "/rate", label: "Rate", roles: ["ADMIN", "RATER"] },
    { href: "/admin/studies", label: "Studies", roles: ["ADMIN"] },
    { href: "/admin/jobs", label: "Jobs", roles: ["ADMIN"] },
    { href: "/admin/users", label: "Users", roles: ["ADMIN"] },
  ];
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav aria-label="Main" className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-5 gap-y-2 px-4 py-3">
        <Link href="/" className="text-lg font-semibold tracking-tight text-slate-900">
          Featurelab
        </Link>
        {user &&
          links
            .filter((l) => l.roles.includes(user.role))
            .map((l) => (
              <Link key={l.href} href={l.href} data-nav={l.label} className="text-sm text-slate-700 hover:text-slate-950 hover:underline">
                {l.label}
              </Link>
            ))}
        <div className="ml-auto flex items-center gap-3 text-sm">
          {user ? (
            <>
              <span className="text-slate-600" data-testid="whoami">
                {user.name} <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs uppercase">{user.role.toLowerCase()}</span>
              </span>
              <LogoutButton />
            </>
          ) : (
            <Link href="/login" className="text-slate-700 hover:underline">
              Log in
            </Link>
          )}
        </div>
      </nav>
    </header>
  );
}
