/**
 * One rule for credentials in URL settings (issue 10: `config show` printed `embedding.url` credentials, and
 * `embedding.url`/`redis.url` passwords were accepted from a settings file, unlike `database.url`). Every key
 * whose last segment ends in `url` (`database.url`, `redis.url`, `embedding.url`, `summaries.llm.baseUrl`, …):
 * a password in the URL (`scheme://user:password@host`, or `scheme://:password@host` as Redis spells it) is
 * accepted from the environment only, and is shown as `***` by `config show`.
 */
export function isUrlKey(key: string): boolean {
  return /url$/i.test(key.split('.').pop() ?? '');
}

const PASSWORD = /^([a-z][\w+.-]*:\/\/[^:/?#@]*:)[^/?#]*@/i;

export function urlHasPassword(value: unknown): boolean {
  return typeof value === 'string' && PASSWORD.test(value);
}

/** The URL with its password (if any) replaced by `***`; the user name and the rest stay readable. */
export function redactUrlPassword(value: string): string {
  return value.replace(PASSWORD, '$1***@');
}
