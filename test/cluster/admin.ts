/**
 * The simulator's record, read over its admin HTTP API: in the cluster the simulator is a process of its own.
 */
import type { DeliveryStats, DeviceTruth, SubmissionReport } from '../../src/simulator/index.js';

export class SimulatorAdminClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  private async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw new Error(`GET /admin${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async devices(): Promise<DeviceTruth[]> {
    return (await this.get<{ devices: DeviceTruth[] }>('/devices')).devices;
  }

  submissions(): Promise<SubmissionReport> {
    return this.get('/submissions');
  }

  callbackStats(): Promise<DeliveryStats> {
    return this.get('/callbacks');
  }
}
