/** The accounts every e2e run seeds. */
export const E2E_PASSWORD = "correct-horse-battery";

export const E2E_USERS = {
  admin: { email: "admin@test.local", name: "Ada Admin", role: "ADMIN" },
  rater: { email: "rater@test.local", name: "Rita Rater", role: "RATER" },
  rater2: { email: "rater2@test.local", name: "Ravi Rater", role: "RATER" },
  viewer: { email: "viewer@test.local", name: "Vera Viewer", role: "VIEWER" },
  viewer2: { email: "viewer2@test.local", name: "Victor Viewer", role: "VIEWER" },
  // for tests/e2e/hardening.spec.ts only: rates in its own study; disabled, signed out and reset by its admin test
  rater3: { email: "rater3@test.local", name: "Rory Rater", role: "RATER" },
  target: { email: "target@test.local", name: "Terry Target", role: "VIEWER" },
} as const;

export type E2eUser = keyof typeof E2E_USERS;
