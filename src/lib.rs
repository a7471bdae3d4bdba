//! loglift: a log-ingestion and metrics agent for AWS.
