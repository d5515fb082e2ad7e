export type CallbackServiceName = 'CarrierService' | 'NiddService' | (string & {});

export interface Registration {
  accountName: string;
  name: CallbackServiceName;
  url: string;
  /** Echoed in plain text in every callback body, as ThingSpace does. */
  username: string;
  password: string;
  /** Parsed once: the delivery hot path must not re-parse a URL per callback. */
  origin: string;
  path: string;
}

/** Callback listener registrations per account and service name. */
export class RegistrationStore {
  private readonly byAccount = new Map<string, Map<string, Registration>>();

  register(accountName: string, input: { name: string; url: string; username?: string; password?: string }) {
    const url = new URL(input.url);
    const registration: Registration = {
      accountName,
      name: input.name,
      url: input.url,
      username: input.username ?? '',
      password: input.password ?? '',
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
    };
    let services = this.byAccount.get(accountName);
    if (!services) this.byAccount.set(accountName, (services = new Map()));
    services.set(input.name, registration);
    return registration;
  }

  get(accountName: string, name: string): Registration | undefined {
    return this.byAccount.get(accountName)?.get(name);
  }

  list(accountName: string): Registration[] {
    return [...(this.byAccount.get(accountName)?.values() ?? [])];
  }

  remove(accountName: string, name: string): boolean {
    return this.byAccount.get(accountName)?.delete(name) ?? false;
  }
}
