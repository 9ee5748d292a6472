/**
 * Featurelab's own folder (where assets/ lives): found from this module's
 * location under Node and tsx; inside the Next.js server bundle, which has no
 * import.meta.dirname, it is the working directory `next start` runs in.
 */
import path from "node:path";

export const PROJECT_ROOT = import.meta.dirname ? path.resolve(import.meta.dirname, "..") : process.cwd();
