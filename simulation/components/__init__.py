"""Importing this package registers every component kind (one module per palette group)."""

from simulation.components import (  # noqa: F401
    agents,
    application,
    caching,
    llm,
    models_other,
    operations,
    retrieval,
    safety,
    traffic,
)
