import type { Metadata } from "next";
import "./globals.css";
import { Nav } from "@/app/_components/nav";
import { currentUser } from "@/app/_server/session";
import { isSnapshotRender } from "@/app/_server/snapshot";

export const metadata: Metadata = {
  title: { default: "Featurelab", template: "%s · Featurelab" },
  description: "Self-hosted sparse-autoencoder interpretability: feature dashboards, comparisons and rating studies.",
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const snapshot = await isSnapshotRender();
  const user = snapshot ? null : await currentUser();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <Nav user={user} deferred={snapshot} />
        <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
      </body>
    </html>
  );
}
