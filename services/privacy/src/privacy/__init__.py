"""Privacy: data-subject requests, erasure ledger, export bundles, retention."""
