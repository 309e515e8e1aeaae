export * from './teams-file.js';
export * from './team-directory.js';
export * from './teams-source.js';
export * from './managed-teams-source.js';
