"""Stores: where progress and its history are kept (a folder of CSV or Parquet files)."""
