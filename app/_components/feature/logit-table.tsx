/** The output tokens a feature's decoder direction promotes most and suppresses most. */
import { tokenCaption } from "@/app/_components/feature/token-html";

export interface LogitTokenView {
  id: number;
  text: string;
  value: number;
}

function Column({ title, tokens, tone }: { title: string; tokens: LogitTokenView[]; tone: string }) {
  return (
    <div className="min-w-0 flex-1">
      <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">{title}</h4>
      <table className="w-full text-sm">
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id} className="border-t border-slate-100">
              <td className="py-0.5 pr-2">
                <code className={`rounded px-1 ${tone}`}>{tokenCaption(t.text)}</code>
              </td>
              <td className="py-0.5 text-right font-mono text-xs tabular-nums">
                {t.value >= 0 ? "+" : ""}
                {t.value.toFixed(3)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LogitTable({ top, bottom, normFolded }: { top: LogitTokenView[]; bottom: LogitTokenView[]; normFolded: boolean }) {
  if (top.length === 0 && bottom.length === 0) return <p className="text-sm text-slate-500">No logit effects recorded.</p>;
  return (
    <div>
      <div className="flex gap-4">
        <Column title="Promoted" tokens={top} tone="bg-sky-100 text-sky-950" />
        <Column title="Suppressed" tokens={bottom} tone="bg-orange-100 text-orange-950" />
      </div>
      <p className="mt-2 text-xs text-slate-600" data-testid="logit-norm">
        Decoder direction times the unembedding,{" "}
        {normFolded
          ? "with the final norm's scale folded in."
          : "without the final norm (its scale is not folded in), so values are only comparable within this feature."}
      </p>
    </div>
  );
}
