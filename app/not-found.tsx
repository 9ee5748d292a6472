import Link from "next/link";

export default function NotFound() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="mt-2 text-slate-600">There is nothing at this address. It may have been deleted, or the link is wrong.</p>
      <Link href="/" className="mt-4 inline-block text-sky-700 underline">
        Back to the start page
      </Link>
    </div>
  );
}
