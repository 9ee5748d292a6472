/** Whether this request is the snapshot warmer rendering a dashboard as a viewer sees it (lib/snapshots). */
import { headers } from "next/headers";
import { SNAPSHOT_RENDER_HEADER, SNAPSHOT_SECRET_ENV } from "@/lib/snapshots/protocol";
import { constantTimeEqual } from "@/lib/auth/tokens";

export async function isSnapshotRender(): Promise<boolean> {
  const secret = process.env[SNAPSHOT_SECRET_ENV];
  const sent = (await headers()).get(SNAPSHOT_RENDER_HEADER);
  return Boolean(secret && sent && constantTimeEqual(sent, secret));
}
