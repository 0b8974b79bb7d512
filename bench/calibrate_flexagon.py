"""The reference calibration case, dataflow by dataflow (nothing is fitted).

    PYTHONPATH=src python bench/calibrate_flexagon.py

Prints, for the 16x32x16 case of ``sparse/data/flexagon_synth_case.json``, the reference
simulator's cycles, ours, the error and our cycle terms (docs/flexagon.md, "Calibration
case"). The model has no fitted constants: every one is the spec's (section 6.1).
"""

from __future__ import annotations


def main() -> None:
    from flexsa.sparse.config import ALL_DATAFLOWS, reference_config
    from flexsa.sparse.engine import simulate
    from flexsa.sparse.formats import builtin_case_path, load_case

    case = load_case(builtin_case_path())
    c = (case.problem.a @ case.problem.b).tocsr()
    hw = reference_config()
    for flow in ALL_DATAFLOWS:
        result = simulate(case.problem, flow, hw, c=c)[1]
        reference = case.reference_cycles[flow.value]
        terms = ", ".join(f"{k} {v}" for k, v in vars(result.terms).items() if v)
        print(f"{flow.value}: reference {reference}, ours {result.cycles} "
              f"({(result.cycles - reference) / reference:+.1%}); {terms}")


if __name__ == "__main__":
    main()
