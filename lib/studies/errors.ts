/**
 * Errors raised by the study core. Each names the field or entity at fault and
 * says what to do, so the admin UI can show the message as is.
 */
export class StudyInputError extends Error {
  override name = "StudyInputError";
  constructor(
    /** the input field at fault, e.g. "raterIds" or "saes[2].features" */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** An SAE has fewer alive features than the study asks to sample from it. */
export class InsufficientAliveFeaturesError extends StudyInputError {
  override name = "InsufficientAliveFeaturesError";
  constructor(
    readonly saeId: string,
    readonly alive: number,
    readonly requested: number,
  ) {
    super(
      "sampling.featuresPerSae",
      `SAE "${saeId}" has only ${alive} alive feature(s) (density > 0) but ${requested} were requested; ` +
        `lower featuresPerSae to at most ${alive}, or record more tokens for this SAE so more features show activity`,
    );
  }
}

/** ratingsPerItem exceeds the number of raters, so some item would go to a rater twice. */
export class TooFewRatersError extends StudyInputError {
  override name = "TooFewRatersError";
  constructor(
    readonly raters: number,
    readonly ratingsPerItem: number,
  ) {
    super(
      "ratingsPerItem",
      `${ratingsPerItem} ratings per item need at least ${ratingsPerItem} distinct raters but the study has ${raters}; ` +
        `add raters or lower ratingsPerItem (a rater never rates the same item twice)`,
    );
  }
}

/** A payload meant for a rater would reveal the SAE or the feature's identity. */
export class BlindingViolationError extends Error {
  override name = "BlindingViolationError";
  constructor(readonly leaks: { path: string; secret: string }[]) {
    super(
      `rater-visible payload reveals identity: ${leaks
        .slice(0, 5)
        .map((l) => `"${l.secret}" at ${l.path}`)
        .join(", ")}${leaks.length > 5 ? ` and ${leaks.length - 5} more` : ""}`,
    );
  }
}
