/** The catalogue the home page shows: models, their hooks, and the SAEs on each. */
import type { Db } from "@/lib/db/client";

export async function listCatalog(db: Db) {
  return db.model.findMany({
    orderBy: { name: "asc" },
    include: {
      hooks: {
        orderBy: [{ layer: "asc" }, { name: "asc" }],
        include: {
          saes: {
            orderBy: [{ architecture: "asc" }, { l0: "asc" }],
            select: {
              id: true,
              name: true,
              architecture: true,
              dSae: true,
              l0: true,
              fvu: true,
              deltaLoss: true,
              status: true,
              progress: true,
              source: true,
            },
          },
        },
      },
    },
  });
}
export type Catalog = Awaited<ReturnType<typeof listCatalog>>;
