//! Reporters: one module per output format, each a sink over a ScanResult.
