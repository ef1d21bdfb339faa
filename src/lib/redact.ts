// Patterns of secrets that an SDK error message could carry (a connection string, a SAS, a bearer token).
const SECRETS: [RegExp, string][] = [
  [/(AccountKey|SharedAccessSignature|SharedAccessKey)\s*=\s*[^;\s"']+/gi, '$1=[redacted]'],
  [/([?&]sig=)[^&\s"']+/gi, '$1[redacted]'],
  [/(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g, '$1[redacted]'],
  [/("?(?:access_token|refresh_token|client_secret)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1[redacted]'],
  [/(x-identity-header"?\s*[:=]\s*"?)[^"\s,}]+/gi, '$1[redacted]'],
];

// Secrets known by value (the client state): they have no pattern to recognise them by.
const knownSecrets = new Set<string>();

/** From now on, `redact` replaces `value` wherever it appears. */
export function treatAsSecret(value: string): void {
  if (value !== '') knownSecrets.add(value);
}

/** `message` with any secret-looking value replaced, for logs and responses. */
export function redact(message: string): string {
  let text = SECRETS.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), message);
  for (const secret of knownSecrets) text = text.split(secret).join('[redacted]');
  return text;
}
