import { Rng, deriveSeed } from './rng.js';

const ADJECTIVES = [
  'aged', 'ancient', 'autumn', 'billowing', 'bitter', 'black', 'blue', 'bold', 'broad', 'broken', 'calm', 'cold',
  'cool', 'crimson', 'curly', 'damp', 'dark', 'dawn', 'delicate', 'divine', 'dry', 'empty', 'falling', 'fancy',
  'flat', 'floral', 'fragrant', 'frosty', 'gentle', 'green', 'hidden', 'holy', 'icy', 'jolly', 'late', 'lingering',
  'little', 'lively', 'long', 'lucky', 'misty', 'morning', 'muddy', 'nameless', 'noisy', 'odd', 'old', 'orange',
  'patient', 'plain', 'polished', 'proud', 'purple', 'quiet', 'rapid', 'raspy', 'red', 'restless', 'rough', 'round',
  'royal', 'shiny', 'shrill', 'shy', 'silent', 'small', 'snowy', 'soft', 'solitary', 'sparkling', 'spring', 'square',
  'steep', 'still', 'summer', 'super', 'sweet', 'throbbing', 'tight', 'tiny', 'twilight', 'wandering', 'weathered',
  'white', 'wild', 'winter', 'wispy', 'withered', 'yellow', 'young',
] as const;

const NOUNS = [
  'art', 'band', 'bar', 'base', 'bird', 'block', 'boat', 'bonus', 'bread', 'breeze', 'brook', 'bush', 'butterfly',
  'cake', 'cell', 'cherry', 'cloud', 'credit', 'darkness', 'dew', 'disk', 'dream', 'dust', 'feather', 'field', 'fire',
  'firefly', 'flower', 'fog', 'forest', 'frog', 'frost', 'glade', 'glitter', 'grass', 'hall', 'hat', 'haze', 'heart',
  'hill', 'king', 'lab', 'lake', 'leaf', 'limit', 'math', 'meadow', 'mode', 'moon', 'morning', 'mountain', 'mouse',
  'mud', 'night', 'paper', 'pine', 'poetry', 'pond', 'queen', 'rain', 'recipe', 'resonance', 'rice', 'river', 'salad',
  'scene', 'sea', 'shadow', 'shape', 'silence', 'sky', 'smoke', 'snow', 'snowflake', 'sound', 'star', 'sun', 'sunset',
  'surf', 'term', 'thunder', 'tooth', 'tree', 'truth', 'union', 'unit', 'violet', 'voice', 'water', 'waterfall',
  'wave', 'wildflower', 'wind', 'wood',
] as const;

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Makes ids shaped like Neon's, deterministic under a seed:
 * project `adjective-noun-12345678`, branch `br-adjective-noun-a1b2c3d4`,
 * endpoint `ep-adjective-noun-a1b2c3d4`, numeric ids for databases, roles and API keys.
 */
export class IdFactory {
  private readonly ids: Rng;
  private readonly secrets: Rng;
  private readonly requests: Rng;
  private nextNumeric = 1_000_001;

  constructor(seed: number) {
    this.ids = new Rng(deriveSeed(seed, 1));
    this.secrets = new Rng(deriveSeed(seed, 2));
    this.requests = new Rng(deriveSeed(seed, 3));
  }

  private words(): string {
    return `${this.ids.pick(ADJECTIVES)}-${this.ids.pick(NOUNS)}`;
  }

  projectId(): string {
    return `${this.words()}-${this.ids.chars(8, '0123456789')}`;
  }

  branchId(): string {
    return `br-${this.words()}-${this.ids.chars(8, LOWER_ALNUM)}`;
  }

  endpointId(): string {
    return `ep-${this.words()}-${this.ids.chars(8, LOWER_ALNUM)}`;
  }

  operationId(): string {
    return this.ids.uuid();
  }

  numeric(): number {
    return this.nextNumeric++;
  }

  /** A role password shaped like Neon's current ones (`npg_…`). */
  password(): string {
    return `npg_${this.secrets.chars(12, ALNUM)}`;
  }

  /** An API key token (shown once, on creation). */
  apiKeyToken(): string {
    return this.secrets.chars(64, LOWER_ALNUM);
  }

  requestId(): string {
    return this.requests.uuid();
  }

  userId(): string {
    return this.secrets.uuid();
  }
}
