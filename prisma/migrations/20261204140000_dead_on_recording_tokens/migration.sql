-- Dead and dense features have one definition: counted on the recording's tokens
-- (written with the Feature rows). The evaluation-set counts and their unused
-- histogram go, and existing SAEs get the counts of their recorded Feature rows.
-- (No semicolons in comments: the driver adapter splits the script on them.)
ALTER TABLE "Sae" DROP COLUMN "densityHistogram",
ADD COLUMN     "countTokens" INTEGER;

UPDATE "Sae" SET "deadCount" = NULL, "denseCount" = NULL;

UPDATE "Sae" AS s
SET "deadCount" = c.dead, "denseCount" = c.dense
FROM (
  SELECT "saeId", count(*) FILTER (WHERE dead)::int AS dead, count(*) FILTER (WHERE density > 0.1)::int AS dense
  FROM "Feature" GROUP BY "saeId"
) AS c
WHERE c."saeId" = s."id";
