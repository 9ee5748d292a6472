import type { Metadata } from "next";
import Link from "next/link";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listStudies } from "@/lib/db/studies";
import { StudyStatusBadge } from "@/app/admin/studies/_components/status-badge";
import { TableHead } from "@/app/_components/table-head";

export const metadata: Metadata = { title: "Studies" };
export const dynamic = "force-dynamic";

export default async function StudiesPage() {
  await guardPage("/admin/studies");
  const studies = await listStudies(db());
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Rating studies</h1>
        <Link href="/admin/studies/new" className="rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700">
          New study
        </Link>
      </div>
      <p className="max-w-3xl text-sm text-slate-600">
        Blinded manual-interpretability studies: raters judge features sampled from the SAEs you compare without knowing which SAE a feature
        came from, and answer whether it is interpretable (Yes / Maybe / No).
      </p>
      {studies.length === 0 ? (
        <p className="rounded border border-dashed border-slate-300 bg-white p-6 text-slate-600">No studies yet.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-sm">
            <TableHead
              columns={[
                "Study",
                "Status",
                { label: "SAEs", numeric: true },
                { label: "Features", numeric: true },
                { label: "Raters", numeric: true },
                { label: "Answered", numeric: true },
                "Created",
              ]}
              cell="px-4 py-2"
            />
            <tbody>
              {studies.map((s) => (
                <tr key={s.id} className="border-t border-slate-100">
                  <td className="px-4 py-2">
                    <Link href={`/admin/studies/${s.id}`} className="text-sky-700 underline">
                      {s.name}
                    </Link>
                  </td>
                  <td className="px-4 py-2">
                    <StudyStatusBadge status={s.status} />
                  </td>
                  <td className="px-4 py-2 text-right tabular-nums">{s.saes}</td>
                  <td className="px-4 py-2 text-right tabular-nums">{s.features}</td>
                  <td className="px-4 py-2 text-right tabular-nums">{s.raters}</td>
                  <td className="px-4 py-2 text-right tabular-nums">
                    {s.answered} / {s.assigned}
                  </td>
                  <td className="px-4 py-2 text-slate-600">{s.createdAt.toISOString().slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
