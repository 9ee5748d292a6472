"use client";
import { useEffect, useState } from "react";
import type { RatingResult } from "@/lib/db/features";
import { whoAmI } from "@/app/_components/who-am-i";
import { TableHead } from "@/app/_components/table-head";

/**
 * Which studies `ratings` covers: every study (an admin's rendered page),
 * closed ones (a viewer's), or a snapshot's closed ones, to which an admin's
 * browser adds the open studies after load.
 */
export type RatingsScope = "all" | "closed" | "snapshot";

export function FeatureRatings({
  saeId,
  index,
  ratings,
  scope,
}: {
  saeId: string;
  index: number;
  ratings: RatingResult[];
  scope: RatingsScope;
}) {
  const [shown, setShown] = useState({ rows: ratings, all: scope === "all" });
  useEffect(() => {
    if (scope !== "snapshot") return;
    let live = true;
    whoAmI().then(async (user) => {
      if (user?.role !== "ADMIN") return;
      const r = await fetch(`/api/saes/${saeId}/features/${index}/ratings`);
      if (!r.ok) return;
      const body = (await r.json()) as { ratings: RatingResult[]; openStudies: boolean };
      if (live) setShown({ rows: body.ratings, all: body.openStudies });
    });
    return () => {
      live = false;
    };
  }, [saeId, index, scope]);

  if (shown.rows.length === 0)
    return <p className="text-sm text-slate-500">{shown.all ? "Not sampled in any study." : "Not rated in any closed study."}</p>;
  return (
    <table className="w-full text-sm" data-testid="feature-ratings">
      <TableHead
        columns={["Study", { label: "Yes", numeric: true }, { label: "Maybe", numeric: true }, { label: "No", numeric: true }]}
        cell=""
        small
      />
      <tbody>
        {shown.rows.map((r) => (
          <tr key={r.studyId} className="border-t border-slate-100">
            <td>
              {r.studyName} <span className="text-xs text-slate-500">{r.studyStatus.toLowerCase()}</span>
            </td>
            <td className="text-right tabular-nums">{r.yes}</td>
            <td className="text-right tabular-nums">{r.maybe}</td>
            <td className="text-right tabular-nums">{r.no}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
