/** The trail above an SAE's pages: model / hook, and the SAE itself when the page is one of its sub-pages. */
import Link from "next/link";

export function SaeBreadcrumb({ modelName, hookName, sae }: { modelName: string; hookName: string; sae?: { id: string; name: string } }) {
  return (
    <nav aria-label="Breadcrumb" className="text-sm text-slate-600">
      <Link href="/" className="hover:underline">
        {modelName}
      </Link>{" "}
      / <span className="font-mono">{hookName}</span>
      {sae && (
        <>
          {" / "}
          <Link href={`/saes/${sae.id}`} className="text-sky-800 hover:underline">
            {sae.name}
          </Link>
        </>
      )}
    </nav>
  );
}
