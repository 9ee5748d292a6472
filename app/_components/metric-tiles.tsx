/** Numbers as a grid of tiles: each a label, the value, and a note under it (the SAE's metrics, a feature's statistics). */
export function MetricTiles({ tiles, testId }: { tiles: [label: string, value: string, note: string][]; testId: string }) {
  return (
    <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4" data-testid={testId}>
      {tiles.map(([k, v, note]) => (
        <div key={k} className="rounded border border-slate-200 bg-white px-3 py-2">
          <dt className="text-xs text-slate-500">{k}</dt>
          <dd className="font-semibold tabular-nums">{v}</dd>
          <dd className="text-xs text-slate-500">{note}</dd>
        </div>
      ))}
    </dl>
  );
}
