"""The memory model's compressed forms equal plain step-by-step evaluation.

* ``unit_clock.walk`` (every level of repetition jumped once the state repeats) against
  :class:`UnitClock` stepped wave by wave over the expanded program;
* the per-unit item sequences, computed once per tile-class structure (``class_dim``), against
  the waves or tiles of the block enumerated one by one and handed out round-robin;
* ``score_grid`` (every mode candidate as one integer grid) against ``score_each``;
* ``block_timing`` against the event-level reference on shapes whose wave sequence repeats
  only every ``lcm(K tiles, units)`` waves.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.arch import load_arch, with_overrides
from flexsa.arch.timing import ModeSwitch, WaveShape
from flexsa.compiler.classes import TileClass, WaveKind
from flexsa.compiler.plan import _candidates, part_schedule, score_each
from flexsa.compiler.schedule import _unit_schedule, _wave_schedule, unit_schedule, wave_schedule
from flexsa.compiler.scoring import score_grid
from flexsa.compiler.tiling import Dim
from flexsa.sim.memory import block_timing, unit_sequences
from flexsa.sim.memory_reference import reference_block
from flexsa.sim.unit_clock import UnitClock, WaveTable, walk

SHAPES = [WaveShape("FW", 5, 4, 4, 4), WaveShape("FW", 2, 4, 4, 4),
          WaveShape("VSW", 3, 2, 4, 2), WaveShape("FW", 4, 1, 4, 4)]


def _plain(table: WaveTable, waves: list[int], warm: bool) -> tuple[int, int]:
    clock = UnitClock(table, warm=warm)
    for w in waves:
        clock.step(w)
    return clock.end(), clock.port


run = st.tuples(st.integers(0, 3), st.integers(1, 30))  # (wave index, count)
item = st.lists(run, min_size=1, max_size=3)
group = st.lists(st.tuples(item, st.integers(1, 12)), min_size=1, max_size=3)


@settings(max_examples=80, deadline=None)
@given(loads=st.lists(st.tuples(st.sampled_from(SHAPES), st.integers(0, 9), st.integers(0, 9)),
                      min_size=4, max_size=4),
       program=st.lists(st.tuples(group, st.integers(1, 15)), min_size=1, max_size=3),
       switch=st.sampled_from([0, 5]), rule=st.sampled_from(["drain", "wavefront"]))
def test_walk_equals_plain_steps(loads, program, switch, rule) -> None:
    table = WaveTable(ModeSwitch(switch, rule))
    index = [table.add(wave) for wave in loads]
    program = [([([(index[w], n) for w, n in it], count) for it, count in grp], reps)
               for grp, reps in program]
    waves = [w for grp, reps in program for _ in range(reps) for it, count in grp
             for _ in range(count) for w, n in it for _ in range(n)]
    cold, port = _plain(table, waves, warm=False)
    warm, _ = _plain(table, waves, warm=True)
    assert walk(table, program) == (cold, warm, port)


def _expand(sequence: list) -> list[int]:
    return [cls for grp, reps in sequence for _ in range(reps) for cls, n in grp
            for _ in range(n)]


def _items(m_dim: Dim, n_dim: Dim, k_dim: Dim, instances: int, by_wave: bool) -> list[int]:
    """Every wave (or output tile) of the part in loop order (instance, N, M[, K])."""
    out = []
    for _, ni, mi in itertools.product(range(instances), range(n_dim.count),
                                       range(m_dim.count)):
        tile = TileClass(n_dim.cls_of(ni), m_dim.cls_of(mi))
        if not by_wave:
            out.append(tile.index)
            continue
        out += [WaveKind.of(tile, k_dim.cls_of(ki)).index for ki in range(k_dim.count)]
    return out


dims = st.tuples(st.integers(1, 40), st.sampled_from([2, 3, 4, 8]))


@settings(max_examples=80, deadline=None)
@given(m=dims, n=dims, k=dims, instances=st.integers(1, 3), units=st.sampled_from([1, 2, 3, 4]),
       by_wave=st.booleans())
def test_unit_sequences_per_class_structure_equal_enumeration(m, n, k, instances, units,
                                                              by_wave) -> None:
    m_dim, n_dim, k_dim = Dim(*m), Dim(*n), Dim(*k)
    items = _items(m_dim, n_dim, k_dim, instances, by_wave)
    expected = {tuple(items[u::units]) for u in range(units) if items[u::units]}
    from flexsa.compiler.schedule import class_dim

    got = unit_sequences(by_wave, class_dim(m_dim), class_dim(n_dim), class_dim(k_dim),
                         instances, units)
    assert {tuple(_expand(seq)) for seq in got} == expected
    # the round-robin statistics, also computed per class structure, match the sizes' own
    if by_wave:
        assert wave_schedule(m_dim, n_dim, k_dim, instances, units) == \
            _wave_schedule.__wrapped__(m_dim, n_dim, k_dim, instances, units)
    else:
        assert unit_schedule(m_dim, n_dim, instances, units) == \
            _unit_schedule.__wrapped__(m_dim, n_dim, instances, units)


@settings(max_examples=60, deadline=None)
@given(base=st.sampled_from(["1G1F", "4G1F"]), m=st.integers(1, 700), n=st.integers(1, 300),
       k=st.integers(1, 300), instances=st.integers(1, 2), units=st.sampled_from([1, 2, 4]),
       allocation=st.sampled_from(["tile", "wave"]), switch=st.sampled_from([0, 40]),
       rule=st.sampled_from(["drain", "wavefront"]))
def test_grid_scoring_equals_candidate_by_candidate(base, m, n, k, instances, units,
                                                    allocation, switch, rule) -> None:
    arch = with_overrides(load_arch(base), {"mode_switch_cycles": switch, "mode_switch": rule})
    m_dim, n_dim, k_dim = Dim(m, arch.blk_m), Dim(n, arch.blk_n), Dim(k, arch.blk_k)
    candidates = _candidates(arch, m_dim, n_dim, k_dim, "auto")
    schedule = part_schedule(m_dim, n_dim, k_dim, instances, units, allocation)
    assert score_grid(arch, m_dim, n_dim, k_dim, schedule, allocation, candidates) == \
        score_each(arch, m_dim, n_dim, k_dim, schedule, allocation, candidates)


@pytest.mark.parametrize(("base", "m", "n", "k"), [
    ("1G4C", 14, 6, 14),    # 7 K tiles over 4 units: the pattern repeats every 28 waves
    ("1G4C", 13, 4, 10),    # 5 K tiles (edge), M edge
    ("4G4C", 7, 7, 12),     # 6 K tiles, N and M edges
    ("1G4C", 16, 3, 18),    # 9 K tiles
])
@pytest.mark.parametrize("rule", ["drain", "wavefront"])
def test_block_timing_equals_reference_on_lcm_periodic_blocks(base, m, n, k, rule) -> None:
    arch = with_overrides(load_arch(base), {"core_rows": 2, "core_cols": 2,
                                            "allocation": "wave", "mode_switch": rule})
    for port in (1.0, 3.0):
        fast = block_timing(arch, m, n, k, port, "auto")
        assert (fast.compute, fast.memory, fast.warm, fast.tail) == \
            reference_block(arch, m, n, k, port)


def test_arch_hash_is_cached_per_object_and_not_pickled() -> None:
    import pickle

    a, b = load_arch("1G4C"), load_arch("1G4C")
    c = with_overrides(a, {"core_rows": 32})
    assert a == b and hash(a) == hash(b) and a != c
    copy = pickle.loads(pickle.dumps(a))
    assert "_hash" not in copy.__dict__ and copy == a and hash(copy) == hash(a)
