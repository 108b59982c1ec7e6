"""A model as bytes for the database, in skops' format rather than a pickle.

A pickle runs whatever code its bytes name when it is loaded, so a model row changed by
someone with database access would run code in every server that loads it. skops' format
loads only types it trusts (scikit-learn's estimators, NumPy's and SciPy's arrays) and
refuses anything else, naming it.
"""

from __future__ import annotations


class ModelRefused(ValueError):
    """Stored bytes that are not a model this version can load safely."""


def model_bytes(models: dict) -> bytes:
    """The per-dimension models as skops bytes."""
    import skops.io

    return skops.io.dumps(models)


def models_from_bytes(content: bytes) -> dict:
    """The per-dimension models back, refusing bytes that name any untrusted type."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=content)
    except Exception as exc:  # not skops' format at all
        raise ModelRefused(f"the stored model cannot be read ({exc})") from exc
    if untrusted:
        raise ModelRefused(
            "the stored model names types that are not trusted, so it was not loaded: "
            + ", ".join(untrusted)
        )
    return skops.io.loads(content)
