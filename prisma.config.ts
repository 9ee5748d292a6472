import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// Prisma's native schema engine cannot be downloaded here, so migrations run
// through the WebAssembly schema engine over the pg driver adapter
// (experimental in Prisma 6.19; see ../shared/ENVIRONMENT.md).
export default defineConfig({
  experimental: { adapter: true },
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  engine: "js",
  adapter: async () => {
    const url = process.env.DATABASE_URL;
    if (!url)
      throw new Error(
        "DATABASE_URL is not set: run migrations through `npm run db:migrate`, which starts the embedded database when it is unset.",
      );
    return new PrismaPg({ connectionString: url });
  },
});
