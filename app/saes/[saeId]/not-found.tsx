import Link from "next/link";

export default function SaeNotFound() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <h1 className="text-2xl font-semibold">No such SAE or feature</h1>
      <p className="mt-2 text-slate-600">
        The SAE id is unknown, or the feature index is not a whole number from 0 to the SAE&apos;s width minus one. Check the link, or pick
        an SAE from the list.
      </p>
      <Link href="/" className="mt-4 inline-block text-sky-700 underline">
        All SAEs
      </Link>
    </div>
  );
}
