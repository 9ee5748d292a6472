"use client";
/**
 * Running an admin action from a button: asks first when given a question,
 * posts the body, refreshes the page's server data, and keeps `busy` (to
 * disable the buttons meanwhile) and the error to show.
 */
import { useRouter } from "next/navigation";
import { useState } from "react";
import { api } from "@/app/_components/api-client";

export function useAdminAction() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The action's result; undefined when the question was declined or the action failed (then `error` says why). */
  async function run<T>(path: string, body: unknown, question?: string): Promise<T | undefined> {
    if (question && !window.confirm(question)) return undefined;
    setBusy(true);
    setError(null);
    try {
      const result = await api<T>(path, { body });
      router.refresh();
      return result;
    } catch (e) {
      setError((e as Error).message);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { run, busy, error };
}
