// The teams file moved to @neonops/teams (the worker reads it too); this path stays for the API's imports.
export {
  addTokenToTeams,
  generateToken,
  hashToken,
  loadTeamsFile,
  loadTeamsFileOrEmpty,
  parseTeamsFile,
  saveTeamsFile,
  teamSchema,
  teamsFileSchema,
  TeamsFileError,
  type Team,
  type TeamInput,
  type TeamsFile,
} from '@neonops/teams';
