-- Feature dashboards rendered once and served to viewers without rendering (issue 6's speed target).
ALTER TABLE "Sae" ADD COLUMN "dashboardEpoch" INTEGER NOT NULL DEFAULT 0;

CREATE TABLE "DashboardSnapshot" (
    "saeId" TEXT NOT NULL,
    "featureIndex" INTEGER NOT NULL,
    "buildId" TEXT NOT NULL,
    "html" BYTEA NOT NULL,
    "renderedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DashboardSnapshot_pkey" PRIMARY KEY ("saeId","featureIndex")
);

ALTER TABLE "DashboardSnapshot" ADD CONSTRAINT "DashboardSnapshot_saeId_fkey" FOREIGN KEY ("saeId") REFERENCES "Sae"("id") ON DELETE CASCADE ON UPDATE CASCADE;
