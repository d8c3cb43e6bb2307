"""A request walking the design graph; one small object per request (slots keep it cheap)."""

from __future__ import annotations


class Request:
    __slots__ = ("id", "cls", "arrival", "input_tokens", "output_tokens", "context_tokens", "first_token",
                 "llm_done", "itl_runs", "variable_cost_usd", "status", "hops", "end", "buffered", "parent",
                 "pending", "retries", "measured", "llm_calls", "path_nodes", "fallback", "user", "join", "retrieved", "chunk_tokens", "visits",
                 "llm_output_tokens")

    def __init__(self, rid: int, cls: str, arrival: float, input_tokens: int, output_tokens: int) -> None:
        self.id = rid
        self.cls = cls
        self.arrival = arrival
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.context_tokens = 0          # tokens nodes add on the way (system prompt, retrieved chunks...)
        self.first_token: float | None = None  # first output token left the last LLM (absolute s)
        self.llm_done: float | None = None     # last output token left the last LLM (absolute s)
        self.itl_runs: list[tuple[float, int]] = []  # inter-token gaps of the last LLM: (gap_s, count)
        self.variable_cost_usd = 0.0     # pay-per-use spend (API tokens, tool calls)
        self.status = "ok"
        self.hops: list[tuple[str, float, float]] = []  # (node id, enter, leave)
        self.end: float | None = None
        self.buffered = False            # a node after the LLM held the whole answer (TTFT = E2E)
        self.parent: Request | None = None  # fanout branches point at the request they belong to
        self.pending = 0                 # fanout: branches still running
        self.retries = 0
        self.measured = True             # arrived after warm-up
        self.llm_calls = 0
        self.path_nodes: list[str] | None = None
        self.fallback = False            # took a fallback/error edge on the way
        self.user = 0                    # closed-loop user index (or a user id for rate limits)
        self.retrieved = 0               # retrieved chunks currently in the context
        self.chunk_tokens = 0            # tokens per retrieved chunk
        self.visits: dict[str, int] | None = None  # agent loop counters
        self.join: str | None = None     # fanout: the node where this request's branches meet
        self.llm_output_tokens = 0       # tokens the latest LLM call produced (capped calls); 0 = output_tokens

    @property
    def prompt_tokens(self) -> int:
        """What an LLM on the path is fed: the user's input plus everything added on the way."""
        return self.input_tokens + self.context_tokens
