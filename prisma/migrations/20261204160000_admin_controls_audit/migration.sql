-- Session CSRF tokens are derived from the session token (lib/auth/csrf), so the stored column, never read, goes.
ALTER TABLE "Session" DROP COLUMN "csrfToken";

-- Admins may revoke an invitation before it is used.
ALTER TABLE "Invite" ADD COLUMN "revokedAt" TIMESTAMP(3);

-- CreateEnum
CREATE TYPE "AuditAction" AS ENUM ('INVITE_CREATE', 'INVITE_REVOKE', 'USER_DISABLE', 'USER_ENABLE', 'SESSIONS_END', 'PASSWORD_RESET');

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT NOT NULL,
    "action" "AuditAction" NOT NULL,
    "targetUserId" TEXT,
    "targetEmail" TEXT NOT NULL,
    "detail" TEXT,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_targetUserId_fkey" FOREIGN KEY ("targetUserId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
