"""auditlib: audits the data relationships of PostgreSQL databases and SQL migration folders."""

__version__ = "0.1.0"
