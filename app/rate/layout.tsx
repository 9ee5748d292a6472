import type { Metadata } from "next";

// The root layout's description names SAE architectures; rating pages (and
// their not-found page) must not, so raters see a neutral one.
export const metadata: Metadata = { description: "Rate features: is each one interpretable?" };

export default function RateLayout({ children }: { children: React.ReactNode }) {
  return children;
}
