/** The reverse text test: for a text, the features of this SAE that fire most on each token. */
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { getSaeHeader } from "@/lib/db/features";
import { LiveTextTest } from "@/app/_components/feature/live-text-test";
import { SaeBreadcrumb } from "@/app/_components/feature/sae-breadcrumb";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Test on your text" };

export default async function TextTestPage({ params }: { params: Promise<{ saeId: string }> }) {
  await guardPage("/saes/[saeId]/text-test");
  const { saeId } = await params;
  const sae = await getSaeHeader(db(), saeId);
  if (!sae) notFound();
  return (
    <div className="max-w-4xl space-y-4">
      <SaeBreadcrumb modelName={sae.modelName} hookName={sae.hookName} sae={sae} />
      <h1 className="text-2xl font-semibold">Which features fire on your text?</h1>
      <p className="text-sm text-slate-600">
        The model runs on your text (after a BOS token) up to <span className="font-mono">{sae.hookName}</span>, and {sae.name} encodes each
        token&apos;s activation. Computed live on the server; limited in length and to a few tests a minute.
      </p>
      <LiveTextTest saeId={sae.id} />
    </div>
  );
}
