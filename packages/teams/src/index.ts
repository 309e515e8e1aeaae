export * from './teams-file.js';
export * from './team-directory.js';
