import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TeamsFileError } from './teams-file.js';
import { TeamsFileSource } from './teams-source.js';

async function file(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'teams-source-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'teams.yaml');
  await writeFile(path, text);
  return path;
}

describe('TeamsFileSource', () => {
  it('follows the file: a change is seen after recheckMs, an invalid change is reported and ignored', async () => {
    const path = await file('teams:\n  - id: a\n    admin: true\n');
    let now = 0;
    const errors: unknown[] = [];
    const source = await TeamsFileSource.load(path, { recheckMs: 1000, now: () => now, onError: (e) => errors.push(e) });
    expect((await source.list()).map((t) => [t.id, t.admin])).toEqual([['a', true]]);

    await writeFile(path, 'teams:\n  - id: a\n');
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    expect((await source.list())[0]?.admin).toBe(true); // within recheckMs: the same read
    now = 1000;
    expect((await source.list())[0]?.admin).toBe(false);

    await writeFile(path, 'teams: [');
    await utimes(path, new Date(), new Date(Date.now() + 10_000));
    now = 2000;
    expect((await source.list()).map((t) => t.id)).toEqual(['a']);
    expect(errors[0]).toBeInstanceOf(TeamsFileError);
  });

  it('with missingOk, a missing file is no teams until it appears, and its removal is no teams again', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'teams-source-')), 'teams.yaml');
    onTestFinished(() => rm(path, { force: true }));
    let now = 0;
    const source = await TeamsFileSource.load(path, { missingOk: true, recheckMs: 10, now: () => now });
    expect(await source.list()).toEqual([]);
    await writeFile(path, 'teams:\n  - id: a\n');
    now = 10;
    expect((await source.list()).map((t) => t.id)).toEqual(['a']);
    await rm(path);
    now = 20;
    expect(await source.list()).toEqual([]);
  });

  it('fails at load on a missing or invalid file', async () => {
    await expect(TeamsFileSource.load(join(tmpdir(), 'no-such-teams.yaml'))).rejects.toBeInstanceOf(TeamsFileError);
    await expect(TeamsFileSource.load(await file('teams:\n  - id: Bad Id\n'))).rejects.toBeInstanceOf(TeamsFileError);
  });
});
