// The official `ollama` npm client against plexus serve: list, show, ps, version, chat and
// generate (whole and streamed), options, structured output (format schema and "json"), tools,
// and the ResponseError for an unknown model.
// Usage: node ollama_client.mjs PLEXUS_BINARY MODELS_DIR
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { startServer, runChecks, validateSchema, weatherTool, personSchema } from './harness.mjs';

const [plexus, modelsDir] = process.argv.slice(2);
const server = await startServer(plexus, [`${modelsDir}/stories260K.gguf`]);
const ollama = new Ollama({ host: `http://127.0.0.1:${server.port}` });
const options = { temperature: 0, num_predict: 16 };

await runChecks([
  ['list', async () => {
    const r = await ollama.list();
    assert.equal(r.models.length, 1);
    assert.equal(r.models[0].name, 'stories260K');
    assert.equal(r.models[0].details.format, 'gguf');
  }],
  ['show', async () => {
    const r = await ollama.show({ model: 'stories260K' });
    assert.equal(r.model_info['general.architecture'], 'llama');
    assert.equal(r.details.family, 'llama');
  }],
  ['ps and version', async () => {
    const ps = await ollama.ps();
    assert.equal(ps.models[0].name, 'stories260K');
    const v = await ollama.version();
    assert.equal(v.version, '0.1.0');
  }],
  ['chat whole and streamed agree', async () => {
    const messages = [{ role: 'user', content: 'Once upon a time' }];
    const whole = await ollama.chat({ model: 'stories260K', messages, options });
    assert.equal(whole.done, true);
    assert.equal(whole.eval_count, 16);
    let text = '';
    let last = null;
    for await (const part of await ollama.chat({ model: 'stories260K', messages, options, stream: true })) {
      text += part.message.content;
      last = part;
    }
    assert.equal(text, whole.message.content);
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'length');
  }],
  ['generate raw, with stop', async () => {
    const r = await ollama.generate({ model: 'stories260K', prompt: 'Once upon a time', raw: true, options });
    assert.ok(r.response.length > 0);
    const cut = r.response.indexOf(' little');
    assert.ok(cut > 0, r.response);
    const s = await ollama.generate({
      model: 'stories260K', prompt: 'Once upon a time', raw: true, options: { ...options, stop: [' little'] },
    });
    assert.equal(s.response, r.response.slice(0, cut));
  }],
  ['chat with a format schema: content parses and validates', async () => {
    const r = await ollama.chat({
      model: 'stories260K', messages: [{ role: 'user', content: 'Describe a person' }], format: personSchema,
      options: { temperature: 0, num_predict: 200 },
    });
    assert.equal(r.done_reason, 'stop');
    validateSchema(personSchema, JSON.parse(r.message.content));
  }],
  ['generate with format json, streamed', async () => {
    let text = '';
    let last = null;
    for await (const part of await ollama.generate({
      model: 'stories260K', prompt: 'Once upon a time', format: 'json', stream: true,
      options: { temperature: 0, num_predict: 300 },
    })) {
      text += part.response;
      last = part;
    }
    assert.equal(text.trimStart()[0], '{');
    if (last.done_reason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
  }],
  ['chat with tools answers (calls, if any, carry object arguments)', async () => {
    const r = await ollama.chat({
      model: 'stories260K', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [weatherTool],
      think: false, options: { temperature: 0, num_predict: 16 },
    });
    assert.equal(r.done, true);
    for (const call of r.message.tool_calls ?? []) assert.equal(typeof call.function.arguments, 'object');
  }],
  ['unknown model is a ResponseError 404', async () => {
    await assert.rejects(
      ollama.chat({ model: 'missing', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status_code === 404 && /missing/.test(e.error ?? e.message),
    );
  }],
  ['bad option is a ResponseError 400', async () => {
    await assert.rejects(
      ollama.generate({ model: 'stories260K', prompt: 'x', options: { top_p: 3 } }),
      (e) => e.status_code === 400 && /options\.top_p/.test(e.error ?? e.message),
    );
  }],
], async () => {
  const code = await server.stop();
  assert.equal(code, 0, server.stderr());
});
