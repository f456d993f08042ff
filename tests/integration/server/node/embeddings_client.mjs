// The official `openai` npm client's embeddings.create against plexus serve, checked against
// ../shared/golden/embeddings: an encoder (synth-bert-mean-F32, pooling from the file) and a
// decoder served with --pooling last (synth-llama-F32); base64 (the client's default) and float
// encodings, token-id input, dimensions, per-request pooling, usage, and the errors.
// Usage: node embeddings_client.mjs PLEXUS_BINARY MODELS_DIR
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { startServer, runChecks } from './harness.mjs';

const [plexus, modelsDir] = process.argv.slice(2);
const goldenDir = `${modelsDir}/../golden/embeddings`;
const golden = (file) => readFileSync(`${goldenDir}/${file}`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const bertCases = golden('synth-bert-mean-F32.jsonl');
const clsCases = golden('synth-bert-cls-F16.jsonl');
const llamaCases = golden('synth-llama-F32.jsonl');

const server = await startServer(plexus, [
  `${modelsDir}/synth/synth-bert-mean-F32.gguf`, `${modelsDir}/synth/synth-llama-F32.gguf`, '--pooling', 'last',
  '--threads', '2',
]);
const client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'none', maxRetries: 0 });
const bert = 'synth-bert-mean-F32';

function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}
function norm(a) { return Math.sqrt(a.reduce((s, x) => s + x * x, 0)); }
function expectClose(vec, want, minCos) {
  assert.equal(vec.length, want.embedding.length);
  const c = cosine(vec, want.embedding);
  assert.ok(c >= minCos, `cosine ${c} < ${minCos} for '${want.kind}'`);
  assert.ok(Math.abs(norm(vec) - 1) < 1e-5, `norm ${norm(vec)}`);
}

await runChecks([
  ['embeddings.create (default encoding: base64, decoded by the client)', async () => {
    const r = await client.embeddings.create({ model: bert, input: bertCases[0].input });
    assert.equal(r.object, 'list');
    assert.equal(r.data.length, 1);
    assert.equal(r.data[0].object, 'embedding');
    assert.equal(r.data[0].index, 0);
    expectClose(r.data[0].embedding, bertCases[0], 0.9999);
    assert.equal(r.usage.prompt_tokens, bertCases[0].n_tokens);
    assert.equal(r.usage.total_tokens, bertCases[0].n_tokens);
  }],
  ['every golden case in one request, float encoding', async () => {
    const r = await client.embeddings.create({
      model: bert, input: bertCases.map((c) => c.input), encoding_format: 'float',
    });
    assert.equal(r.data.length, bertCases.length);
    r.data.forEach((d, i) => { assert.equal(d.index, i); expectClose(d.embedding, bertCases[i], 0.9999); });
    assert.equal(r.usage.prompt_tokens, bertCases.reduce((s, c) => s + c.n_tokens, 0));
  }],
  ['concurrent requests', async () => {
    const rs = await Promise.all(bertCases.map((c) => client.embeddings.create({ model: bert, input: c.input })));
    rs.forEach((r, i) => expectClose(r.data[0].embedding, bertCases[i], 0.9999));
  }],
  ['token ids and arrays of token ids', async () => {
    const one = await client.embeddings.create({ model: bert, input: bertCases[1].ids, encoding_format: 'float' });
    expectClose(one.data[0].embedding, bertCases[1], 0.9999);
    const two = await client.embeddings.create({ model: bert, input: [bertCases[2].ids, bertCases[3].ids] });
    expectClose(two.data[0].embedding, bertCases[2], 0.9999);
    expectClose(two.data[1].embedding, bertCases[3], 0.9999);
  }],
  ['dimensions truncates and re-normalizes', async () => {
    const r = await client.embeddings.create({ model: bert, input: bertCases[0].input, dimensions: 32 });
    assert.equal(r.data[0].embedding.length, 32);
    assert.ok(Math.abs(norm(r.data[0].embedding) - 1) < 1e-5);
    assert.ok(cosine(r.data[0].embedding, bertCases[0].embedding.slice(0, 32)) > 0.9999);
  }],
  ['per-request pooling override (cls)', async () => {
    const r = await client.embeddings.create({ model: bert, input: clsCases[1].input, pooling: 'cls' });
    expectClose(r.data[0].embedding, clsCases[1], 0.999);  // same weights stored as F16
  }],
  ['decoder served with --pooling last', async () => {
    for (const c of llamaCases.filter((x) => x.kind !== 'long')) {
      const r = await client.embeddings.create({ model: 'synth-llama-F32', input: c.input });
      expectClose(r.data[0].embedding, c, 0.9999);
      assert.equal(r.usage.prompt_tokens, c.n_tokens);
    }
  }],
  ['too long an input is a 400 naming the limit', async () => {
    const long = 'word '.repeat(600);
    await assert.rejects(client.embeddings.create({ model: bert, input: long }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, String(e));
      assert.equal(e.param, 'input');
      assert.match(e.message, /512/);
      return true;
    });
    const r = await client.embeddings.create({ model: bert, input: long, truncate: true });
    assert.equal(r.usage.prompt_tokens, 512);
  }],
  ['bad fields are 400s naming the field', async () => {
    await assert.rejects(client.embeddings.create({ model: bert, input: [] }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'input');
    await assert.rejects(client.embeddings.create({ model: bert, input: 'x', dimensions: 4096 }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'dimensions');
    await assert.rejects(client.embeddings.create({ model: 'nope', input: 'x' }),
      (e) => e instanceof OpenAI.NotFoundError);
  }],
  ['chat with an embedding model is a clear 400', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: bert, messages: [{ role: 'user', content: 'hi' }] }),
      (e) => e instanceof OpenAI.BadRequestError && /embedding model/.test(e.message));
  }],
  ['Ollama /api/embed and /api/embeddings', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const r = await fetch(`${base}/api/embed`, {
      method: 'POST', body: JSON.stringify({ model: bert, input: [bertCases[0].input, bertCases[1].input] }),
    });
    assert.equal(r.status, 200);
    const j = await r.json();
    assert.equal(j.model, bert);
    assert.equal(j.embeddings.length, 2);
    expectClose(j.embeddings[1], bertCases[1], 0.9999);
    assert.equal(j.prompt_eval_count, bertCases[0].n_tokens + bertCases[1].n_tokens);
    const legacy = await (await fetch(`${base}/api/embeddings`, {
      method: 'POST', body: JSON.stringify({ model: bert, prompt: bertCases[0].input }),
    })).json();
    assert.ok(Math.abs(norm(legacy.embedding) - bertCases[0].raw_l2_norm) < 1e-3 * bertCases[0].raw_l2_norm);
  }],
], async () => {
  const code = await server.stop();
  assert.equal(code, 0, `plexus serve exited with ${code}; stderr:\n${server.stderr()}`);
});
