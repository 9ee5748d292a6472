import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { LoginForm } from "@/app/login/login-form";

export const metadata: Metadata = { title: "Log in" };

function safeNext(next: string | undefined): string {
  // Only same-site paths: never redirect to another origin after login.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const user = await guardPage("/login");
  const next = safeNext((await searchParams).next);
  if (user) redirect(next);
  return (
    <div className="mx-auto mt-12 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="text-xl font-semibold">Log in to Featurelab</h1>
      <LoginForm next={next} />
    </div>
  );
}
