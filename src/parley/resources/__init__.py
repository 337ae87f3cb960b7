"""Tools and knowledge documents as code: specs, validation, plan/apply on providers."""
