"use client";
/** The study design form: SAEs, sampling, raters, ratings per feature and what raters are shown. */
import { useState } from "react";
import { useRouter } from "next/navigation";
import { api } from "@/app/_components/api-client";
import { FormError } from "@/app/_components/form-fields";
import { useFormSubmit } from "@/app/_components/use-form-submit";
import { raterViewSettingsSchema, type RaterViewSettings } from "@/lib/studies/types";
import { RaterChecklist, type RaterChoice } from "@/app/admin/studies/_components/rater-checklist";

interface SaeChoice {
  id: string;
  name: string;
  architecture: string;
  dSae: number;
  l0: number | null;
  hook: string;
  model: string;
  aliveFeatures: number;
}

const input = "mt-1 block w-full rounded border border-slate-300 px-2 py-1.5";

/** What raters are shown: a number field per view setting. */
const VIEW_FIELDS: { name: keyof RaterViewSettings; label: string; help?: string }[] = [
  { name: "topExamples", label: "Top activating examples" },
  { name: "intervals", label: "Activation intervals", help: "equal-width ranges of (0, max]" },
  { name: "examplesPerInterval", label: "Examples per interval" },
  { name: "logitTokens", label: "Logit tokens (promoted and suppressed)", help: "0: not shown (the paper's raters did not see them)" },
];

function NumberField({
  label,
  name,
  value,
  onChange,
  min = 0,
  max,
  help,
}: {
  label: string;
  name: string;
  value: number;
  onChange: (v: number) => void;
  min?: number;
  max?: number;
  help?: string;
}) {
  return (
    <label className="block text-sm">
      {label}
      <input
        name={name}
        type="number"
        min={min}
        max={max}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
        className={input}
        required
      />
      {help && <span className="mt-0.5 block text-xs text-slate-500">{help}</span>}
    </label>
  );
}

export function NewStudyForm({ saes, raters, defaultView }: { saes: SaeChoice[]; raters: RaterChoice[]; defaultView: RaterViewSettings }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [saeIds, setSaeIds] = useState<string[]>([]);
  const [raterIds, setRaterIds] = useState<string[]>([]);
  const [featuresPerSae, setFeaturesPerSae] = useState(20);
  const [stratified, setStratified] = useState(false);
  const [strata, setStrata] = useState(4);
  const [ratingsPerItem, setRatingsPerItem] = useState(2);
  const [view, setView] = useState(defaultView);
  const [seed, setSeed] = useState("");
  const [open, setOpen] = useState(true);
  const { error, sent, onSubmit } = useFormSubmit(async () => {
    const result = await api<{ id: string }>("/api/admin/studies", {
      body: {
        name,
        saeIds,
        featuresPerSae,
        densityStrata: stratified ? strata : null,
        raterIds,
        ratingsPerItem,
        view,
        seed: seed.trim() === "" ? undefined : Number(seed),
        open,
      },
    });
    router.push(`/admin/studies/${result.id}`);
  });

  const toggle = (list: string[], id: string) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
  const chosen = saes.filter((s) => saeIds.includes(s.id));
  const minAlive = chosen.length ? Math.min(...chosen.map((s) => s.aliveFeatures)) : null;
  const assignments = saeIds.length * featuresPerSae * ratingsPerItem;

  return (
    <form className="space-y-6" onSubmit={onSubmit}>
      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <label className="block text-sm">
          Study name <span className="text-slate-500">(raters see it: don&apos;t name the SAEs in it)</span>
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} className={input} />
        </label>
      </section>

      <fieldset className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
        <legend className="px-1 font-semibold">SAEs to compare</legend>
        {saes.length === 0 && <p className="text-sm text-slate-600">No SAE is ready yet: studies sample from recorded (ready) SAEs.</p>}
        <ul className="divide-y divide-slate-100">
          {saes.map((s) => (
            <li key={s.id} className="py-1.5">
              <label className="flex flex-wrap items-baseline gap-x-3 text-sm">
                <input
                  type="checkbox"
                  checked={saeIds.includes(s.id)}
                  onChange={() => setSaeIds(toggle(saeIds, s.id))}
                  aria-label={s.name}
                />
                <span className="font-medium">{s.name}</span>
                <span className="text-slate-600">{s.architecture.toLowerCase()}</span>
                <span className="font-mono text-xs text-slate-500">
                  {s.model} · {s.hook}
                </span>
                <span className="text-slate-600">{s.aliveFeatures.toLocaleString()} alive features</span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>

      <fieldset className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2">
        <legend className="px-1 font-semibold">Sampling</legend>
        <NumberField
          label="Features per SAE"
          name="featuresPerSae"
          value={featuresPerSae}
          onChange={setFeaturesPerSae}
          min={1}
          help={
            minAlive !== null ? `at most ${minAlive} (the fewest alive features among the chosen SAEs)` : "sampled among alive features"
          }
        />
        <div className="text-sm">
          <span className="block">How</span>
          <label className="mt-1 flex items-center gap-2">
            <input type="radio" name="sampling" checked={!stratified} onChange={() => setStratified(false)} /> Uniformly among alive
            features
          </label>
          <label className="mt-1 flex items-center gap-2">
            <input type="radio" name="sampling" checked={stratified} onChange={() => setStratified(true)} /> Stratified by firing density
          </label>
          {stratified && (
            <NumberField
              label="Density strata"
              name="densityStrata"
              value={strata}
              onChange={setStrata}
              min={2}
              max={50}
              help="equal-count strata of log10 density, sampled proportionally"
            />
          )}
        </div>
        <label className="block text-sm">
          Seed <span className="text-slate-500">(optional: blank draws one; it is recorded either way)</span>
          <input
            name="seed"
            value={seed}
            onChange={(e) => setSeed(e.target.value)}
            inputMode="numeric"
            pattern="[0-9]*"
            className={input}
          />
        </label>
      </fieldset>

      <fieldset className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
        <legend className="px-1 font-semibold">Raters</legend>
        <RaterChecklist raters={raters} chosen={raterIds} onChange={setRaterIds} />
        <div className="max-w-xs">
          <NumberField
            label="Ratings per feature"
            name="ratingsPerItem"
            value={ratingsPerItem}
            onChange={setRatingsPerItem}
            min={1}
            help="by distinct raters; 2 or more allow agreement statistics"
          />
        </div>
        {saeIds.length > 0 && raterIds.length > 0 && (
          <p className="text-sm text-slate-600">
            {assignments} ratings in all, about {Math.ceil(assignments / raterIds.length)} per rater.
          </p>
        )}
      </fieldset>

      <fieldset className="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2">
        <legend className="px-1 font-semibold">What raters are shown</legend>
        <p className="text-sm text-slate-600 sm:col-span-2">
          The paper&apos;s protocol: top activating examples and examples sampled across the activation range. Raters never see the SAE, its
          architecture or the feature&apos;s index, and see activations relative to the feature&apos;s maximum.
        </p>
        {VIEW_FIELDS.map(({ name, label, help }) => {
          // the bounds the API checks (lib/studies/types), so the form cannot offer what it would refuse
          const bounds = raterViewSettingsSchema.shape[name].unwrap();
          return (
            <NumberField
              key={name}
              label={label}
              name={name}
              value={view[name]}
              onChange={(v) => setView({ ...view, [name]: v })}
              min={bounds.minValue ?? 0}
              max={bounds.maxValue ?? undefined}
              help={help}
            />
          );
        })}
      </fieldset>

      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={open} onChange={(e) => setOpen(e.target.checked)} /> Open to raters now (otherwise keep it as a
        draft)
      </label>
      <FormError error={error} />
      <button
        type="submit"
        disabled={sent}
        className="rounded bg-slate-900 px-4 py-2 font-medium text-white hover:bg-slate-700 disabled:opacity-60"
      >
        {sent ? "Sampling features and assigning…" : "Create study"}
      </button>
    </form>
  );
}
