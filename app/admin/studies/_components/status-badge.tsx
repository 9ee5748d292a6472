const STYLE: Record<string, string> = {
  DRAFT: "bg-slate-100 text-slate-700",
  OPEN: "bg-emerald-100 text-emerald-900",
  PAUSED: "bg-amber-100 text-amber-900",
  CLOSED: "bg-slate-200 text-slate-800",
};

export function StudyStatusBadge({ status }: { status: string }) {
  return (
    <span data-testid="study-status" className={`rounded px-2 py-0.5 text-xs font-medium uppercase ${STYLE[status] ?? ""}`}>
      {status.toLowerCase()}
    </span>
  );
}
