export { app, buildApp, type AppOptions, type BuildAppOptions } from './app.js';
export { startApi, type RunningApi } from './main.js';
export { createServer, type CreateServerOverrides } from './server.js';
export { apiConfigSchema, loadConfig, ConfigError, type ApiConfig } from './config.js';
export { TeamDirectory } from './teams/team-directory.js';
export { createDemoTeam, withTeams } from './teams/demo.js';
export {
  teamSchema,
  teamsFileSchema,
  hashToken,
  generateToken,
  loadTeamsFile,
  loadTeamsFileOrEmpty,
  parseTeamsFile,
  saveTeamsFile,
  addTokenToTeams,
  type Team,
  type TeamsFile,
} from './teams/teams-file.js';
export { createLogger, loggerOptions, redactPaths } from './logger.js';
export * from './errors.js';
