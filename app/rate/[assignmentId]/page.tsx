import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { getRaterItem } from "@/lib/db/ratings";
import { RatingPanel } from "@/app/rate/_components/rating-panel";
import { BlindEvidence } from "@/app/rate/_components/blind-evidence";

// A fixed title: nothing about the item (its SAE or feature) may reach the tab, history or bookmarks.
export const metadata: Metadata = { title: "Rate a feature" };
export const dynamic = "force-dynamic";

export default async function RateItemPage({ params }: { params: Promise<{ assignmentId: string }> }) {
  const user = await guardPage("/rate/[assignmentId]");
  const { assignmentId } = await params;
  const payload = await getRaterItem(db(), user.id, assignmentId);
  if (!payload) notFound();
  const { item } = payload;
  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
      <div className="order-2 min-w-0 lg:order-1">
        <BlindEvidence item={item} recorded={payload.recorded} />
      </div>
      <div className="order-1 lg:order-2">
        <div className="lg:sticky lg:top-4">
          <RatingPanel
            key={item.itemId}
            assignmentId={item.itemId}
            question={item.question}
            studyName={payload.studyName}
            studyStatus={payload.studyStatus}
            position={item.progress.position}
            total={item.progress.total}
            answered={item.progress.answered}
            previousId={item.navigation.previousItemId}
            nextId={item.navigation.nextItemId}
            nextOpenId={payload.nextOpenItemId}
            saved={
              payload.revision === 0
                ? null
                : payload.skipped
                  ? { answer: "skip", explanation: null, confidence: null, revision: payload.revision }
                  : { ...item.ownAnswer!, revision: payload.revision }
            }
          />
        </div>
      </div>
    </div>
  );
}
