"""Typed exceptions. The CLI turns every :class:`FlexsaError` into one line on stderr, exit 2."""


class FlexsaError(Exception):
    """Base class of every error caused by the user's input or configuration."""


class WorkloadError(FlexsaError):
    """A layer, model or workload description is invalid."""


class ConfigError(FlexsaError):
    """An accelerator, memory, energy or sweep configuration is invalid."""


class MappingError(FlexsaError):
    """A workload cannot be mapped onto the given hardware."""


def require(condition: bool, message: str, error: type[FlexsaError] = FlexsaError) -> None:
    """Raise ``error(message)`` unless ``condition`` holds."""
    if not condition:
        raise error(message)
