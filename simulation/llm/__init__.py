"""LLM serving model: catalogs, memory plan, step times, continuous-batching engine, llm_server/llm_api, bench."""
