/** One SAE's bar in the rating-share charts (RatingIntervals), from its study outcome. */
import type { SaeOutcome } from "@/lib/studies/statistics/outcome-summary";

export interface RatingBar {
  name: string;
  trials: number;
  yes: number | null;
  yesLow: number | null;
  yesHigh: number | null;
  yesOrMaybe: number | null;
  yomLow: number | null;
  yomHigh: number | null;
}

export function ratingBar(name: string, o: Pick<SaeOutcome, "total" | "shares" | "yesOrMaybe">): RatingBar {
  return {
    name,
    trials: o.total,
    yes: o.shares.yes.share,
    yesLow: o.shares.yes.interval?.lower ?? null,
    yesHigh: o.shares.yes.interval?.upper ?? null,
    yesOrMaybe: o.yesOrMaybe.share,
    yomLow: o.yesOrMaybe.interval?.lower ?? null,
    yomHigh: o.yesOrMaybe.interval?.upper ?? null,
  };
}
