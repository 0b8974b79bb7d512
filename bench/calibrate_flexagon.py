"""Grid search of the two calibrated constants against the reference calibration case.

    PYTHONPATH=src python bench/calibrate_flexagon.py

Prints the best (step_cycles, stationary_element_cycles) pairs by RMS relative error of the
six dataflows' total cycles (docs/flexagon.md, "Calibration").
"""

from __future__ import annotations

import numpy as np


def main() -> None:
    from flexsa.sparse.config import ALL_DATAFLOWS, reference_config
    from flexsa.sparse.engine import simulate
    from flexsa.sparse.formats import builtin_case_path, load_case

    case = load_case(builtin_case_path())
    c = (case.problem.a @ case.problem.b).tocsr()
    scored = []
    for step in range(16):
        for per_element in np.arange(0.0, 6.01, 0.25):
            hw = reference_config(step_cycles=step, stationary_element_cycles=float(per_element))
            errors = {}
            for flow in ALL_DATAFLOWS:
                result = simulate(case.problem, flow, hw, c=c)[1]
                reference = case.reference_cycles[flow.value]
                errors[flow.value] = (result.cycles - reference) / reference
            rms = float(np.sqrt(np.mean(np.square(list(errors.values())))))
            scored.append((rms, step, float(per_element), errors))
    scored.sort(key=lambda item: item[0])
    for rms, step, per_element, errors in scored[:5]:
        detail = ", ".join(f"{k} {v:+.1%}" for k, v in errors.items())
        print(f"RMS {rms:.1%}: step_cycles={step} stationary_element_cycles={per_element}: "
              f"{detail}")


if __name__ == "__main__":
    main()
