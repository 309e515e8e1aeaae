import { intentSecretsTarget, resealSecrets, sourceSecretsTarget, type ResealReport, type ResealTarget, type SecretBox } from '@neonops/intents';
import { subscriptionSecretsTarget } from '@neonops/webhooks';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Every kind of sealed value the service stores: intent secrets, webhook signing secrets, source secrets. */
export function resealTargets(keyPrefix: string): ResealTarget[] {
  return [intentSecretsTarget(keyPrefix), subscriptionSecretsTarget(keyPrefix), sourceSecretsTarget(keyPrefix)];
}

export interface ResealDeps {
  redis: Redis;
  keyPrefix: string;
  secretBox: SecretBox;
  logger: Logger;
}

/**
 * Moves every stored secret to the current `SECRETS_KEY` (see `resealSecrets`: one
 * compare-and-set per value, so it is safe to run on any number of workers at once and to
 * cut short). Values no listed key opens are left alone and named by key (never by value).
 */
export async function runReseal(deps: ResealDeps): Promise<ResealReport> {
  const report = await resealSecrets({ redis: deps.redis, secretBox: deps.secretBox, targets: resealTargets(deps.keyPrefix) });
  const { unopenable, ...counts } = report;
  const log = { keyId: deps.secretBox.currentKeyId, ...counts, unopenable: unopenable.length };
  if (unopenable.length > 0) {
    deps.logger.warn({ ...log, keys: unopenable.slice(0, 20) }, 're-seal: some secrets open with no listed key (left as they are)');
  } else if (report.resealed > 0) deps.logger.info(log, 're-seal: secrets moved to the current key');
  else deps.logger.debug(log, 're-seal: every secret already sealed with the current key');
  return report;
}
