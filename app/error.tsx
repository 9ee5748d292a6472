"use client";

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <h1 className="text-2xl font-semibold">Something went wrong</h1>
      <p className="mt-2 text-slate-600">The error has been logged on the server. Try again, or tell your admin if it keeps happening.</p>
      <button type="button" onClick={reset} className="mt-4 rounded bg-slate-900 px-3 py-1.5 text-white">
        Try again
      </button>
    </div>
  );
}
