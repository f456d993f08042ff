// Route registration, one function per API family. Each handler parses and validates on the
// I/O strand, loads the model if needed, then hands generation to the engine.
#pragma once

#include <memory>

#include "server/route_util.h"
#include "server/router.h"

namespace plexus::server {

// POST /v1/chat/completions, /api/v1/llm/chat/completions, /v1/completions; GET /v1/models.
void add_openai_routes(Router& router, std::shared_ptr<ServerContext> ctx);
// POST /api/chat, /api/generate, /api/show; GET /api/tags, /api/ps, /api/version.
void add_ollama_routes(Router& router, std::shared_ptr<ServerContext> ctx);
// GET /health (public), /metrics; POST /tokenize, /detokenize.
void add_admin_routes(Router& router, std::shared_ptr<ServerContext> ctx);
// POST /v1/embeddings, /api/embed, /api/embeddings (embeddings_routes.cpp).
void add_embeddings_routes(Router& router, std::shared_ptr<ServerContext> ctx);

}  // namespace plexus::server
