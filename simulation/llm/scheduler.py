"""One inference-engine replica: iteration-level continuous batching on a paged KV cache, as vLLM v1 does it.

Each step the scheduler takes every running decode (one token each), then the running partial
prefills, then waiting requests in FCFS order, while the token budget (max_num_batched_tokens),
max_num_seqs and free KV blocks allow; prefills are chunked to the budget. KV blocks (16 tokens) are
allocated as sequences grow; when a step cannot get the blocks it needs, the newest running sequence
is preempted (its blocks freed, recomputed later from the front of the queue).

Speed: one SimPy event per step at most, and a run of pure-decode steps with an unchanged batch is one
event. Decoding sequences are not touched per step: a step counter ``G`` advances, each sequence knows
the counter value at which it started decoding, its finish step sits in a heap, and new KV blocks come
from a count of sequences per "block phase" (the step at which each crosses a block boundary repeats
every 16 steps). An arrival during a fused run cuts the run at the end of the step in progress.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from math import ceil
from typing import TYPE_CHECKING, Any

from simulation.llm.memory import BLOCK_TOKENS

if TYPE_CHECKING:
    from simulation.engine.request import Request
    from simulation.llm.steptime import StepTimer

WAITING, PREFILL, DECODE, DONE = 0, 1, 2, 3


class Seq:
    """A request inside one engine."""

    __slots__ = ("req", "uid", "enter", "prompt", "out", "cached", "target", "kv", "state", "gen", "g0", "l0",
                 "phase", "seg0", "itl", "last_token", "epoch", "steps_needed", "scheduled", "window_blocks",
                 "blocks0", "timed_out")

    def __init__(self, req: Request, uid: int, enter: float, prompt: int, out: int, cached: int) -> None:
        self.req = req
        self.uid = uid
        self.enter = enter
        self.prompt = prompt          # prompt tokens (input + context added on the path)
        self.out = out                # output tokens to produce
        self.cached = cached          # prompt tokens served from the prefix cache (whole blocks)
        self.target = prompt          # tokens that must be in KV before decoding (prompt + recomputed output)
        self.kv = 0                   # tokens in KV so far (during prefill)
        self.state = WAITING
        self.gen = 0                  # output tokens produced before the current decode phase
        self.g0 = 0                   # engine step counter when the current decode phase began
        self.l0 = 0                   # KV tokens when the current decode phase began
        self.phase = 0
        self.seg0 = 0                 # index into the engine's step log where this decode phase began
        self.itl: list[tuple[float, int]] = []
        self.last_token = 0.0
        self.epoch = 0                # bumps on preemption: stale heap entries are skipped
        self.steps_needed = 0
        self.scheduled = False        # left the queue at least once (queue wait measured then)
        self.window_blocks = 0
        self.blocks0 = 0
        self.timed_out = False


class Engine:
    """One replica. ``on_done(seq, now)`` is called when a sequence has produced all its tokens."""

    def __init__(self, sim: Any, timer: StepTimer, kv_blocks: int, max_seqs: int, max_tokens: int,
                 chunked: bool, window_blocks: int, gain: float, on_done: Callable[[Seq, float], None],
                 on_first_schedule: Callable[[Seq, float], None], slow_factor: Callable[[float], float] | None,
                 ) -> None:
        self.sim = sim
        self.timer = timer
        self.total_blocks = kv_blocks
        self.free = kv_blocks
        self.max_seqs = max_seqs
        self.max_tokens = max_tokens
        self.chunked = chunked
        self.window_blocks = window_blocks
        self.gain = gain                      # output tokens per decode step (speculative decoding > 1)
        self.period = BLOCK_TOKENS if gain == 1.0 else max(1, round(BLOCK_TOKENS / gain))
        self.on_done = on_done
        self.on_first_schedule = on_first_schedule
        self.slow_factor = slow_factor
        self.prefix_caching = True
        self.decode_cost = timer.spec_k + 1    # budget tokens one decode takes (k drafts + 1)
        self.max_chunk = max_tokens            # largest prefill chunk one rank may take in a step
        self.fuse = True                       # fuse runs of identical decode steps (off only to test it)
        self.frontend: Any = None              # its API server (simulation/llm/frontend.py), set by the server
        self.in_frontend = 0                   # requests routed here still in the API server (the balancer counts them)
        self.keep_itl = sim.completed.keep_token_timings
        self.waiting: deque[Seq] = deque()
        self.running: dict[int, Seq] = {}     # admission order: the newest is preempted first
        self.prefilling: dict[int, Seq] = {}
        self.decoding = 0                      # D
        self.kv_sum = 0.0                      # KV tokens of decoding sequences
        self.phase_count = [0] * self.period
        self.heap: list[tuple[int, int, int, Seq]] = []
        self.G = 0
        self.log: list[tuple[float, int]] = []  # (step seconds, steps) of every step run with decodes
        self.log_decodes: list[int] = []        # decoding sequences in each log entry (ITL weights)
        self.extra_gaps: list[float] = []       # token gaps outside the log (resuming after a preemption)
        # current step run
        self.busy = False
        self.run_id = 0
        self.run_start = 0.0
        self.run_dt = 0.0
        self.run_n = 0
        self.run_fused = False
        self.run_chunks: list[tuple[Seq, int]] = []
        self.run_decodes = 0
        # statistics
        self.preemptions = 0
        self.prefill_tokens = 0
        self.decode_tokens = 0.0
        self.busy_time = 0.0
        self.batch_area = 0.0
        self.kv_area = 0.0
        self.occupancy_area = 0.0              # how close the binding limit (seqs, KV, token budget) is
        self.queue_area = 0.0
        self._q_t = 0.0
        self.last_t = 0.0                      # last time anything happened here (bounds the stats window)

    # -- bookkeeping -----------------------------------------------------------------------------
    def outstanding(self) -> int:
        return len(self.running) + len(self.waiting) + self.in_frontend

    def _account_queue(self, now: float) -> None:
        self.queue_area += len(self.waiting) * (now - self._q_t)
        self._q_t = now

    def _hits(self, g0: int, steps: int, phase: int) -> int:
        """Steps j in [0, steps) with (g0 + j) ≡ phase (mod period): the blocks a decode added."""
        off = (phase - g0) % self.period
        return 0 if steps <= off else 1 + (steps - 1 - off) // self.period

    def _blocks_of(self, s: Seq) -> int:
        if s.state == DECODE:
            return s.blocks0 + self._hits(s.g0, self.G - s.g0, s.phase) + s.window_blocks
        return -(-s.kv // BLOCK_TOKENS) + (s.window_blocks if s.kv else 0)

    # -- entry -----------------------------------------------------------------------------------
    def add(self, seq: Seq, now: float) -> None:
        self.last_t = now
        self._account_queue(now)
        self.waiting.append(seq)
        if not self.busy:
            self._start_step(now)
        elif self.run_fused and self.run_n > 1 and len(self.running) < self.max_seqs:
            self._truncate(now)

    def add_ready(self, seq: Seq, now: float, ready: float) -> bool:
        """Queue ``seq`` now although it only reaches the engine at ``ready`` (it is still in the API server),
        when no step boundary falls between: the scheduler looks at its queue at the end of the run in
        progress (cut, if fused, at the step in progress at ``ready``). Saves the event; False = none fits."""
        if not self.busy:
            return False
        n = self.run_n
        if self.run_fused and n > 1 and len(self.running) < self.max_seqs:
            done = int((ready - self.run_start) / self.run_dt) if self.run_dt > 0 else 0
            n = done + 1 if done > 0 else 1
            if n >= self.run_n:
                return False
        elif ready > self.run_start + self.run_dt * n:
            return False
        self.last_t = now
        self._account_queue(now)
        self.queue_area -= ready - now  # it waits from ``ready`` on, not from now
        self.waiting.append(seq)
        if n < self.run_n:
            self.run_n = n
            self.run_id += 1
            self.sim.call_later(self.run_start + n * self.run_dt - now, self._end_run, self.run_id)
        return True

    def remove_waiting(self, seq: Seq, now: float) -> bool:
        """Drop a queued sequence (queue timeout); False when it was already scheduled."""
        if seq.scheduled or seq.state != WAITING:
            return False
        self._account_queue(now)
        try:
            self.waiting.remove(seq)
        except ValueError:
            return False
        return True

    def _truncate(self, now: float) -> None:
        """End the fused run at the end of the step in progress (an arrival may join the next step)."""
        done = int((now - self.run_start) / self.run_dt) if self.run_dt > 0 else 0
        n = done + 1 if done > 0 else 1
        if n >= self.run_n:
            return
        self.run_n = n
        self.run_id += 1
        self.sim.call_later(self.run_start + n * self.run_dt - now, self._end_run, self.run_id)

    # -- scheduling --------------------------------------------------------------------------------
    def _preempt_newest(self, now: float) -> Seq:
        uid = next(reversed(self.running))
        s = self.running.pop(uid)
        self.free += self._blocks_of(s)
        if s.state == DECODE:
            steps = self.G - s.g0
            if steps:
                s.last_token = now
            self.decoding -= 1
            self.kv_sum -= s.l0 + steps * self.gain
            self.phase_count[s.phase] -= 1
            s.itl.extend(self.log[s.seg0:])
            s.gen += int(steps * self.gain)
            s.gen = min(s.gen, s.out - 1)
        else:
            self.prefilling.pop(uid, None)
        s.epoch += 1
        s.state = WAITING
        s.kv = 0
        # recompute: the prompt and every output token so far must be in KV again. With prefix caching the
        # freed blocks stay cached (evicted least-recently-freed first, so this sequence's last) and the
        # recompute is mostly cache hits; without it everything is prefilled again.
        s.target = s.prompt + s.gen
        s.cached = (s.target - 1) // BLOCK_TOKENS * BLOCK_TOKENS if self.prefix_caching else 0
        self._account_queue(now)
        self.waiting.appendleft(s)
        self.preemptions += 1
        return s

    def _decode_need(self) -> int:
        return self.phase_count[self.G % self.period] if self.decoding else 0

    def _start_step(self, now: float) -> None:
        """Schedule the next step (or fused run of decode steps) and its completion event."""
        if not self.prefilling and not self.waiting and self.decoding:
            # fast path: decodes only, nobody to admit
            need = self.phase_count[self.G % self.period]
            if need <= self.free:
                self.free -= need
                decodes = self.decoding
                kv_mean = self.kv_sum / decodes
                n_steps = self._fusable_steps(kv_mean)
                dt = self.timer.decode_s(decodes, kv_mean + self.gain * (n_steps - 1) / 2.0)
                if self.slow_factor is not None:
                    dt *= self.slow_factor(now)
                self.busy = True
                self.run_id += 1
                self.run_start = now
                self.run_dt = dt
                self.run_n = n_steps
                self.run_fused = n_steps > 1
                self.run_decodes = decodes
                self.sim.call_later(dt * n_steps, self._end_run, self.run_id)
                return
        cost = self.spec_tokens_per_decode
        running = self.running
        preempted_before = self.preemptions
        # decodes need their next blocks first (the newest sequences are preempted until they fit)
        need = self._decode_need()
        while need > self.free and running:
            self._preempt_newest(now)
            need = self._decode_need()
        chunks: list[tuple[Seq, int]] = []
        chunk_tokens = 0
        # running partial prefills, in admission order
        for s in (list(self.prefilling.values()) if self.prefilling else ()):
            budget = self.max_tokens - self.decoding * cost - chunk_tokens
            if budget <= 0:
                break
            if s.uid not in running:
                continue
            n = min(s.target - s.kv, budget, self.max_chunk)
            add = -(-(s.kv + n) // BLOCK_TOKENS) + (s.kv // -BLOCK_TOKENS)
            while add + need > self.free and s.uid in running:
                self._preempt_newest(now)
                need = self._decode_need()
            if s.uid not in running:
                continue
            self.free -= add
            s.kv += n
            chunk_tokens += n
            chunks.append((s, n))
        # waiting requests, FCFS, while sequences, budget and blocks allow
        waiting = self.waiting
        budget = self.max_tokens - self.decoding * cost - chunk_tokens
        if self.preemptions != preempted_before:
            budget = 0  # vLLM v1 admits no waiting request in a step that had to preempt
        while waiting and budget > 0 and len(running) < self.max_seqs:
            s = waiting[0]
            remaining = s.target - s.cached
            if not self.chunked and remaining > budget and (chunks or self.decoding):
                break  # unchunked: a whole prompt per step; one longer than the budget runs alone
            n = min(remaining, budget, self.max_chunk) if self.chunked else remaining
            add = -(-(s.cached + n) // BLOCK_TOKENS) + self.window_blocks
            if add + need > self.free:
                break
            self._account_queue(now)
            waiting.popleft()
            if not s.scheduled:
                s.scheduled = True
                self.on_first_schedule(s, now)
            self.free -= add
            s.window_blocks = self.window_blocks
            s.kv = s.cached + n
            s.state = PREFILL
            running[s.uid] = s
            self.prefilling[s.uid] = s
            budget -= n
            chunks.append((s, n))
        self.free -= need
        decodes = self.decoding
        if not decodes and not chunks:
            self.busy = False
            return
        timer = self.timer
        kv_mean = self.kv_sum / decodes if decodes else 0.0
        n_steps = 1
        if chunks:
            if len(chunks) == 1:
                s0, n0 = chunks[0]
                dt = timer.mixed_s(decodes, kv_mean, [(n0, s0.kv)], 1 if s0.kv >= s0.target else 0)
            else:
                sampled = sum(1 for s, _ in chunks if s.kv >= s.target)
                dt = timer.mixed_s(decodes, kv_mean, [(n, s.kv) for s, n in chunks], sampled)
        else:
            n_steps = self._fusable_steps(kv_mean)
            dt = timer.decode_s(decodes, kv_mean + self.gain * (n_steps - 1) / 2.0)
        if self.slow_factor is not None:
            dt *= self.slow_factor(now)
        self.busy = True
        self.run_id += 1
        self.run_start = now
        self.run_dt = dt
        self.run_n = n_steps
        self.run_fused = n_steps > 1
        self.run_chunks = chunks
        self.run_decodes = decodes
        self.sim.call_later(dt * n_steps, self._end_run, self.run_id)

    @property
    def spec_tokens_per_decode(self) -> int:
        return self.decode_cost

    def _fusable_steps(self, kv_mean: float) -> int:
        """How many identical decode steps can run before anything changes (a finish or a block shortage)."""
        if not self.fuse or (self.waiting and len(self.running) < self.max_seqs):
            return 1  # queued work that could not get blocks: re-check every step
        heap = self.heap
        while heap and heap[0][3].epoch != heap[0][2]:
            heapq.heappop(heap)
        if not heap:
            return 1
        n = heap[0][0] - self.G
        cap = int(kv_mean * 0.25)
        if cap < 16:
            cap = 16
        if n > cap:
            n = cap
        elif n < 1:
            n = 1
        # blocks: the first step's blocks were taken already; steps 1..n-1 need theirs
        free = self.free
        period = self.period
        counts = self.phase_count
        d = self.decoding
        if n > 1:
            cycles = free // d if d else n
            if cycles * period + 1 < n:
                left = free - cycles * d
                limit = cycles * period + 1
                for j in range(1, period + 1):
                    c = counts[(self.G + cycles * period + j) % period]
                    if c > left:
                        break
                    left -= c
                    limit += 1
                n = min(n, limit)
        return max(1, n)

    # -- step completion ---------------------------------------------------------------------------
    def _end_run(self, run_id: int) -> None:
        if run_id != self.run_id:
            return  # superseded by a truncation
        now = self.sim.now
        self.last_t = now
        n = self.run_n
        dt = self.run_dt
        decodes = self.run_decodes
        # requests that come back to this node from inside on_done must not cut a finished run
        self.run_fused = False
        used = self.total_blocks - self.free
        self.busy_time += dt * n
        span = dt * n
        chunks = self.run_chunks
        if chunks:
            self.batch_area += (decodes + len(chunks)) * span
            tokens = decodes * self.decode_cost
            for _, c in chunks:
                tokens += c
        else:
            self.batch_area += decodes * span
            tokens = decodes * self.decode_cost
        occ = len(self.running) / self.max_seqs
        kv = used / self.total_blocks
        if kv > occ:
            occ = kv
        if tokens > occ * self.max_tokens:
            occ = tokens / self.max_tokens
        self.occupancy_area += (occ if occ < 1.0 else 1.0) * span
        if decodes:
            # blocks of steps 1..n-1 (step 0's were taken when the run was scheduled)
            extra = 0
            if n > 1:
                counts = self.phase_count
                period = self.period
                full, rest = divmod(n - 1, period)
                extra = full * self.decoding
                for j in range(1, rest + 1):
                    extra += counts[(self.G + j) % period]
                self.free -= extra
            self.kv_area += (used + extra / 2.0) / self.total_blocks * dt * n
            self.G += n
            self.kv_sum += decodes * n * self.gain
            self.decode_tokens += decodes * n * self.gain
            self.log.append((dt, n))
            self.log_decodes.append(decodes)
        else:
            self.kv_area += used / self.total_blocks * dt * n
        # prefill chunks (only in single-step runs)
        if self.run_chunks:
            for s, c in self.run_chunks:
                if s.state != PREFILL:
                    continue  # preempted meanwhile
                self.prefill_tokens += c
                if s.kv >= s.target:
                    self.prefilling.pop(s.uid, None)
                    self._begin_decode(s, now)
            self.run_chunks = []
        # finishes
        heap = self.heap
        G = self.G
        while heap and heap[0][0] <= G:
            fin, _, epoch, s = heapq.heappop(heap)
            if epoch != s.epoch or s.state != DECODE:
                continue
            self._finish(s, now)
        self._start_step(now)

    def _begin_decode(self, s: Seq, now: float) -> None:
        """A prefill completed: it sampled a token (the first, or the next after a recompute)."""
        if s.gen == 0 and not s.itl:
            s.req.first_token = now
        else:
            s.itl.append((now - s.last_token, 1))
            self.extra_gaps.append(now - s.last_token)
        s.gen += 1
        s.last_token = now
        remaining = s.out - s.gen
        s.blocks0 = -(-s.kv // BLOCK_TOKENS)
        if remaining <= 0:
            self.running.pop(s.uid, None)
            self.free += s.blocks0 + s.window_blocks
            s.state = DONE
            self.on_done(s, now)
            return
        s.state = DECODE
        s.g0 = self.G
        s.l0 = s.kv
        s.seg0 = len(self.log)
        steps = remaining if self.gain == 1.0 else ceil(remaining / self.gain)
        s.steps_needed = steps
        if self.gain == 1.0:
            s.phase = (s.g0 - s.l0) % self.period
        else:
            s.phase = (s.g0 - ceil(s.l0 / self.gain)) % self.period
        self.phase_count[s.phase] += 1
        self.decoding += 1
        self.kv_sum += s.l0
        heapq.heappush(self.heap, (self.G + steps, s.uid, s.epoch, s))

    def _finish(self, s: Seq, now: float) -> None:
        steps = self.G - s.g0
        period = self.period
        off = (s.phase - s.g0) % period
        self.free += s.blocks0 + s.window_blocks + (0 if steps <= off else 1 + (steps - 1 - off) // period)
        self.decoding -= 1
        self.kv_sum -= s.l0 + steps * self.gain
        self.phase_count[s.phase] -= 1
        self.running.pop(s.uid, None)
        if self.keep_itl:  # per-request gaps only where a metric reads them (bench uses the step log)
            s.itl.extend(self.log[s.seg0:])
        s.state = DONE
        if self.gain != 1.0:
            g = self.gain
            runs = [(dt / g, max(1, round(k * g))) for dt, k in s.itl]
            total = sum(k for _, k in runs)
            want = s.out - 1
            if runs and total != want:
                dt_last, k_last = runs[-1]
                runs[-1] = (dt_last, max(1, k_last + want - total))
            s.itl = runs
        self.on_done(s, now)

    def fail_all(self, now: float) -> list[Seq]:
        """The replica is lost (GPU failure): drop every sequence and empty the KV cache."""
        self._account_queue(now)
        lost = list(self.running.values()) + list(self.waiting)
        for s in lost:
            s.state = DONE
            s.epoch += 1
        self.running.clear()
        self.prefilling.clear()
        self.waiting.clear()
        self.heap.clear()
        self.phase_count = [0] * self.period
        self.decoding = 0
        self.kv_sum = 0.0
        self.free = self.total_blocks
        self.run_id += 1  # the step in flight never completes
        self.run_chunks = []
        self.busy = False
        return lost

    # -- statistics ------------------------------------------------------------------------------
    def reset_stats(self, now: float) -> None:
        self._account_queue(now)
        self.preemptions = 0
        self.prefill_tokens = 0
        self.decode_tokens = 0.0
        self.busy_time = self.batch_area = self.kv_area = self.queue_area = self.occupancy_area = 0.0

    def itl_samples(self) -> tuple[list[float], list[float]]:
        """Every inter-token gap this engine produced, as (gap seconds, tokens with that gap)."""
        g = self.gain
        values = [dt / g for dt, _ in self.log] + self.extra_gaps
        weights = [n * d * g for (_, n), d in zip(self.log, self.log_decodes)] + [1.0] * len(self.extra_gaps)
        return values, weights

    def occupancy(self) -> float:
        """Now: the fullest of the engine's limits (sequences, KV blocks)."""
        if not self.busy:
            return 0.0
        return min(1.0, max(len(self.running) / self.max_seqs, self.kv_usage()))

    def kv_usage(self) -> float:
        return (self.total_blocks - self.free) / self.total_blocks if self.total_blocks else 0.0
