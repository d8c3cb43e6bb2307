"""Caching kinds: exact-match response cache and semantic cache."""

from __future__ import annotations

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


class Cache(LatencyStation):
    def setup(self) -> None:
        self.hit_rate = float(self.params["hit_rate"])
        self.hits = 0

    def outcome(self, req: Request) -> str | None:
        if self.chance(self.hit_rate):
            self.hits += 1
            return "hit"
        return "miss"

    def stats(self) -> dict:
        s = super().stats()
        s["hit_rate"] = self.hits / self.served if self.served else 0.0
        return s

    def reset_stats(self) -> None:
        super().reset_stats()
        self.hits = 0


CACHE_HELP = ("A hit answers the request (or follows the 'hit' edge); a miss follows the 'miss' edge or the "
              "plain edges.")

register(ComponentKind(
    "response_cache", "caching", "Response cache",
    "Exact-match cache (Redis/Memorystore). " + CACHE_HELP,
    (Param("hit_rate", "float", 0.4, "fraction", 0, 1, help="Share of requests answered from the cache.",
           source="assumption: a common system-design rule of thumb (exact-match caches save 30–50 % of LLM calls on repetitive support traffic); 0.4 is the midpoint — measure your own"),
     Param("ttl_s", "float", 3600.0, "s", 0, 1e8, help="Entry lifetime (documents the hit-rate assumption).",
           source=ASSUMED),
     latency_param(0.35, 1.3, cite("redis-latency", "redis-benchmark", detail="Redis GET in the same AZ: p50 0.35 ms, p99 1.3 ms (managed Redis over a LAN hop)")),
     price_param(0.218, cite("aws-elasticache-pricing", detail="assumption: one cache.r7g.large node on demand, us-east-1 ($0.218/h)"))),
    Cache, per_replica_cost, outcomes=("hit", "miss"), icon="response_cache",
    defaults_override={"concurrency": 1000}))


class SemanticCache(Cache):
    """Embeds the query and looks up similar ones; a lower threshold hits more often but more falsely."""

    def setup(self) -> None:
        super().setup()
        self.false_hit_rate = float(self.params["false_hit_rate"])


register(ComponentKind(
    "semantic_cache", "caching", "Semantic cache",
    "Embedding + similarity lookup of earlier answers; writes back on a miss. " + CACHE_HELP,
    (Param("hit_rate", "float", 0.25, "fraction", 0, 1, help="Share of requests answered from the cache at the "
           "chosen threshold.", source=cite("gptcache", detail="assumption: semantic caches answer 20–30 % of paraphrased support queries at a 0.9 cosine threshold (rule of thumb; GPTCache documents the threshold trade-off)")),
     Param("similarity_threshold", "float", 0.9, "cosine", 0, 1,
           help="Cosine similarity needed for a hit; lower raises hit rate and false hits.", source=ASSUMED),
     Param("false_hit_rate", "float", 0.01, "fraction of hits", 0, 1,
           help="Hits that return a wrong answer (a quality risk shown in the review).", source=ASSUMED),
     latency_param(7.0, 20.0, cite("embedding-latency-note", "vectordbbench", detail="derived: query embedding 5/15 ms + vector lookup 2/5 ms (p50/p99)")),
     price_param(0.218, ASSUMED)),
    SemanticCache, per_replica_cost, outcomes=("hit", "miss"), icon="semantic_cache",
    defaults_override={"concurrency": 1000}))
