"""Ribbon XML and VBA sources of the Excel add-in (installed as tdkt_lib.addin_sources)."""
