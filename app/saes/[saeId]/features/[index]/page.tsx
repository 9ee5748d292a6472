/** The feature dashboard: evidence, statistics, neighbours, explanations, ratings and a live text test. */
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { cache } from "react";
import { guardPage } from "@/app/_server/guard";
import { isSnapshotRender } from "@/app/_server/snapshot";
import { db } from "@/lib/db/client";
import { getFeatureDashboard, parseFeatureIndex, type FeatureNeighborView } from "@/lib/db/features";
import { seesOpenStudies } from "@/lib/db/rating-scope";
import { FeatureEvidence } from "@/app/_components/feature/feature-evidence";
import { CopyPermalink } from "@/app/_components/feature/copy-permalink";
import { KeyboardNav } from "@/app/_components/feature/keyboard-nav";
import { LiveTextTest } from "@/app/_components/feature/live-text-test";
import { FeatureRatings } from "@/app/_components/feature/feature-ratings";
import { FeatureExplanations } from "@/app/_components/feature/feature-explanations";
import { RandomFeatureLink } from "@/app/_components/feature/random-feature";
import { architectureStyle } from "@/app/_components/charts/palette";
import { SaeBreadcrumb } from "@/app/_components/feature/sae-breadcrumb";
import { MetricTiles } from "@/app/_components/metric-tiles";
import { TitledSection } from "@/app/_components/titled-section";

export const dynamic = "force-dynamic";

type Params = Promise<{ saeId: string; index: string }>;

// Keyed by the role (React's cache compares arguments by identity): the role decides which ratings are loaded.
const load = cache(async (saeId: string, rawIndex: string, role: string) => {
  const index = parseFeatureIndex(rawIndex);
  if (index === null) return null;
  return getFeatureDashboard(db(), saeId, index, { role });
});

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { saeId, index } = await params;
  return { title: `Feature ${index} · ${saeId}` };
}

/** A titled box of the side column, its heading naming it for screen readers. */
function Panel({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <TitledSection id={id} title={title} className="p-3" headingClassName="mb-1 font-semibold">
      {children}
    </TitledSection>
  );
}

function pct(x: number): string {
  return x >= 0.01 ? `${(x * 100).toFixed(2)}%` : x > 0 ? `${(x * 100).toPrecision(2)}%` : "0%";
}

function Neighbors({ title, items }: { title: string; items: FeatureNeighborView[] }) {
  return (
    <section aria-labelledby={`nb-${title}`}>
      <h2 id={`nb-${title}`} className="mb-1 text-sm font-semibold">
        {title}
      </h2>
      {items.length === 0 ? (
        <p className="text-xs text-slate-500">None recorded.</p>
      ) : (
        <ul className="space-y-0.5 text-sm">
          {items.map((n) => (
            <li key={`${n.saeId}-${n.index}`} className="flex justify-between gap-2">
              <Link href={`/saes/${n.saeId}/features/${n.index}`} className="truncate text-sky-800 underline-offset-2 hover:underline">
                {title.startsWith("In this") ? "" : <span style={{ color: architectureStyle(n.architecture).color }}>■ </span>}
                {title.startsWith("In this") ? "" : `${n.saeName} `}#{n.index}
              </Link>
              <span className="font-mono text-xs tabular-nums text-slate-600">cos {n.cosine.toFixed(3)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default async function FeaturePage({ params }: { params: Params }) {
  // A snapshot is this page as a viewer sees it (lib/snapshots): no per-user parts; admins' browsers add open studies' ratings.
  const snapshot = await isSnapshotRender();
  const user = snapshot ? { role: "VIEWER" as const } : await guardPage("/saes/[saeId]/features/[index]");
  const { saeId, index: rawIndex } = await params;
  const d = await load(saeId, rawIndex, user.role);
  if (!d) notFound();
  const { sae, index, feature } = d;
  const base = `/saes/${sae.id}/features`;
  const prev = index > 0 ? `${base}/${index - 1}` : null;
  const next = index < sae.dSae - 1 ? `${base}/${index + 1}` : null;
  const random = `${base}/${Math.floor(Math.random() * sae.dSae)}`;

  return (
    <div className="space-y-6">
      <KeyboardNav prev={prev} next={next} base={base} dSae={sae.dSae} />
      <SaeBreadcrumb modelName={sae.modelName} hookName={sae.hookName} sae={sae} />
      <header className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold">
          Feature <span data-testid="feature-index">{index}</span>
          <span className="ml-2 text-base font-normal text-slate-500">
            of {sae.dSae.toLocaleString()} · {architectureStyle(sae.architecture).label}
          </span>
        </h1>
        <div className="ml-auto flex flex-wrap items-center gap-2 text-sm">
          {prev ? (
            <Link href={prev} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" aria-keyshortcuts="ArrowLeft">
              ← Previous
            </Link>
          ) : (
            <span className="rounded border border-slate-200 px-2 py-1 text-slate-400">← Previous</span>
          )}
          {next ? (
            <Link href={next} className="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50" aria-keyshortcuts="ArrowRight">
              Next →
            </Link>
          ) : (
            <span className="rounded border border-slate-200 px-2 py-1 text-slate-400">Next →</span>
          )}
          <RandomFeatureLink base={base} dSae={sae.dSae} fallback={random} />
          <CopyPermalink path={`${base}/${index}`} />
        </div>
      </header>

      {!feature ? (
        <p className="rounded border border-dashed border-slate-300 bg-white p-4 text-slate-600">
          This SAE has not been recorded yet (status {sae.status.toLowerCase()}), so there are no examples or statistics for this feature.
          You can still test it on your text below.
        </p>
      ) : (
        <MetricTiles
          testId="feature-stats"
          tiles={[
            [
              "Density",
              feature.dead ? "dead" : `${pct(feature.density)} of tokens`,
              feature.dead ? "never fired on the recording tokens" : `log10 = ${Math.log10(feature.density).toFixed(2)}`,
            ],
            ["Max activation", feature.maxAct.toPrecision(4), "scale of the highlighting"],
            ["Mean activation", feature.meanAct.toPrecision(4), "where it fires"],
            ["Examples", `${d.top.length} top · ${d.intervals.length} sampled`, `${feature.intervalShares.length} intervals`],
          ]}
        />
      )}

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 lg:col-span-2">
          {feature && (
            <FeatureEvidence
              maxAct={feature.maxAct}
              top={d.top}
              intervals={d.intervals}
              intervalShares={feature.intervalShares}
              histCounts={feature.histCounts}
              logitTop={feature.logitTop}
              logitBottom={feature.logitBottom}
              logitNormFolded={feature.logitNormFolded}
            />
          )}
        </div>
        <aside className="min-w-0 space-y-5">
          <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-3">
            <h2 className="font-semibold">Nearest features</h2>
            <Neighbors title="In this SAE (decoder cosine)" items={d.nearestSame} />
            <Neighbors title="In sibling SAEs on this hook" items={d.nearestSiblings} />
          </div>
          <Panel id="explanations" title="Explanations">
            <FeatureExplanations
              saeId={sae.id}
              index={index}
              explanations={d.explanations}
              viewer={"id" in user ? { id: user.id, role: user.role } : null}
            />
          </Panel>
          <Panel id="ratings" title="Ratings">
            <FeatureRatings
              saeId={sae.id}
              index={index}
              ratings={d.ratings}
              scope={snapshot ? "snapshot" : seesOpenStudies(user) ? "all" : "closed"}
            />
          </Panel>
          <Panel id="live" title="Test on your text">
            <LiveTextTest saeId={sae.id} featureIndex={index} scale={feature?.maxAct} />
            <p className="mt-2 text-xs text-slate-500">
              Or find the features that fire on your text:{" "}
              <Link href={`/saes/${sae.id}/text-test`} className="text-sky-800 underline">
                reverse text test
              </Link>
              .
            </p>
          </Panel>
        </aside>
      </div>
      <p className="text-xs text-slate-500">Keys: ← / → previous / next feature, r random.</p>
    </div>
  );
}
