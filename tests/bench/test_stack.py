"""The bench users and the candidate pool the benchmarks draw from, and how they read CPU time
(bench/stack.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bench.stack import (
    CANDIDATES_PER_USER,
    CandidatePool,
    bench_users,
    cpu_seconds,
    machine_busy_seconds,
    write_seed,
)


def test_the_pool_spreads_candidates_over_users_and_never_repeats_one() -> None:
    users = bench_users(3)
    pool = CandidatePool(users)
    slots = pool.take(7)
    assert [s.user.user_id for s in slots] == [u.user_id for u in users] * 2 + [users[0].user_id]
    assert len({s.candidate_id for s in slots}) == 7
    assert slots[3].candidate_id == users[0].first_candidate + 1
    assert (
        slots[0].path == f"/role/{users[0].role_id}/candidate/{users[0].first_candidate}/campaign"
    )


def test_an_empty_pool_says_so() -> None:
    pool = CandidatePool(bench_users(1))
    pool.take(CANDIDATES_PER_USER)
    with pytest.raises(RuntimeError, match="no fresh candidate"):
        pool.take(1)


def test_the_seed_gives_each_user_a_role_two_channels_and_complete_candidates(
    tmp_path: Path,
) -> None:
    users = bench_users(2)
    seed = json.loads(write_seed(tmp_path, users).read_text())
    for user in users:
        assert {"id": user.user_id}.items() <= next(
            u for u in seed["users"] if u["id"] == user.user_id
        ).items()
        channels = {c["id"]: c for c in seed["channels"] if c["userId"] == user.user_id}
        assert channels[user.email_channel]["type"] == "EMAIL"
        assert channels[user.linkedin_channel]["type"] == "LINKEDIN"
        block = next(g for g in seed["generated"] if g["roleId"] == user.role_id)
        assert block["firstId"] == user.first_candidate
        assert block["count"] == CANDIDATES_PER_USER
        assert block["withoutEmailEvery"] == 0 and block["withoutLinkedinEvery"] == 0


def test_the_machine_s_busy_time_counts_this_process_s_cpu() -> None:
    machine_before, own_before = machine_busy_seconds(), cpu_seconds(os.getpid())
    burn_until = time.process_time() + 0.5
    while time.process_time() < burn_until:
        pass
    own = cpu_seconds(os.getpid()) - own_before
    busy = machine_busy_seconds() - machine_before
    assert own >= 0.45
    # Other processes may add to the machine's time, never take from it. But the kernel
    # counts the machine's time by sampling each CPU at its clock ticks and a process's by
    # its scheduler: over half a second the two differ by a few ticks (one CI run: 0.29 s
    # for 0.31 s). A wrong sum (idle counted, a column missed) is off by far more.
    assert busy >= 0.8 * own


def test_the_machine_s_busy_time_leaves_out_idle_and_iowait(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    # cpu: user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  100 20 30 9000 400 5 7 3 0 0\ncpu0 50 10 15 4500 200 2 3 1 0 0\n")
    ticks = os.sysconf("SC_CLK_TCK")
    assert machine_busy_seconds(stat) == pytest.approx((100 + 20 + 30 + 5 + 7 + 3) / ticks)
