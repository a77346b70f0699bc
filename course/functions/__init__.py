"""Saved functions: a learner's Lambda functions, their versions, test events and drafts.

Runs go through execution.run(), the one seam between a saved function and the runner (cold
today; warm environments plug in there)."""
