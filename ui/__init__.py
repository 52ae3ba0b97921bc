"""Shared Streamlit widgets for the pages (the only package besides pages/ that imports st)."""
