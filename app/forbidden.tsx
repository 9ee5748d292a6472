import Link from "next/link";

export default function Forbidden() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <h1 className="text-2xl font-semibold">Not for your role</h1>
      <p className="mt-2 text-slate-600">Your account may not open this page. Ask an admin if you need access.</p>
      <Link href="/" className="mt-4 inline-block text-sky-700 underline">
        Back to the start page
      </Link>
    </div>
  );
}
