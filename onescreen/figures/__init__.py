"""Plain figure builders: ``DataFrame -> plotly Figure``, tested without Streamlit. One module per page family."""
