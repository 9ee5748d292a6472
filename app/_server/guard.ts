/** Page guard: anonymous visitors go to the login page, wrong roles get a 403 page. */
import { forbidden, redirect } from "next/navigation";
import { headers } from "next/headers";
import { ACCESS, type RouteKey } from "@/app/_server/access";
import { allows } from "@/lib/auth/roles";
import type { SessionUser } from "@/lib/auth/sessions";
import { currentUser } from "@/app/_server/session";

export async function guardPage(route: RouteKey): Promise<SessionUser> {
  const audience = ACCESS[route];
  const user = await currentUser();
  if (audience === "public") return user as SessionUser;
  if (!user) {
    const path = (await headers()).get("x-featurelab-path") ?? "/";
    redirect(`/login?next=${encodeURIComponent(path)}`);
  }
  if (!allows(audience, user.role)) forbidden();
  return user;
}
