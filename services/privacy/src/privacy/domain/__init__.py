"""Privacy rules without I/O: subjects, access, request statuses, certificates, bundles."""
