import { stat } from 'node:fs/promises';
import { loadTeamsFile, type Team } from './teams-file.js';

/** Where a process reads the current teams from. */
export interface TeamsSource {
  /** The teams now. */
  list(): Promise<readonly Team[]>;
}

/** A fixed list of teams (tests, `pnpm start`'s demo team). */
export function staticTeams(teams: readonly Team[]): TeamsSource {
  return { list: async () => teams };
}

export interface TeamsFileSourceOptions {
  /** How long a read is reused before the file's modification time is looked at again, in ms. Default 2000. */
  recheckMs?: number;
  /** Told when a changed file cannot be read or is invalid (the previous teams stay in force). */
  onError?: (error: unknown) => void;
  /** Clock. Default `Date.now`. */
  now?: () => number;
  /** A missing file is no teams (until it appears) instead of an error. Default false. */
  missingOk?: boolean;
}

const isMissing = (error: unknown): boolean => typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';

/**
 * The teams file as it is now: re-read when its modification time changes (looked at most
 * every `recheckMs`), so a process that checks a team's rights at each run (the worker's
 * schedules) sees a token, project or admin right removed without a restart. A changed file
 * that is invalid is reported and ignored: the last valid teams stay in force. The first read
 * must succeed (`load` throws `TeamsFileError`), except a missing file with `missingOk`.
 */
export class TeamsFileSource implements TeamsSource {
  private teams: readonly Team[] = [];
  private mtimeMs = -1;
  private checkedAt = -Infinity;
  private reading: Promise<readonly Team[]> | undefined;

  private constructor(
    private readonly path: string,
    private readonly options: TeamsFileSourceOptions,
  ) {}

  /** Reads the file once (failing on a missing or invalid file) and returns a source that follows it. */
  static async load(path: string, options: TeamsFileSourceOptions = {}): Promise<TeamsFileSource> {
    const source = new TeamsFileSource(path, options);
    const stats = await stat(path).catch((error: unknown) => {
      if (options.missingOk && isMissing(error)) return undefined;
      return { mtimeMs: -1 };
    });
    if (stats === undefined) {
      source.checkedAt = source.clock();
      return source;
    }
    source.teams = (await loadTeamsFile(path)).teams;
    source.mtimeMs = stats.mtimeMs;
    source.checkedAt = source.clock();
    return source;
  }

  private clock(): number {
    return (this.options.now ?? Date.now)();
  }

  async list(): Promise<readonly Team[]> {
    if (this.clock() - this.checkedAt < (this.options.recheckMs ?? 2000)) return this.teams;
    this.reading ??= this.reread().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async reread(): Promise<readonly Team[]> {
    this.checkedAt = this.clock();
    try {
      const { mtimeMs } = await stat(this.path);
      if (mtimeMs !== this.mtimeMs) {
        this.teams = (await loadTeamsFile(this.path)).teams;
        this.mtimeMs = mtimeMs;
      }
    } catch (error) {
      if (this.options.missingOk && isMissing(error)) {
        this.teams = [];
        this.mtimeMs = -1;
      } else {
        this.options.onError?.(error);
      }
    }
    return this.teams;
  }
}
