"""Caching kinds: exact-match response cache and semantic cache."""

from __future__ import annotations

from simulation.components.common import (
    ASSUMED,
    CATALOG_D,
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
           source="seed000 L1381: response cache saves 30–50 % of cost; 0.4 is the midpoint reading"),
     Param("ttl_s", "float", 3600.0, "s", 0, 1e8, help="Entry lifetime (documents the hit-rate assumption).",
           source=ASSUMED),
     latency_param(0.35, 1.3, f"{CATALOG_D}: Redis GET same AZ p50 0.35 ms, p99 1.3 ms (D3)"),
     price_param(0.218, "AWS ElastiCache cache.r7g.large on-demand; " + ASSUMED)),
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
           "chosen threshold.", source="seed000 L1382: semantic cache saves 20–30 %"),
     Param("similarity_threshold", "float", 0.9, "cosine", 0, 1,
           help="Cosine similarity needed for a hit; lower raises hit rate and false hits.", source=ASSUMED),
     Param("false_hit_rate", "float", 0.01, "fraction of hits", 0, 1,
           help="Hits that return a wrong answer (a quality risk shown in the review).", source=ASSUMED),
     latency_param(7.0, 20.0, f"{CATALOG_D}: query embedding 5/15 ms (D9–D11) + vector lookup 2/5 ms (D12)"),
     price_param(0.218, ASSUMED)),
    SemanticCache, per_replica_cost, outcomes=("hit", "miss"), icon="semantic_cache",
    defaults_override={"concurrency": 1000}))
