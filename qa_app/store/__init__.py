"""Data access, one module or package per capability: database rows in, domain inputs out, and
validated domain results written back (with the audit trail)."""
