import type { Metadata } from "next";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listPossibleRaters, listStudyCandidateSaes } from "@/lib/db/studies";
import { NewStudyForm } from "@/app/admin/studies/_components/new-study-form";
import { DEFAULT_RATER_VIEW_SETTINGS } from "@/lib/studies/types";

export const metadata: Metadata = { title: "New study" };
export const dynamic = "force-dynamic";

export default async function NewStudyPage() {
  await guardPage("/admin/studies/new");
  const [saes, raters] = await Promise.all([listStudyCandidateSaes(db()), listPossibleRaters(db())]);
  return (
    <div className="mx-auto max-w-4xl space-y-6">
      <h1 className="text-2xl font-semibold">New rating study</h1>
      <NewStudyForm saes={saes} raters={raters} defaultView={DEFAULT_RATER_VIEW_SETTINGS} />
    </div>
  );
}
