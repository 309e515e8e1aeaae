// The team directory moved to @neonops/teams (the worker reads it too); this path stays for the API's imports.
export { TeamDirectory } from '@neonops/teams';
