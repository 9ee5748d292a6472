/**
 * The one visibility rule for rating results shown next to features (the
 * feature page, its API, the feature list, the comparison): admins see every
 * study's counts; everyone else sees closed studies' only, because a study's
 * results are published when it closes (open ones are work in progress that
 * must not steer raters or readers).
 */
import { Prisma } from "@prisma/client";

/** Who reads the rating results: the signed-in user (its role), or nobody. */
export type RatingReader = { role: string } | null | undefined;

export function seesOpenStudies(reader: RatingReader): boolean {
  return reader?.role === "ADMIN";
}

/** The rule as a SQL condition on the Study row, which the query must alias `st`. */
export function ratingScope(reader: RatingReader): Prisma.Sql {
  return seesOpenStudies(reader) ? Prisma.sql`TRUE` : Prisma.sql`st.status = 'CLOSED'`;
}
