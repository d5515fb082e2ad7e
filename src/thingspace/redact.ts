const REDACTED = '[redacted]';

/**
 * Removes known secret values (and the encodings they travel in) from text that may end up in an error message
 * or a log line, such as a server's echo of the request. The client registers every secret it holds or obtains.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(...values: ReadonlyArray<string | undefined>): void {
    for (const value of values) {
      // Very short values would shred ordinary text; no real credential or token is that short.
      if (value === undefined || value.length < 4) continue;
      this.secrets.add(value);
      this.secrets.add(encodeURIComponent(value));
      this.secrets.add(JSON.stringify(value).slice(1, -1));
    }
  }

  redact(text: string): string {
    let out = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /** A one-line, length-capped, redacted piece of a response body, safe to show. */
  excerpt(text: string, max = 160): string {
    const printable = Array.from(text, (c) => (c < ' ' || c === '\u007f' ? ' ' : c)).join('');
    const flat = this.redact(printable.replace(/\s+/g, ' ').trim());
    return flat.length > max ? `${flat.slice(0, max)}…` : flat;
  }
}
