"""HTTP endpoints for saved functions, as API Gateway HTTP APIs give Lambda functions one: the
public /fn/<endpoint-id>/... URL, route keys, API keys and usage plans (throttling, quotas)."""
