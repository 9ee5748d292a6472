import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { LoginForm } from "@/app/login/login-form";
import { safeNext } from "@/app/_server/safe-next";

export const metadata: Metadata = { title: "Log in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const user = await guardPage("/login");
  const raw = (await searchParams).next;
  const next = safeNext(Array.isArray(raw) ? raw[0] : raw);
  if (user) redirect(next);
  return (
    <div className="mx-auto mt-12 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="text-xl font-semibold">Log in to Featurelab</h1>
      <LoginForm next={next} />
    </div>
  );
}
