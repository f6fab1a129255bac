export { MQTTUtils } from './mqtt-utils.js';
export { MQTTReceiver } from './mqtt-receiver.js';
export type { MQTTStreamOptions } from './mqtt-options.js';
