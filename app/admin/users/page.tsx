import type { Metadata } from "next";
import { guardPage } from "@/app/_server/guard";
import { db } from "@/lib/db/client";
import { listUsers } from "@/lib/db/users";
import { InviteForm } from "@/app/admin/users/invite-form";

export const metadata: Metadata = { title: "Users" };
export const dynamic = "force-dynamic";

export default async function UsersPage() {
  await guardPage("/admin/users");
  const users = await listUsers(db());
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Users</h1>
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 className="font-semibold">Invite a rater or viewer</h2>
        <InviteForm />
      </section>
      <table className="w-full rounded-lg border border-slate-200 bg-white text-sm">
        <thead className="text-left text-slate-500">
          <tr>
            <th className="px-4 py-2 font-medium">Name</th>
            <th className="px-4 py-2 font-medium">Email</th>
            <th className="px-4 py-2 font-medium">Role</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} className="border-t border-slate-100">
              <td className="px-4 py-2">{u.name}</td>
              <td className="px-4 py-2">{u.email}</td>
              <td className="px-4 py-2">{u.role.toLowerCase()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
