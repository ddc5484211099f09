"""Model backends: one file per backend, one interface (`base.Backend`), one registry."""
