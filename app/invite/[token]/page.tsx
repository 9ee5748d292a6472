import type { Metadata } from "next";
import { guardPage } from "@/app/_server/guard";
import { AcceptInviteForm } from "@/app/invite/[token]/accept-form";

export const metadata: Metadata = { title: "Accept invitation" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  await guardPage("/invite/[token]");
  const { token } = await params;
  return (
    <div className="mx-auto mt-12 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="text-xl font-semibold">Join Featurelab</h1>
      <p className="mt-1 text-sm text-slate-600">Choose your name and a password to accept the invitation.</p>
      <AcceptInviteForm token={token} />
    </div>
  );
}
