-- Explanations written by people (with history) and by automated explainers, their scores, and resumable autointerp runs (issue 17).
-- CreateEnum
CREATE TYPE "ExplainerKind" AS ENUM ('HUMAN', 'BUILTIN', 'LLM');

-- CreateEnum
CREATE TYPE "RevisionAction" AS ENUM ('CREATE', 'EDIT', 'DELETE');

-- CreateEnum
CREATE TYPE "ScoreMethod" AS ENUM ('SIMULATION', 'DETECTION');

-- CreateEnum
CREATE TYPE "AutointerpStatus" AS ENUM ('RUNNING', 'DONE', 'FAILED');

-- AlterEnum
ALTER TYPE "JobKind" ADD VALUE 'EXPLAIN';

-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN     "explainer" "ExplainerKind" NOT NULL DEFAULT 'HUMAN',
ADD COLUMN     "revision" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "runId" TEXT,
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "ExplanationRevision" (
    "id" BIGSERIAL NOT NULL,
    "explanationId" TEXT NOT NULL,
    "saeId" TEXT NOT NULL,
    "featureIndex" INTEGER NOT NULL,
    "revision" INTEGER NOT NULL,
    "action" "RevisionAction" NOT NULL,
    "text" TEXT NOT NULL,
    "editorId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExplanationRevision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExplanationScore" (
    "id" TEXT NOT NULL,
    "explanationId" TEXT NOT NULL,
    "method" "ScoreMethod" NOT NULL,
    "simulator" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "contexts" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExplanationScore_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AutointerpRun" (
    "id" TEXT NOT NULL,
    "saeId" TEXT NOT NULL,
    "explainer" "ExplainerKind" NOT NULL,
    "explainerModel" TEXT NOT NULL,
    "settings" JSONB NOT NULL,
    "featureIndices" INTEGER[],
    "status" "AutointerpStatus" NOT NULL DEFAULT 'RUNNING',
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "AutointerpRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AutointerpAttempt" (
    "runId" TEXT NOT NULL,
    "featureIndex" INTEGER NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "reason" TEXT,
    "rawAnswer" TEXT,
    "explanationId" TEXT,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AutointerpAttempt_pkey" PRIMARY KEY ("runId","featureIndex")
);

-- CreateIndex
CREATE INDEX "ExplanationRevision_explanationId_revision_idx" ON "ExplanationRevision"("explanationId", "revision");

-- CreateIndex
CREATE INDEX "ExplanationRevision_saeId_featureIndex_idx" ON "ExplanationRevision"("saeId", "featureIndex");

-- CreateIndex
CREATE UNIQUE INDEX "ExplanationScore_explanationId_method_simulator_key" ON "ExplanationScore"("explanationId", "method", "simulator");

-- CreateIndex
CREATE INDEX "AutointerpRun_saeId_idx" ON "AutointerpRun"("saeId");

-- AddForeignKey
ALTER TABLE "Explanation" ADD CONSTRAINT "Explanation_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Explanation" ADD CONSTRAINT "Explanation_runId_fkey" FOREIGN KEY ("runId") REFERENCES "AutointerpRun"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExplanationRevision" ADD CONSTRAINT "ExplanationRevision_editorId_fkey" FOREIGN KEY ("editorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExplanationScore" ADD CONSTRAINT "ExplanationScore_explanationId_fkey" FOREIGN KEY ("explanationId") REFERENCES "Explanation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AutointerpRun" ADD CONSTRAINT "AutointerpRun_saeId_fkey" FOREIGN KEY ("saeId") REFERENCES "Sae"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AutointerpAttempt" ADD CONSTRAINT "AutointerpAttempt_runId_fkey" FOREIGN KEY ("runId") REFERENCES "AutointerpRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

