"use client";
/** A form's submit handling (login, accepting an invitation, inviting, designing a study): one place for the form data, the error and the sent state. */
import { useState, type FormEvent } from "react";

/**
 * Runs `action` on the form's data when it is submitted. `error` is the
 * failed action's message (cleared on the next submit); `sent` is true from
 * the submit until the action fails, since a successful one leaves the form
 * behind (it navigates or shows its result), so a button disabled by it
 * cannot send twice.
 */
export function useFormSubmit(action: (form: FormData) => Promise<void>) {
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setSent(true);
    setError(null);
    try {
      await action(form);
    } catch (e) {
      setError((e as Error).message);
      setSent(false);
    }
  }
  return { error, sent, onSubmit };
}
