/**
 * The simulator's record, read over its admin HTTP API: in the cluster the simulator is a process of its own.
 */
import type { DeliveryStats, DeviceTruth, SubmissionReport } from '../../src/simulator/index.js';

export class SimulatorAdminClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  private async call<T>(path: string, method = 'GET'): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) throw new Error(`${method} /admin${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Waits until the simulator has sent every callback it owes; throws when that takes over `timeoutMs`. */
  async settled(timeoutMs = 120_000): Promise<void> {
    const { settled } = await this.call<{ settled: boolean }>(`/settled?timeoutMs=${timeoutMs}`, 'POST');
    if (!settled) throw new Error(`the simulator still had callbacks to send after ${timeoutMs} ms`);
  }

  async devices(): Promise<DeviceTruth[]> {
    return (await this.call<{ devices: DeviceTruth[] }>('/devices')).devices;
  }

  submissions(): Promise<SubmissionReport> {
    return this.call('/submissions');
  }

  callbackStats(): Promise<DeliveryStats> {
    return this.call('/callbacks');
  }
}
