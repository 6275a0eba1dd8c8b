"""The ETL: readers for real exports, staging, loading with history, marts, and the command line."""
