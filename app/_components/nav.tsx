import Link from "next/link";
import type { SessionUser } from "@/lib/auth/sessions";
import { NavUser } from "@/app/_components/nav-user";

/** Navigation shows only what the user's role may open; on dashboard snapshots the user is filled in after load (`deferred`). */
export function Nav({ user, deferred = false }: { user: SessionUser | null; deferred?: boolean }) {
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav aria-label="Main" className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-5 gap-y-2 px-4 py-3">
        <Link href="/" className="text-lg font-semibold tracking-tight text-slate-900">
          Featurelab
        </Link>
        <NavUser user={user && { name: user.name, role: user.role }} deferred={deferred} />
      </nav>
    </header>
  );
}
