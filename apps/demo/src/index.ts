export { runDemo, type DemoOptions } from './demo.js';
export { loadDemoConfig, demoConfigSchema, type DemoConfig } from './config.js';
export { startVerifyingReceiver, type VerifiedWebhook, type VerifyingReceiver } from './receiver.js';
export { runPreviewDemo } from './preview-demo.js';
