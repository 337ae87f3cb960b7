"""Provider adapters: one protocol, one package per provider, vendor names only inside each."""
