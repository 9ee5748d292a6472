import { z } from "zod";
import { apiRoute, HttpError } from "@/app/_server/api";
import { db } from "@/lib/db/client";
import { exportStudy } from "@/lib/db/studies";

const query = z.object({
  format: z.enum(["csv", "json"]).default("json"),
  /** prefix cells that start with = + - @ so spreadsheets do not run them as formulas; 0 gives the text verbatim */
  spreadsheetSafe: z.enum(["0", "1"]).default("1"),
});

export const GET = apiRoute(
  "GET /api/admin/studies/[studyId]/export",
  { query },
  async ({ params, query: { format, spreadsheetSafe } }) => {
    const file = await exportStudy(db(), params.studyId, format, { spreadsheetSafe: spreadsheetSafe === "1" });
    if (!file) throw new HttpError(404, `No study with id "${params.studyId}".`);
    return new Response(file.body, {
      headers: {
        "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="${file.filename}"`,
        "cache-control": "no-store",
      },
    });
  },
);
