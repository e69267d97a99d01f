const fastify = require('fastify')({ logger: { level: process.env.LOG_LEVEL || 'info' } });
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

fastify.get('/healthz', async () => ({ ok: true }));

fastify.get('/tickets/:id', async (req) => {
  const { rows } = await pool.query('select * from tickets where id = $1', [req.params.id]);
  return rows[0] || null;
});

fastify.listen({ port: Number(process.env.PORT || 3000), host: '0.0.0.0' });
