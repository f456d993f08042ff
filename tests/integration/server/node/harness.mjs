// Starts `plexus serve ... --port 0` and resolves to {port, stop()} once /health answers 200.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function startServer(plexus, args) {
  const child = spawn(plexus, ['serve', ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 30 s; stderr:\n${stderr}`)), 30000);
    child.on('exit', (code) => reject(new Error(`plexus serve exited with ${code}; stderr:\n${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on http:\/\/[^:]+:(\d+)$/.exec(line);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
  });
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.status === 200) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    stderr: () => stderr,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.on('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    }),
  };
}

// Runs named async checks in order, printing one line each; exits 1 if any failed.
export async function runChecks(checks, cleanup) {
  let failed = 0;
  for (const [name, fn] of checks) {
    try {
      await fn();
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    }
  }
  await cleanup();
  console.log(`${checks.length - failed}/${checks.length} checks passed`);
  process.exit(failed === 0 ? 0 : 1);
}

// Validates `value` against the JSON Schema subset the tests use (type, properties, required,
// additionalProperties: false, enum, maxLength, minimum/maximum, items); throws naming the path.
export function validateSchema(schema, value, path = '$') {
  const fail = (why) => { throw new Error(`${path}: ${why} (got ${JSON.stringify(value)})`); };
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) fail('not in enum');
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
      for (const key of schema.required ?? []) if (!(key in value)) fail(`missing ${key}`);
      for (const [key, v] of Object.entries(value)) {
        const sub = schema.properties?.[key];
        if (sub) validateSchema(sub, v, `${path}.${key}`);
        else if (schema.additionalProperties === false) fail(`unexpected property ${key}`);
      }
      break;
    }
    case 'array':
      if (!Array.isArray(value)) fail('not an array');
      if (schema.items) value.forEach((v, i) => validateSchema(schema.items, v, `${path}[${i}]`));
      break;
    case 'string':
      if (typeof value !== 'string') fail('not a string');
      if (schema.maxLength !== undefined && [...value].length > schema.maxLength) fail('too long');
      break;
    case 'integer':
      if (!Number.isInteger(value)) fail('not an integer');
      if (schema.minimum !== undefined && value < schema.minimum) fail('below minimum');
      if (schema.maximum !== undefined && value > schema.maximum) fail('above maximum');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail('not a boolean');
      break;
    default:
      break;
  }
}

// A tool and a response schema whose every value is bounded, so that even a tiny random-ish
// model under the grammar finishes the JSON within a few hundred tokens.
export const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', maxLength: 8 },
        days: { type: 'integer', minimum: 1, maximum: 14 },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'days', 'unit'],
      additionalProperties: false,
    },
  },
};

export const personSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 10 },
    age: { type: 'integer', minimum: 0, maximum: 120 },
    happy: { type: 'boolean' },
  },
  required: ['name', 'age', 'happy'],
  additionalProperties: false,
};
