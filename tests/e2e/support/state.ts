/** What global setup hands to the specs and to teardown (a small JSON file). */
import fs from "node:fs";
import path from "node:path";

export interface E2eState {
  databaseName: string;
  databaseUrl: string;
  serverPid: number;
  baseUrl: string;
}

const file = path.join(process.cwd(), ".e2e", "state.json");

export function writeState(state: E2eState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(state));
}

export function readState(): E2eState {
  return JSON.parse(fs.readFileSync(file, "utf8")) as E2eState;
}
