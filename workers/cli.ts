#!/usr/bin/env -S npx tsx
/**
 * The `featurelab` command line. Every command fails with one line that says
 * what is wrong and what to do, and a non-zero exit.
 */
import { Command } from "commander";
import { ConfigError, config } from "@/lib/config";
import { DatabaseSetupError } from "@/lib/db/connection";
import { runDemo, runServe } from "@/workers/launch";
import { prepareDatabase } from "@/lib/db/setup";
import { runWorkerProcess } from "@/workers/process";
import { enqueueCommand, modelHooksCommand, modelRegisterCommand, resetPasswordCommand } from "@/workers/commands";
import { saeConvertCommand } from "@/workers/sae-convert";

const program = new Command("featurelab")
  .description("Featurelab: JumpReLU SAEs, feature dashboards and rating studies")
  .showHelpAfterError();

program
  .command("demo")
  .description("start the database (embedded unless DATABASE_URL is set), the web app and a worker, and run the demo pipeline")
  .action(async () => runDemo(config()));

program
  .command("serve")
  .description("start the web app (and the embedded database when DATABASE_URL is unset)")
  .option("--no-worker", "do not start a worker beside the app")
  .action(async (opts: { worker: boolean }) => runServe(config(), { worker: opts.worker }));

const dbCommand = program.command("db").description("database tasks");
dbCommand
  .command("migrate")
  .description("apply the committed migrations (prisma/migrations)")
  .action(async () => {
    const prepared = await prepareDatabase(config(), { migrate: true });
    console.log(`Migrations applied to ${prepared.embedded ? "the embedded database" : "DATABASE_URL"}.`);
    await prepared.host?.stop();
  });

program
  .command("worker")
  .description("run jobs from the queue until SIGTERM (any number of workers may share one database)")
  .action(async () => runWorkerProcess(config()));

program
  .command("enqueue")
  .argument("<spec>", "pipeline spec, YAML or JSON (see docs/worker.md)")
  .description("validate a pipeline spec and enqueue its jobs")
  .action(async (spec: string) => enqueueCommand(config(), spec));

const modelCommand = program.command("model").description("language model tasks");
modelCommand
  .command("hooks")
  .argument("<model>", '"bundled" or a folder with model.onnx and tokenizer.json')
  .description("list a model's hook points with their shapes")
  .action(async (model: string) => modelHooksCommand(model));
modelCommand
  .command("register")
  .argument("<model>", '"bundled" or a folder with model.onnx and tokenizer.json')
  .description("register a model folder in the catalogue (its hooks are then offered by the app's new-pipeline form)")
  .action(async (model: string) => modelRegisterCommand(config(), model));

program
  .command("sae")
  .description("SAE files")
  .command("convert")
  .argument("<path>", "a Gemma Scope params.npz or a SAELens folder")
  .requiredOption("--format <format>", '"gemma-scope" or "saelens"')
  .option("--out <dir>", "write the SAE in Featurelab's saved form (a SAELens folder) here")
  .option("--json", "print the report as one JSON line")
  .description("read an SAE as the IMPORT job does (progress, time, peak memory), and optionally save it")
  .action(async (file: string, opts: { format: string; out?: string; json?: boolean }) => {
    if (opts.format !== "gemma-scope" && opts.format !== "saelens")
      throw new ConfigError(`--format must be "gemma-scope" or "saelens", got "${opts.format}"`);
    await saeConvertCommand(file, { format: opts.format, out: opts.out, json: opts.json });
  });

program
  .command("admin")
  .description("account tasks")
  .command("reset-password")
  .argument("[email]", "the admin's email (needed when there are several)")
  .description("give an admin a new random password (printed once) and end its sessions")
  .action(async (email?: string) => resetPasswordCommand(config(), email));

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DatabaseSetupError || (error as Error).name?.endsWith("Error")) {
      const known = error instanceof ConfigError || error instanceof DatabaseSetupError;
      console.error(`featurelab: ${(error as Error).message}`);
      if (!known && process.env.FEATURELAB_DEBUG) console.error(error);
    } else {
      console.error(`featurelab: ${String(error)}`);
    }
    process.exit(1);
  }
}

await main(process.argv);
