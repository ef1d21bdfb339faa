// Patterns of secrets that an SDK error message could carry (a connection string, a SAS, a bearer token).
const SECRETS: [RegExp, string][] = [
  [/(AccountKey|SharedAccessSignature|SharedAccessKey)\s*=\s*[^;\s"']+/gi, '$1=[redacted]'],
  [/([?&]sig=)[^&\s"']+/gi, '$1[redacted]'],
  [/(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g, '$1[redacted]'],
  [/("?(?:access_token|refresh_token|client_secret)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1[redacted]'],
  [/(x-identity-header"?\s*[:=]\s*"?)[^"\s,}]+/gi, '$1[redacted]'],
];

/** `message` with any secret-looking value replaced, for logs and responses. */
export function redact(message: string): string {
  return SECRETS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
}
