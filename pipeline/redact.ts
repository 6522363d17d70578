import { maskUrl } from './db/url.js';

const secrets = new Set<string>();

/** Registers a secret so that `redact` masks it in every message drydock prints or logs. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 3) secrets.add(secret);
}

/** Masks registered secrets and URL passwords. Every message to a terminal or log goes through here. */
export function redact(text: string): string {
  let out = maskUrl(text);
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}
