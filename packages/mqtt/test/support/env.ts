// What most MQTT test files share: a mosquitto (users optional) and a cluster of a driver
// and 2 worker processes, started once for the file before its tests and stopped after.
import { after, before } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { startCluster } from '../job-runner.js';
import { Mosquitto } from './mosquitto.js';

export interface MqttEnv {
  broker: Mosquitto;
  cluster: LocalCluster;
}

export function useBrokerAndCluster(users?: Readonly<Record<string, string>>): MqttEnv {
  const env = {} as MqttEnv;
  before(async () => {
    env.broker = new Mosquitto(users);
    await env.broker.start();
    env.cluster = await startCluster(2);
  });
  after(async () => {
    await env.cluster?.stop();
    await env.broker?.dispose();
  });
  return env;
}
