/** Users as the admin pages list them. */
import type { Db } from "@/lib/db/client";

export function listUsers(db: Db) {
  return db.user.findMany({
    orderBy: [{ role: "asc" }, { email: "asc" }],
    select: { id: true, email: true, name: true, role: true, disabled: true, createdAt: true },
  });
}
