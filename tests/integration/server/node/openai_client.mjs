// The official `openai` npm client against plexus serve: models, chat (whole and streamed,
// with usage), completions, n, logprobs, stop, and the typed errors the client raises.
// Usage: node openai_client.mjs PLEXUS_BINARY MODELS_DIR
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, runChecks } from './harness.mjs';

const [plexus, modelsDir] = process.argv.slice(2);
const server = await startServer(plexus, [`${modelsDir}/stories260K.gguf`, '--api-key', 'sk-plexus-test']);
const client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'sk-plexus-test', maxRetries: 0 });
const greedy = { model: 'stories260K', temperature: 0, max_tokens: 24 };
const messages = [{ role: 'user', content: 'Once upon a time' }];

await runChecks([
  ['models.list', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['stories260K']);
  }],
  ['chat.completions.create', async () => {
    const r = await client.chat.completions.create({ ...greedy, messages });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.ok(r.choices[0].message.content.length > 0);
    assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  }],
  ['chat stream equals whole, usage chunk', async () => {
    const whole = await client.chat.completions.create({ ...greedy, messages });
    const stream = await client.chat.completions.create({
      ...greedy, messages, stream: true, stream_options: { include_usage: true },
    });
    let text = '';
    let usage = null;
    let finish = null;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta?.content ?? '';
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, whole.choices[0].finish_reason);
    assert.deepEqual(usage, whole.usage);
  }],
  ['completions with stop', async () => {
    const plain = await client.completions.create({ ...greedy, prompt: 'Once upon a time', max_tokens: 32 });
    const text = plain.choices[0].text;
    const cut = text.indexOf('Lily');
    assert.ok(cut > 0, text);
    const stopped = await client.completions.create({
      ...greedy, prompt: 'Once upon a time', max_tokens: 32, stop: ['Lily'],
    });
    assert.equal(stopped.choices[0].text, text.slice(0, cut));
    assert.equal(stopped.choices[0].finish_reason, 'stop');
  }],
  ['n and logprobs', async () => {
    const r = await client.chat.completions.create({
      ...greedy, messages, n: 2, logprobs: true, top_logprobs: 3, max_tokens: 5,
    });
    assert.equal(r.choices.length, 2);
    const lp = r.choices[1].logprobs.content;
    assert.ok(lp.length > 0);
    assert.equal(lp[0].top_logprobs.length, 3);
    assert.ok(lp[0].logprob <= 0);
  }],
  ['400 is BadRequestError naming the field', async () => {
    await assert.rejects(
      client.chat.completions.create({ ...greedy, messages, temperature: 5 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'temperature',
    );
  }],
  ['404 for an unknown model', async () => {
    await assert.rejects(
      client.chat.completions.create({ ...greedy, messages, model: 'no-such-model' }),
      (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found',
    );
  }],
  ['401 for a wrong key', async () => {
    const bad = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(bad.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  }],
  ['aborting a stream leaves the server serving', async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { ...greedy, messages, max_tokens: 1500, temperature: 1, stream: true }, { signal: controller.signal });
    let chunks = 0;
    try {
      for await (const _ of stream) { if (++chunks === 3) controller.abort(); }
    } catch (e) {
      assert.ok(e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError', String(e));
    }
    const r = await client.chat.completions.create({ ...greedy, messages, max_tokens: 2 });
    assert.equal(r.choices.length, 1);
  }],
], async () => {
  const code = await server.stop();
  assert.equal(code, 0, server.stderr());
});
