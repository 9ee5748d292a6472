import type { Metadata } from "next";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listAuditEvents, listPendingInvites, listUsers } from "@/lib/db/users";
import { InviteForm } from "@/app/admin/users/invite-form";
import { RevokeInvite, UserActions } from "@/app/admin/users/user-actions";
import { TableHead } from "@/app/_components/table-head";

export const metadata: Metadata = { title: "Users" };
export const dynamic = "force-dynamic";

const ACTION_WORDS = {
  INVITE_CREATE: "invited",
  INVITE_REVOKE: "revoked the invitation of",
  USER_DISABLE: "disabled",
  USER_ENABLE: "enabled",
  SESSIONS_END: "ended the sessions of",
  PASSWORD_RESET: "reset the password of",
} as const;

const when = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ") + " UTC";

export default async function UsersPage() {
  const me = await guardPage("/admin/users");
  const [users, invites, events] = await Promise.all([listUsers(db()), listPendingInvites(db()), listAuditEvents(db())]);
  const cell = "px-4 py-2";
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Users</h1>
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="font-semibold">Invite a rater or viewer</h2>
        <InviteForm />
      </section>
      <table className="w-full rounded-lg border border-slate-200 bg-white text-sm" data-testid="users">
        <TableHead columns={["Name", "Email", "Role", "Status", "Sessions", "Actions"]} cell="px-4 py-2" />
        <tbody>
          {users.map((u) => (
            <tr key={u.id} className="border-t border-slate-100" data-testid={`user-${u.email}`}>
              <td className={cell}>{u.name}</td>
              <td className={cell}>{u.email}</td>
              <td className={cell}>{u.role.toLowerCase()}</td>
              <td className={cell}>{u.disabled ? "disabled" : "active"}</td>
              <td className={cell}>{u.activeSessions}</td>
              <td className={cell}>
                <UserActions user={{ id: u.id, email: u.email, disabled: u.disabled }} self={u.id === me.id} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="font-semibold">Pending invitations</h2>
        {invites.length === 0 ? (
          <p className="mt-2 text-sm text-slate-500">None.</p>
        ) : (
          <table className="mt-2 w-full text-sm" data-testid="invites">
            <TableHead columns={["Email", "Role", "Invited by", "Expires", ""]} cell="px-4 py-2" />
            <tbody>
              {invites.map((i) => (
                <tr key={i.id} className="border-t border-slate-100">
                  <td className={cell}>{i.email}</td>
                  <td className={cell}>{i.role.toLowerCase()}</td>
                  <td className={cell}>{i.createdBy.email}</td>
                  <td className={cell}>{when(i.expiresAt)}</td>
                  <td className={cell}>
                    <RevokeInvite inviteId={i.id} email={i.email} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="font-semibold">Audit trail</h2>
        <p className="text-sm text-slate-500">Who did what to which account, newest first (the last 100).</p>
        <table className="mt-2 w-full text-sm" data-testid="audit">
          <TableHead columns={["When", "Who", "What"]} cell="px-4 py-2" />
          <tbody>
            {events.map((e) => (
              <tr key={e.id} className="border-t border-slate-100">
                <td className={cell}>{when(e.at)}</td>
                <td className={cell}>{e.actor.email}</td>
                <td className={cell}>
                  {ACTION_WORDS[e.action]} {e.targetEmail}
                  {e.detail ? ` (${e.detail})` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
