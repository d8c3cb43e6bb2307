"""Retrieval kinds: embedding_service, vector_db, reranker, database, keyword_index."""

from __future__ import annotations

import math
from typing import Any

from kernels.sources import cite
from simulation.components.common import (
    ASSUMED,
    LatencyStation,
    latency_param,
    per_replica_cost,
    price_param,
)
from simulation.engine.request import Request
from simulation.params import Param
from simulation.registry import ComponentKind, register


class Embedding(LatencyStation):
    def setup(self) -> None:
        self.api = self.params["mode"] == "api"
        self.price = float(self.params["usd_per_1m_tokens"]) / 1e6

    def outcome(self, req: Request) -> str | None:
        if self.api:
            self.charge(req, req.input_tokens * self.price)
        return None


def _embedding_cost(params: dict[str, Any]) -> float:
    return 0.0 if params["mode"] == "api" else per_replica_cost(params)


TOP_K_SOURCE = ("assumption: retrieve ~20 candidates, rerank, keep the top 5 — the usual two-stage RAG pattern "
                "(cross-encoder reranking as in the SBERT MS MARCO models)")
VECTOR_LATENCY_SOURCE = cite("vectordbbench", "diskann", detail="HNSW-class search at recall ≈ 0.95: 1M × 768-d "
                             "p50 2 / p99 5 ms, 10M p50 3 / p99 10 ms (VectorDBBench); 100M p50 5 / p99 30 ms is an "
                             "assumption (no public HNSW figure at that size)")

register(ComponentKind(
    "embedding_service", "retrieval", "Embedding service",
    "Turns the query into a vector: self-hosted on a GPU/CPU (priced per hour) or an API (priced per token).",
    (Param("mode", "enum", "self_hosted", choices=("self_hosted", "api"), help="Where the embedding model runs."),
     Param("model", "str", "BAAI/bge-base-en-v1.5", help="Embedding model (informational).",
           source="assumption: a common open embedding model; informational only"),
     Param("dimension", "int", 768, "dims", 64, 8192, help="Vector size.", source=cite("openai-embeddings", detail="common embedding sizes are 768–3072 (BGE-base 768, text-embedding-3-small 1536, -large 3072)")),
     latency_param(5.0, 15.0, cite("embedding-latency-note", "milvus-embedding-apis", detail="self-hosted GPU embedding of a short query 5 ms p50 / 15 ms p99; for a hosted API use 200/500 ms")),
     Param("usd_per_1m_tokens", "float", 0.02, "USD/1M tokens", 0, 1000,
           help="API price per 1M input tokens (api mode).",
           source=cite("openai-pricing", detail="text-embedding-3-small list price $0.02 per 1M tokens")),
     price_param(0.80, cite("modal-pricing", detail="one L4 on Modal, $0.80/h"))),
    Embedding, _embedding_cost, icon="embedding_service", defaults_override={"concurrency": 32}))

# HNSW query latency at recall ≈ 0.95 by collection size: (vectors, p50 ms, p99 ms) — VECTOR_LATENCY_SOURCE.
_HNSW_POINTS = ((1e6, 2.0, 5.0), (1e7, 3.0, 10.0), (1e8, 5.0, 30.0))
_INDEX_FACTOR = {"hnsw": 1.0, "ivf": 1.5}
_BYTES_PER_DIM = 4  # fp32 vectors


def vector_latency(index: str, vectors_per_shard: float) -> tuple[float, float]:
    """(p50, p99) ms of one shard's query, interpolated in log(vectors) between the benchmark points."""
    if index == "flat":  # brute force scans every vector: ~1 ms per 100K 768-d vectors per core (assumption)
        p50 = max(0.5, vectors_per_shard / 1e5)
        return p50, p50 * 1.5
    x = math.log10(max(vectors_per_shard, 1.0))
    pts = [(math.log10(v), a, b) for v, a, b in _HNSW_POINTS]
    if x <= pts[0][0]:
        lo = hi = pts[0]
        w = 0.0
    elif x >= pts[-1][0]:
        lo = hi = pts[-1]
        w = 0.0
    else:
        i = max(j for j in range(len(pts)) if pts[j][0] <= x)
        lo, hi = pts[i], pts[i + 1]
        w = (x - lo[0]) / (hi[0] - lo[0])
    p50 = (lo[1] + w * (hi[1] - lo[1])) * _INDEX_FACTOR[index]
    p99 = (lo[2] + w * (hi[2] - lo[2])) * _INDEX_FACTOR[index]
    return p50, p99


def vector_memory_gb(params: dict[str, Any]) -> float:
    overhead = {"hnsw": 1.2, "ivf": 1.05, "flat": 1.0}[params["index"]]  # graph links ~+10–30 % (D13)
    return params["vectors"] * params["dimension"] * _BYTES_PER_DIM * overhead / 1e9


class VectorDB(LatencyStation):
    latency_key = "extra_latency"

    def setup(self) -> None:
        from simulation.distributions import parse_dist

        p = self.params
        shards = int(p["shards"])
        p50, p99 = vector_latency(p["index"], p["vectors"] / shards)
        # Querying every shard waits for the slowest one; merging adds a little per shard.
        self.query = parse_dist({"dist": "lognormal", "p50": p50, "p99": p99}, "vector_db")
        self.shards = shards
        self.top_k = int(p["top_k"])
        self.chunk = int(p["chunk_tokens"])

    def service_time(self, req: Request) -> float:
        slowest = max(self.query.sample(self.rng) for _ in range(self.shards))
        return (slowest + self.latency.sample(self.rng) + 0.1 * (self.shards - 1)) / 1000.0

    def outcome(self, req: Request) -> str | None:
        req.context_tokens += self.top_k * self.chunk
        req.retrieved += self.top_k
        req.chunk_tokens = self.chunk
        return None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "memory_gb": vector_memory_gb(self.params)}


def _vector_cost(params: dict[str, Any]) -> float:
    return per_replica_cost(params) * int(params["shards"])


register(ComponentKind(
    "vector_db", "retrieval", "Vector database",
    "ANN search over document chunks (HNSW, IVF or flat); adds top_k × chunk_tokens of context. Latency follows the "
    "collection size per shard.",
    (Param("index", "enum", "hnsw", choices=("hnsw", "ivf", "flat"), help="Index type.",
           source=cite("hnsw-paper", "faiss-index-guide", detail="HNSW is the usual in-memory default; IVF trades recall and latency for memory")),
     Param("vectors", "float", 1e6, "vectors", 1, 1e12, help="Vectors in the collection."),
     Param("dimension", "int", 768, "dims", 16, 8192, help="Vector size.", source=cite("openai-embeddings", detail="common embedding sizes are 768–3072")),
     Param("shards", "int", 1, "shards", 1, 1024, help="Shards queried in parallel (each replica holds all)."),
     Param("top_k", "int", 5, "chunks", 1, 1000, help="Chunks returned.", source=TOP_K_SOURCE),
     Param("chunk_tokens", "int", 300, "tokens", 1, 100_000, help="Tokens per chunk.", source=ASSUMED),
     Param("recall", "float", 0.95, "recall@k", 0, 1, help="Recall at the operating point of the latency figures.",
           source=VECTOR_LATENCY_SOURCE),
     latency_param(0.2, 1.0, cite("redis-latency", "aws-az-latency", detail="one network round trip in the same AZ, ~0.2 ms"), name="extra_latency",
                   help="Network and client overhead on top of the index search."),
     price_param(1.0, ASSUMED + " (one 16-vCPU node)")),
    VectorDB, _vector_cost, icon="vector_db", defaults_override={"concurrency": 16}))


class Reranker(LatencyStation):
    latency_key = "overhead"

    def setup(self) -> None:
        p = self.params
        self.candidates = int(p["candidates"])
        self.keep = int(p["keep"])
        self.per_candidate = float(p["per_candidate_ms"])

    def service_time(self, req: Request) -> float:
        n = req.retrieved or self.candidates
        return (self.latency.sample(self.rng) + n * self.per_candidate) / 1000.0

    def outcome(self, req: Request) -> str | None:
        if req.retrieved > self.keep:
            req.context_tokens -= (req.retrieved - self.keep) * req.chunk_tokens
            req.retrieved = self.keep
        return None


register(ComponentKind(
    "reranker", "retrieval", "Reranker",
    "Cross-encoder scoring the retrieved candidates and keeping the best few (shrinks the context).",
    (Param("candidates", "int", 20, "chunks", 1, 10_000, help="Candidates scored (when the retriever sets none).",
           source=TOP_K_SOURCE),
     Param("keep", "int", 5, "chunks", 1, 10_000, help="Chunks kept.", source=TOP_K_SOURCE),
     Param("per_candidate_ms", "float", 0.55, "ms", 0, 1e5, help="Scoring time per candidate.",
           source=cite("sbert-ce-msmarco", detail="derived: ms-marco-MiniLM-L-6-v2 scores 1,800 docs/s on a V100 = 0.55 ms per candidate")),
     latency_param(3.0, 6.0, "assumption: ~2–5 ms tokenisation and batching per call on top of the scoring time", name="overhead",
                   help="Fixed time per call on top of the per-candidate time."),
     price_param(0.80, cite("modal-pricing", detail="one L4 on Modal, $0.80/h"))),
    Reranker, per_replica_cost, icon="reranker", defaults_override={"concurrency": 8}))


class Database(LatencyStation):
    def setup(self) -> None:
        self.add = int(self.params["tokens_added"])

    def outcome(self, req: Request) -> str | None:
        req.context_tokens += self.add
        return None


register(ComponentKind(
    "database", "retrieval", "Database / document store",
    "A document store or database read (user profile, order status, full documents); may add context tokens.",
    (latency_param(2.0, 10.0, ASSUMED + " (indexed point reads in the same AZ)"),
     Param("tokens_added", "int", 0, "tokens", 0, 10_000_000, help="Tokens the fetched data adds to the prompt."),
     price_param(0.50, ASSUMED)),
    Database, per_replica_cost, icon="database", defaults_override={"concurrency": 64}))


class KeywordIndex(Database):
    def setup(self) -> None:
        self.add = int(self.params["top_k"]) * int(self.params["chunk_tokens"])
        self.top_k = int(self.params["top_k"])
        self.chunk = int(self.params["chunk_tokens"])

    def outcome(self, req: Request) -> str | None:
        req.context_tokens += self.add
        req.retrieved += self.top_k
        req.chunk_tokens = self.chunk
        return None


register(ComponentKind(
    "keyword_index", "retrieval", "Keyword index (BM25)",
    "Lexical retrieval (BM25); combine with a vector DB through a fan-out for hybrid search (RRF).",
    (Param("top_k", "int", 5, "chunks", 1, 1000, help="Chunks returned.", source=TOP_K_SOURCE),
     Param("chunk_tokens", "int", 300, "tokens", 1, 100_000, help="Tokens per chunk.", source=ASSUMED),
     latency_param(5.0, 20.0, ASSUMED),
     price_param(0.50, ASSUMED)),
    KeywordIndex, per_replica_cost, icon="keyword_index", defaults_override={"concurrency": 16}))
