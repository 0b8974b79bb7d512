"""Independent checks of PruneTrain's channel-union rules on a model's layer shapes."""

from __future__ import annotations

from flexsa.workloads.model import INPUT_SPACE, Model


def union_violations(model: Model) -> list[str]:
    """Layers whose ``cin``/``cout`` disagree with their neighbours' (empty if none).

    Checked from the layer records and the wiring only: every writer of a space (all convs
    of a residual node) has one ``cout``; a layer's ``cin`` is the sum of the ``cout`` of
    the spaces it concatenates; a depthwise conv has ``cin == cout == groups`` equal to its
    space's writers.
    """
    table = model.channel_table()
    written: dict[str, int] = {INPUT_SPACE: model.widths[INPUT_SPACE]}
    problems: list[str] = []
    for node in model.nodes:
        shape = table.get(node.layer)
        if shape is None:
            continue
        if node.depthwise_coupled:
            groups = getattr(model.layer(node.layer), "groups", shape["cout"])
            if not shape["cin"] == shape["cout"] == groups == written.get(node.output):
                problems.append(f"{node.layer}: depthwise channels {shape} break the coupling")
            continue
        missing = [s for s in node.inputs if s not in written]
        if missing:
            problems.append(f"{node.layer}: reads {missing[0]!r} before any layer writes it")
            continue
        expected = sum(written[s] for s in node.inputs)
        if shape["cin"] != expected:
            problems.append(f"{node.layer}: cin {shape['cin']} != {expected} written upstream")
        previous = written.setdefault(node.output, shape["cout"])
        if previous != shape["cout"]:
            problems.append(f"{node.layer}: cout {shape['cout']} != {previous} of the other "
                            f"writers of {node.output!r}")
    return problems
