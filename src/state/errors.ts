/**
 * State directory errors. A damaged state is never repaired by regenerating: a new CA would
 * break every node already running with the old one, so each error names the exact file.
 */

export class StateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateError';
  }
}

export type StateFileProblem = 'missing' | 'unreadable' | 'invalid';

/** A file of an existing state directory is missing, unreadable, or does not parse or match. */
export class StateFileError extends StateError {
  /** Path relative to the state directory, e.g. `etcd/ca.key`. */
  readonly file: string;
  /** Absolute path of that file. */
  readonly path: string;
  readonly problem: StateFileProblem;
  /** Every missing file when problem is 'missing' (file is the first of them). */
  readonly files: readonly string[];

  constructor(opts: {
    file: string;
    path: string;
    problem: StateFileProblem;
    detail: string;
    files?: readonly string[];
    cause?: unknown;
  }) {
    super(`state file ${opts.path}: ${opts.detail}`, { cause: opts.cause });
    this.name = 'StateFileError';
    this.file = opts.file;
    this.path = opts.path;
    this.problem = opts.problem;
    this.files = opts.files ?? [opts.file];
  }
}

/** writeState refuses to touch a directory that already exists. */
export class StateExistsError extends StateError {
  readonly dir: string;
  constructor(dir: string, options?: { cause?: unknown }) {
    super(`state directory ${dir} already exists; existing state is never overwritten`, options);
    this.name = 'StateExistsError';
    this.dir = dir;
  }
}
