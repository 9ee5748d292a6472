/**
 * Errors a user can act on: each names the file (or hook, or corpus) and says
 * what is wrong and what to do.
 */
export class LanguageModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The file is not an ONNX causal LM we can run (corrupt, wrong inputs/outputs, no residual stream). */
export class ModelFileError extends LanguageModelError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export class TokenizerFileError extends LanguageModelError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** The tokenizer's ids do not fit the model's vocabulary (the wrong tokenizer.json for this model). */
export class TokenizerMismatchError extends LanguageModelError {
  constructor(
    readonly tokenizerFile: string,
    readonly modelFile: string,
    readonly tokenizerSize: number,
    readonly modelVocab: number,
  ) {
    super(
      `${tokenizerFile}: tokenizer has ${tokenizerSize} tokens but ${modelFile} predicts ${modelVocab}; ` +
        `this is not the tokenizer the model was trained with (use the tokenizer.json exported next to the model)`,
    );
  }
}

export class UnknownHookError extends LanguageModelError {
  constructor(
    readonly hook: string,
    readonly modelFile: string,
    readonly available: string[],
  ) {
    const shown = available.slice(0, 6).join(", ") + (available.length > 6 ? `, ... (${available.length} in all)` : "");
    super(`unknown hook "${hook}" for ${modelFile}; hooks are named blocks.{layer}.hook_{resid_post|attn_out|mlp_out}: ${shown}`);
  }
}

export class EmptyCorpusError extends LanguageModelError {
  constructor(
    readonly corpus: string,
    readonly problem: string,
  ) {
    super(`${corpus}: ${problem}`);
  }
}
