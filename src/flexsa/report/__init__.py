"""Reporting: result envelopes (config + version), JSON/CSV writers, tables and figures."""
