"""Chart builders: ``DataFrame -> plotly Figure``, no Streamlit, Indonesian labels.

Thresholds (time standards, clocks) come from the data or the SOP table, never from
literals here. Each bar carries its drill-down value in ``customdata`` so the page can
list the complaints behind a clicked bar.
"""
