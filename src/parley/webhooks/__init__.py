"""Provider webhooks: verify the signature, store the raw event once, process it in a job."""
