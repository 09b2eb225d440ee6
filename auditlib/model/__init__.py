"""What the catalog means, built once per run: one Reference type, the tenancy model, the cascade graph, comments.

``Analysis(catalog, config)`` carries them; checks, diagrams, charts and the report all read it. Nothing here does
I/O: the model is a pure function of the catalog and the configuration.
"""

from auditlib.model.analysis import Analysis
from auditlib.model.references import Reference

__all__ = ["Analysis", "Reference"]
