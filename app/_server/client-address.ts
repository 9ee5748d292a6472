/** The requesting client's address for rate limits (lib/auth/client-address, with the configured trusted proxies). */
import type { NextRequest } from "next/server";
import { config } from "@/lib/config";
import { clientAddress } from "@/lib/auth/client-address";

export function requestAddress(request: NextRequest): string {
  return clientAddress(request.headers, config().FEATURELAB_TRUSTED_PROXIES);
}
