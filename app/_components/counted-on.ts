/**
 * How a page names the token set dead and dense features were counted on
 * (one definition: never fired on the recording's tokens, lib/db/recordings.ts).
 */
export function countedOn(tokens: number | null): string {
  return tokens === null ? "counted when recorded" : `on ${tokens.toLocaleString("en-US")} recording tokens`;
}
