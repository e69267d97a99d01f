const { Worker } = require("bullmq");
const queues = require("/etc/notify-worker/queues.json");

for (const q of queues) {
  new Worker(q.name, async (job) => job.data, {
    connection: { host: process.env.REDIS_HOST, port: Number(process.env.REDIS_PORT) },
    concurrency: Number(process.env.WORKER_CONCURRENCY || 4),
  });
}
