/** Writes a file atomically (temp file in the same folder, fsync, rename) so readers never see half a file. */
import { promises as fs } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";

/** `data` is the whole content, or a function that writes it in order through the handle (large files). */
export async function writeFileAtomic(file: string, data: Uint8Array | string | ((fh: FileHandle) => Promise<void>)): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await fs.open(tmp, "w");
  try {
    if (typeof data === "function") await data(handle);
    else await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  await fs.rename(tmp, file);
}
