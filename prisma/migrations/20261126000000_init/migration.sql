-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'RATER', 'VIEWER');

-- CreateEnum
CREATE TYPE "HookKind" AS ENUM ('RESID_POST', 'ATTN_OUT', 'MLP_OUT');

-- CreateEnum
CREATE TYPE "DatasetSplit" AS ENUM ('TRAIN', 'RECORDING', 'EVAL');

-- CreateEnum
CREATE TYPE "Architecture" AS ENUM ('JUMPRELU', 'TOPK', 'BATCHTOPK', 'GATED', 'RELU');

-- CreateEnum
CREATE TYPE "SaeStatus" AS ENUM ('QUEUED', 'TRAINING', 'EVALUATING', 'RECORDING', 'READY', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "SaeSource" AS ENUM ('TRAINED', 'IMPORTED');

-- CreateEnum
CREATE TYPE "ExampleKind" AS ENUM ('TOP', 'INTERVAL');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('HARVEST', 'TRAIN', 'EVALUATE', 'RECORD', 'IMPORT');

-- CreateEnum
CREATE TYPE "StudyStatus" AS ENUM ('DRAFT', 'OPEN', 'PAUSED', 'CLOSED');

-- CreateEnum
CREATE TYPE "Answer" AS ENUM ('YES', 'MAYBE', 'NO', 'SKIP');

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "invitedById" TEXT,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invite" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "Invite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Model" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "dModel" INTEGER NOT NULL,
    "nLayers" INTEGER NOT NULL,
    "vocabSize" INTEGER NOT NULL,
    "contextLength" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Model_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Token" (
    "modelId" TEXT NOT NULL,
    "id" INTEGER NOT NULL,
    "text" TEXT NOT NULL,

    CONSTRAINT "Token_pkey" PRIMARY KEY ("modelId","id")
);

-- CreateTable
CREATE TABLE "Hook" (
    "id" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "HookKind" NOT NULL,
    "layer" INTEGER NOT NULL,
    "dim" INTEGER NOT NULL,

    CONSTRAINT "Hook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActivationDataset" (
    "id" TEXT NOT NULL,
    "hookId" TEXT NOT NULL,
    "split" "DatasetSplit" NOT NULL,
    "path" TEXT NOT NULL,
    "corpus" TEXT NOT NULL,
    "nTokens" INTEGER NOT NULL DEFAULT 0,
    "dtype" TEXT NOT NULL DEFAULT 'float32',
    "complete" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ActivationDataset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Sae" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "hookId" TEXT NOT NULL,
    "datasetId" TEXT,
    "architecture" "Architecture" NOT NULL,
    "source" "SaeSource" NOT NULL DEFAULT 'TRAINED',
    "dIn" INTEGER NOT NULL,
    "dSae" INTEGER NOT NULL,
    "hyperparams" JSONB NOT NULL,
    "status" "SaeStatus" NOT NULL DEFAULT 'QUEUED',
    "progress" JSONB,
    "error" TEXT,
    "path" TEXT,
    "trainedTokens" BIGINT NOT NULL DEFAULT 0,
    "l0" DOUBLE PRECISION,
    "fvu" DOUBLE PRECISION,
    "mse" DOUBLE PRECISION,
    "cosine" DOUBLE PRECISION,
    "deltaLoss" DOUBLE PRECISION,
    "klDiv" DOUBLE PRECISION,
    "lossRecovered" DOUBLE PRECISION,
    "deadCount" INTEGER,
    "denseCount" INTEGER,
    "densityHistogram" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Sae_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SaeCurvePoint" (
    "saeId" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "tokens" BIGINT NOT NULL,
    "loss" DOUBLE PRECISION NOT NULL,
    "l0" DOUBLE PRECISION NOT NULL,
    "fvu" DOUBLE PRECISION NOT NULL,
    "mse" DOUBLE PRECISION,
    "lr" DOUBLE PRECISION,
    "lambda" DOUBLE PRECISION,

    CONSTRAINT "SaeCurvePoint_pkey" PRIMARY KEY ("saeId","step")
);

-- CreateTable
CREATE TABLE "Feature" (
    "saeId" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "dead" BOOLEAN NOT NULL,
    "density" DOUBLE PRECISION NOT NULL,
    "maxAct" DOUBLE PRECISION NOT NULL,
    "meanAct" DOUBLE PRECISION NOT NULL,
    "histCounts" INTEGER[],
    "intervalShares" DOUBLE PRECISION[],
    "logitTopIds" INTEGER[],
    "logitTopValues" DOUBLE PRECISION[],
    "logitBottomIds" INTEGER[],
    "logitBottomValues" DOUBLE PRECISION[],
    "logitNormFolded" BOOLEAN NOT NULL DEFAULT false,
    "nearestIndices" INTEGER[],
    "nearestCosines" DOUBLE PRECISION[],

    CONSTRAINT "Feature_pkey" PRIMARY KEY ("saeId","index")
);

-- CreateTable
CREATE TABLE "FeatureExample" (
    "id" BIGSERIAL NOT NULL,
    "saeId" TEXT NOT NULL,
    "featureIndex" INTEGER NOT NULL,
    "kind" "ExampleKind" NOT NULL,
    "rank" INTEGER NOT NULL,
    "interval" INTEGER,
    "contextId" INTEGER NOT NULL,
    "startPos" INTEGER NOT NULL,
    "tokenIds" INTEGER[],
    "acts" DOUBLE PRECISION[],
    "maxAct" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "FeatureExample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FeatureNeighbor" (
    "saeId" TEXT NOT NULL,
    "featureIndex" INTEGER NOT NULL,
    "otherSaeId" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "otherIndex" INTEGER NOT NULL,
    "cosine" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "FeatureNeighbor_pkey" PRIMARY KEY ("saeId","featureIndex","otherSaeId","rank")
);

-- CreateTable
CREATE TABLE "Explanation" (
    "id" TEXT NOT NULL,
    "saeId" TEXT NOT NULL,
    "featureIndex" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "authorId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Explanation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Pipeline" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "spec" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Pipeline_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" TEXT NOT NULL,
    "pipelineId" TEXT NOT NULL,
    "kind" "JobKind" NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "saeId" TEXT,
    "queueJobId" TEXT,
    "payload" JSONB NOT NULL,
    "progress" JSONB,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "workerId" TEXT,
    "heartbeatAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Study" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "StudyStatus" NOT NULL DEFAULT 'DRAFT',
    "seed" INTEGER NOT NULL,
    "settings" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" TIMESTAMP(3),

    CONSTRAINT "Study_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StudySae" (
    "studyId" TEXT NOT NULL,
    "saeId" TEXT NOT NULL,

    CONSTRAINT "StudySae_pkey" PRIMARY KEY ("studyId","saeId")
);

-- CreateTable
CREATE TABLE "StudyRater" (
    "studyId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,

    CONSTRAINT "StudyRater_pkey" PRIMARY KEY ("studyId","userId")
);

-- CreateTable
CREATE TABLE "StudyItem" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "saeId" TEXT NOT NULL,
    "featureIndex" INTEGER NOT NULL,
    "stratum" INTEGER,

    CONSTRAINT "StudyItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Assignment" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "raterId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Assignment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rating" (
    "assignmentId" TEXT NOT NULL,
    "answer" "Answer" NOT NULL,
    "explanation" TEXT,
    "confidence" INTEGER,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Rating_pkey" PRIMARY KEY ("assignmentId")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Model_name_key" ON "Model"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Hook_modelId_name_key" ON "Hook"("modelId", "name");

-- CreateIndex
CREATE INDEX "ActivationDataset_hookId_split_idx" ON "ActivationDataset"("hookId", "split");

-- CreateIndex
CREATE INDEX "Sae_hookId_idx" ON "Sae"("hookId");

-- CreateIndex
CREATE INDEX "Sae_status_idx" ON "Sae"("status");

-- CreateIndex
CREATE INDEX "Feature_saeId_density_idx" ON "Feature"("saeId", "density");

-- CreateIndex
CREATE INDEX "Feature_saeId_maxAct_idx" ON "Feature"("saeId", "maxAct");

-- CreateIndex
CREATE INDEX "FeatureExample_saeId_featureIndex_kind_rank_idx" ON "FeatureExample"("saeId", "featureIndex", "kind", "rank");

-- CreateIndex
CREATE INDEX "Explanation_saeId_featureIndex_idx" ON "Explanation"("saeId", "featureIndex");

-- CreateIndex
CREATE INDEX "Job_pipelineId_idx" ON "Job"("pipelineId");

-- CreateIndex
CREATE INDEX "Job_status_idx" ON "Job"("status");

-- CreateIndex
CREATE UNIQUE INDEX "StudyItem_studyId_saeId_featureIndex_key" ON "StudyItem"("studyId", "saeId", "featureIndex");

-- CreateIndex
CREATE INDEX "Assignment_studyId_raterId_position_idx" ON "Assignment"("studyId", "raterId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "Assignment_itemId_raterId_key" ON "Assignment"("itemId", "raterId");

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_invitedById_fkey" FOREIGN KEY ("invitedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invite" ADD CONSTRAINT "Invite_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Token" ADD CONSTRAINT "Token_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Hook" ADD CONSTRAINT "Hook_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActivationDataset" ADD CONSTRAINT "ActivationDataset_hookId_fkey" FOREIGN KEY ("hookId") REFERENCES "Hook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sae" ADD CONSTRAINT "Sae_hookId_fkey" FOREIGN KEY ("hookId") REFERENCES "Hook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Sae" ADD CONSTRAINT "Sae_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "ActivationDataset"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SaeCurvePoint" ADD CONSTRAINT "SaeCurvePoint_saeId_fkey" FOREIGN KEY ("saeId") REFERENCES "Sae"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Feature" ADD CONSTRAINT "Feature_saeId_fkey" FOREIGN KEY ("saeId") REFERENCES "Sae"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FeatureExample" ADD CONSTRAINT "FeatureExample_saeId_featureIndex_fkey" FOREIGN KEY ("saeId", "featureIndex") REFERENCES "Feature"("saeId", "index") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_pipelineId_fkey" FOREIGN KEY ("pipelineId") REFERENCES "Pipeline"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Job" ADD CONSTRAINT "Job_saeId_fkey" FOREIGN KEY ("saeId") REFERENCES "Sae"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Study" ADD CONSTRAINT "Study_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudySae" ADD CONSTRAINT "StudySae_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudySae" ADD CONSTRAINT "StudySae_saeId_fkey" FOREIGN KEY ("saeId") REFERENCES "Sae"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyRater" ADD CONSTRAINT "StudyRater_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyRater" ADD CONSTRAINT "StudyRater_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyItem" ADD CONSTRAINT "StudyItem_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Assignment" ADD CONSTRAINT "Assignment_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "StudyItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Assignment" ADD CONSTRAINT "Assignment_raterId_fkey" FOREIGN KEY ("raterId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Rating" ADD CONSTRAINT "Rating_assignmentId_fkey" FOREIGN KEY ("assignmentId") REFERENCES "Assignment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

