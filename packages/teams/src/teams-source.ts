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
}

/**
 * The teams file as it is now: re-read when its modification time changes (looked at most
 * every `recheckMs`), so a process that checks a team's rights at each run (the worker's
 * schedules) sees a token, project or admin right removed without a restart. A changed file
 * that is invalid is reported and ignored: the last valid teams stay in force. The first read
 * must succeed (`load` throws `TeamsFileError`).
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
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: -1 }));
    source.teams = (await loadTeamsFile(path)).teams;
    source.mtimeMs = mtimeMs;
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
      this.options.onError?.(error);
    }
    return this.teams;
  }
}
