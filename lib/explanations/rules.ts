/**
 * Explanations written by people: what a valid text is and who may change
 * one. Viewers and admins write explanations; a person edits and deletes
 * their own, admins anyone's (and automated ones, which have no author).
 */
import { z } from "zod";
import type { Role } from "@/lib/auth/roles";

export const EXPLANATION_MAX_CHARS = 500;

export const explanationTextSchema = z
  .string({ error: "text must be a string" })
  .transform((s) => s.replace(/\s+/g, " ").trim())
  .pipe(
    z
      .string()
      .min(1, "write the explanation (it is empty)")
      .max(EXPLANATION_MAX_CHARS, `keep the explanation to at most ${EXPLANATION_MAX_CHARS} characters`),
  );

export const writeExplanationSchema = z.strictObject({ text: explanationTextSchema });

/** An edit names the revision it was made from, so two people editing at once cannot silently overwrite each other. */
export const editExplanationSchema = z.strictObject({
  text: explanationTextSchema,
  revision: z.int({ error: "revision must be the integer revision you edited" }).positive(),
});

export interface Editor {
  id: string;
  role: Role;
}

/** Whether `editor` may edit or delete an explanation by `authorId` (null: automated). */
export function mayChangeExplanation(editor: Editor, authorId: string | null): boolean {
  return editor.role === "ADMIN" || (authorId !== null && authorId === editor.id);
}
