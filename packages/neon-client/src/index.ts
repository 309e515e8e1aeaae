export type { paths, components, operations } from './generated/neon-api.js';
