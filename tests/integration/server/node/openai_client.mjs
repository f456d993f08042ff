// The official `openai` npm client against plexus serve: models, chat (whole and streamed,
// with usage), completions, n, logprobs, stop, tool calls (whole and streamed, results in the
// history), response_format json_schema / json_object, and the typed errors the client raises.
// Usage: node openai_client.mjs PLEXUS_BINARY MODELS_DIR
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, runChecks, validateSchema, weatherTool, personSchema } from './harness.mjs';

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
  ['tool_choice required: a parsed call whose arguments validate', async () => {
    const r = await client.chat.completions.create({
      ...greedy, max_tokens: 200, messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool], tool_choice: 'required',
    });
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.tool_calls.length, 1);
    const call = choice.message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.match(call.id, /^call_[A-Za-z0-9]+$/);
    assert.equal(call.function.name, 'get_weather');
    validateSchema(weatherTool.function.parameters, JSON.parse(call.function.arguments));
  }],
  ['named tool_choice and a streamed call equal the whole one', async () => {
    const request = {
      ...greedy, max_tokens: 200, messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [weatherTool, { type: 'function', function: { name: 'noop' } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const calls = [];
    let finish = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        for (const d of c.delta?.tool_calls ?? []) {
          calls[d.index] ??= { id: '', name: '', arguments: '' };
          if (d.id) calls[d.index].id = d.id;
          if (d.function?.name) calls[d.index].name += d.function.name;
          if (d.function?.arguments) calls[d.index].arguments += d.function.arguments;
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].name, 'get_weather');
    assert.match(calls[0].id, /^call_/);
    const args = JSON.parse(calls[0].arguments);
    validateSchema(weatherTool.function.parameters, args);
    assert.deepEqual(args, JSON.parse(whole.choices[0].message.tool_calls[0].function.arguments));
  }],
  ['a tool result in the history is rendered and answered', async () => {
    const r = await client.chat.completions.create({
      ...greedy, max_tokens: 8, tools: [weatherTool], tool_choice: 'none',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris","days":1,"unit":"celsius"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21' },
      ],
    });
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(r.choices[0].message.tool_calls, undefined);
  }],
  ['response_format json_schema: content parses and validates', async () => {
    const r = await client.chat.completions.create({
      ...greedy, max_tokens: 200, messages: [{ role: 'user', content: 'Describe a person' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: personSchema } },
    });
    assert.equal(r.choices[0].finish_reason, 'stop');
    validateSchema(personSchema, JSON.parse(r.choices[0].message.content));
  }],
  ['response_format json_object: content is a JSON object', async () => {
    const r = await client.chat.completions.create({
      ...greedy, max_tokens: 300, temperature: 1, seed: 3, messages,
      response_format: { type: 'json_object' }, logit_bias: { '1': -100 }, presence_penalty: 0.5,
      frequency_penalty: 0.2,
    });
    if (r.choices[0].finish_reason === 'stop') {
      const v = JSON.parse(r.choices[0].message.content);
      assert.equal(typeof v, 'object');
    } else {
      assert.equal(r.choices[0].message.content[0], '{');  // cut by max_tokens inside the object
    }
  }],
  ['a bad schema is a 400 naming response_format.json_schema.schema', async () => {
    await assert.rejects(
      client.chat.completions.create({
        ...greedy, messages,
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'wat' } } },
      }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === 'response_format.json_schema.schema',
    );
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
