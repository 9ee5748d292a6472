/** The catalogue the home page shows: models, their hooks, and the SAEs on each. */
import type { Prisma } from "@prisma/client";
import type { Db } from "@/lib/db/client";

/** The columns that name an SAE wherever SAEs are listed: which one, its architecture, width and L0. */
export const SAE_SUMMARY_SELECT = { id: true, name: true, architecture: true, dSae: true, l0: true } as const satisfies Prisma.SaeSelect;

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
              ...SAE_SUMMARY_SELECT,
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
